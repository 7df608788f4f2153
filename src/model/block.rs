//! A block as the chain holds it, and where a transaction was mined.

use crate::chain::{Block, BlockHash, BlockHeader, ChainTip};

/// A block as stored: decoded, with its hash and height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlock {
    /// Header hash.
    pub hash: BlockHash,
    /// Height (genesis is 0).
    pub height: u64,
    /// Header and transactions.
    pub block: Block,
}

/// A block of the tree off the main chain: a stale block, or one of a branch with less work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideBlock {
    /// The block, its hash and height.
    pub stored: StoredBlock,
    /// When it was first seen (Unix milliseconds): among branches of equal work, the first seen
    /// wins.
    pub seen: i64,
    /// Why its branch failed when tried (it or an ancestor broke a rule), if it did.
    pub invalid: Option<String>,
}

/// Where a transaction was mined (the transaction index's own type, from `chain`).
pub use crate::chain::TxLocation;

/// Headers of the main chain after the block a peer's locator shares with it: what headers-first
/// sync asks for before any body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRun {
    /// The first block of the locator on the main chain; `None` when it names none (the headers
    /// then start at genesis).
    pub common: Option<ChainTip>,
    /// The headers after it, in height order.
    pub headers: Vec<BlockHeader>,
}
