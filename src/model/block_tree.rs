//! Blocks of the tree as the node answers with them: where a block given to the node went, and
//! a block of the tree with where it stands.

use super::block::{SideBlock, StoredBlock};
use crate::chain::{BlockHash, ChainTip};

/// Where a block went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockStatus {
    /// It extended the main chain.
    Connected,
    /// Its branch overtook the main chain, which now ends in it.
    Reorganized,
    /// It is kept on a branch with as much work as the main chain (not more).
    SideBranch,
    /// Its branch has less work than the main chain: it is held in memory, not written, until
    /// a descendant gives the branch at least the main chain's work (or dropped, oldest first).
    LowWork,
    /// It was known already; nothing changed.
    Duplicate,
    /// Its parent is unknown: it is held in memory until the parent arrives (or dropped, oldest
    /// first).
    Held,
}

/// The answer to a block given to the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockAccepted {
    /// The block's hash.
    pub hash: BlockHash,
    /// Its height (`None` while its parent is unknown: a height is known from the parent).
    pub height: Option<u64>,
    /// What happened to it.
    pub status: BlockStatus,
    /// Whether it is on the main chain now.
    pub main_chain: bool,
    /// The main chain's tip afterwards.
    pub tip: Option<ChainTip>,
    /// The main chain's cumulative work afterwards.
    pub tip_work: u128,
}

/// A block of the tree and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeBlock {
    /// The block.
    pub stored: StoredBlock,
    /// Whether it is on the main chain.
    pub main_chain: bool,
    /// Why its branch failed, if it was tried and did.
    pub invalid: Option<String>,
}

impl From<SideBlock> for TreeBlock {
    fn from(side: SideBlock) -> Self {
        Self {
            stored: side.stored,
            main_chain: false,
            invalid: side.invalid,
        }
    }
}
