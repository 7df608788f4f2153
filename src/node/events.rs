//! What the node announces after each commit, for subscribers.

use std::sync::Arc;

use crate::store::blocks::StoredBlock;
use crate::store::pool::PoolEntry;

/// How the pool changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolChangeKind {
    /// A send was accepted and waits to be mined.
    Added,
    /// A send was refused (or a pending entry failed its re-check when mining).
    Rejected,
    /// A pending entry was mined.
    Removed,
}

/// One committed change, in commit order.
#[derive(Debug, Clone)]
pub enum NodeEvent {
    /// A block was mined and committed.
    BlockMined(Arc<StoredBlock>),
    /// The pool changed.
    PoolChanged {
        /// How.
        kind: PoolChangeKind,
        /// The entry concerned.
        entry: Arc<PoolEntry>,
    },
}
