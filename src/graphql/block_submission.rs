//! `SubmitBlockResult`: where a block given to `submitBlock` went.

use async_graphql::{Enum, SimpleObject};

use crate::node::{BlockAccepted, BlockStatus};

// The node's own statuses, shown as they are.
/// What happened to a submitted block.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "BlockStatus")]
pub enum SubmitBlockStatus {
    /// It extended the main chain.
    Connected,
    /// Its branch overtook the main chain, which now ends in it (`chainReorganized` says more).
    Reorganized,
    /// It is kept on a side branch with as much work as the main chain (not more).
    SideBranch,
    /// Its branch has less work than the main chain: it is held in memory, not kept in the tree,
    /// until a descendant gives the branch at least the main chain's work (a bounded number
    /// are held, the oldest dropped first).
    LowWork,
    /// It was known already; nothing changed.
    Duplicate,
    /// Its parent is unknown: it is held in memory (a bounded number are) until the parent
    /// arrives.
    Held,
}

/// Where a submitted block went, and the main chain's tip afterwards.
#[derive(SimpleObject)]
pub struct SubmitBlockResult {
    /// What happened to it.
    pub status: SubmitBlockStatus,
    /// Its hash.
    pub hash: String,
    /// Its height; null while its parent is unknown.
    pub height: Option<u64>,
    /// Whether it is on the main chain now.
    pub main_chain: bool,
    /// The main chain's tip hash afterwards.
    pub tip_hash: Option<String>,
    /// The main chain's tip height afterwards.
    pub tip_height: Option<u64>,
    /// The main chain's cumulative work afterwards (decimal).
    pub chain_work: String,
}

impl From<BlockAccepted> for SubmitBlockResult {
    fn from(a: BlockAccepted) -> Self {
        Self {
            status: a.status.into(),
            hash: a.hash.to_string(),
            height: a.height,
            main_chain: a.main_chain,
            tip_hash: a.tip.map(|t| t.hash.to_string()),
            tip_height: a.tip.map(|t| t.height),
            chain_work: a.tip_work.to_string(),
        }
    }
}
