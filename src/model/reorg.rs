//! A reorganisation: the chain's tip moved to another branch of the block tree.

use crate::chain::{BlockHash, ChainTip, Txid};

/// What one reorganisation changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reorg {
    /// The tip before.
    pub old_tip: ChainTip,
    /// The tip after.
    pub new_tip: ChainTip,
    /// The last block both branches share.
    pub fork: ChainTip,
    /// Blocks taken off the main chain (kept as side blocks), lowest first.
    pub disconnected: Vec<BlockHash>,
    /// Blocks connected, lowest first.
    pub connected: Vec<BlockHash>,
    /// Transactions of disconnected blocks that went back to the pool.
    pub returned: Vec<Txid>,
    /// Transactions of disconnected blocks that are no longer valid (an input gone or spent by
    /// the new branch), dropped.
    pub dropped: Vec<Txid>,
}
