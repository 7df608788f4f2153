//! Where a transaction stands: waiting in the pool, or mined.

use super::{PendingTx, TxLocation};

/// A transaction's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxStatus {
    /// In the pool; `position` 1 is mined next.
    Pending {
        /// The pool entry.
        entry: PendingTx,
        /// Place in the queue.
        position: u64,
    },
    /// In a block of the chain.
    Mined {
        /// Where.
        location: TxLocation,
        /// Blocks from its block to the tip, inclusive.
        confirmations: u64,
    },
}
