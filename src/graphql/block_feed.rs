//! The state of one `blockMined` subscription: every block exactly once, in height order,
//! reading from the database whenever it is behind (a replay from `afterHeight`, a lag, a gap)
//! and following resets, reverts and reorganisations (after one, the new branch's blocks are
//! delivered from the fork up, at heights already seen).

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::broadcast::{self, error::RecvError};

use crate::chain::{BlockHash, ChainTip};
use crate::model::StoredBlock;
use crate::node::{Node, NodeError, NodeEvent, ReadScope, read_within};

/// Blocks read per catch-up statement.
const CATCH_UP_BATCH: u64 = 100;

/// The state of one `blockMined` subscription.
pub(super) struct BlockFeed {
    pub node: Arc<Node>,
    pub events: broadcast::Receiver<NodeEvent>,
    /// Height of the last block delivered (or the tip when subscribing).
    pub last: Option<u64>,
    /// Its hash, when known.
    pub last_hash: Option<BlockHash>,
    /// The highest height known to be stored: while it is at or above the next height, the
    /// feed reads from the database instead of waiting for announcements.
    pub known_tip: Option<u64>,
    /// A resumed stream's replay: up to this height, blocks may be read from a hot standby
    /// that has reached this state version; every later read goes to the primary (the feed's
    /// scope), which has what announcements announce.
    pub replay: Option<(u64, i64)>,
    /// The first block of the chain being followed.
    pub genesis: Option<BlockHash>,
    /// Blocks read from the database, waiting to be delivered.
    pub backlog: VecDeque<StoredBlock>,
}

impl BlockFeed {
    fn expected(&self) -> u64 {
        self.last.map_or(0, |h| h + 1)
    }

    fn deliver(&mut self, block: Arc<StoredBlock>) -> Option<Result<Arc<StoredBlock>, NodeError>> {
        self.last = Some(block.height);
        self.last_hash = Some(block.hash);
        if block.height == 0 {
            self.genesis = Some(block.hash);
        }
        Some(Ok(block))
    }

    /// The chain went back to `tip`: blocks above it are gone, and the next one delivered is at
    /// its height + 1. A feed whose last block still stands subscribed after the revert
    /// committed (its announcement arrived late) and already follows the new chain.
    async fn reverted(&mut self, tip: Option<ChainTip>) -> Result<(), NodeError> {
        let new_height = tip.map(|t| t.height);
        if let Some(last) = self.last.filter(|last| Some(*last) > new_height) {
            let standing = self.node.blocks_from(last, 1).await?;
            if standing.first().map(|b| b.hash) != self.last_hash {
                self.last = new_height;
                self.last_hash = tip.map(|t| t.hash);
                if tip.is_none() {
                    self.genesis = None;
                }
            }
        }
        self.backlog.clear();
        self.known_tip = new_height;
        Ok(())
    }

    /// Whether the feed already follows the chain a reset started from `genesis`: same genesis,
    /// and its last block still stands (a dev chain's genesis is the same after every reset to
    /// its accounts, so the genesis alone does not tell).
    async fn follows(&self, genesis: Option<BlockHash>) -> Result<bool, NodeError> {
        if genesis.is_none() || genesis != self.genesis {
            return Ok(false);
        }
        let Some(last) = self.last else {
            return Ok(true);
        };
        let standing = self.node.blocks_from(last, 1).await?;
        Ok(standing.first().map(|b| b.hash) == self.last_hash)
    }

    pub async fn next(&mut self) -> Option<Result<Arc<StoredBlock>, NodeError>> {
        loop {
            if let Some(block) = self.backlog.pop_front() {
                if block.height == self.expected() {
                    return self.deliver(Arc::new(block));
                }
                continue;
            }
            if self.known_tip.is_some_and(|tip| tip >= self.expected()) {
                let from = self.expected();
                let read = self.node.blocks_from(from, CATCH_UP_BATCH);
                let blocks = match self.replay {
                    Some((through, version)) if from <= through => {
                        read_within(ReadScope::new(Some(version)), read).await
                    }
                    _ => read.await,
                };
                match blocks {
                    // The chain is shorter than believed (it went back meanwhile).
                    Ok(blocks) if blocks.is_empty() => self.known_tip = self.last,
                    Ok(blocks) => self.backlog.extend(blocks),
                    Err(err) => return Some(Err(err)),
                }
                continue;
            }
            match self.events.recv().await {
                Ok(NodeEvent::BlockMined(block)) if block.height == self.expected() => {
                    self.known_tip = self.known_tip.max(Some(block.height));
                    return self.deliver(block);
                }
                Ok(NodeEvent::BlockMined(block)) => {
                    self.known_tip = self.known_tip.max(Some(block.height));
                }
                // Missed announcements: read from the database until it has no more.
                Err(RecvError::Lagged(_)) => self.known_tip = Some(u64::MAX),
                Ok(NodeEvent::ChainReset { genesis }) => match self.follows(genesis).await {
                    // Already following this chain (subscribed after the reset committed).
                    Ok(true) => {}
                    Ok(false) => {
                        // A new chain starts at genesis: deliver it from height 0.
                        self.genesis = genesis;
                        self.last = None;
                        self.last_hash = None;
                        self.known_tip = None;
                        self.backlog.clear();
                    }
                    Err(err) => return Some(Err(err)),
                },
                Ok(NodeEvent::ChainReverted { tip, .. }) => {
                    if let Err(err) = self.reverted(tip).await {
                        return Some(Err(err));
                    }
                }
                // Like a revert to the fork, then the branch's blocks as they are announced.
                Ok(NodeEvent::ChainReorganized(reorg)) => {
                    if let Err(err) = self.reverted(Some(reorg.fork)).await {
                        return Some(Err(err));
                    }
                }
                Ok(
                    NodeEvent::PoolChanged { .. }
                    | NodeEvent::MiningChanged(_)
                    | NodeEvent::SnapshotsChanged,
                ) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
