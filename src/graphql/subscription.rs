//! Live updates, pushed after each commit.
//!
//! A block subscriber that falls behind the in-process channel (it lagged), or sees a height
//! jump, catches up by reading the blocks it missed from the database by height: it never skips
//! one and never sees one twice.

use std::collections::VecDeque;
use std::sync::Arc;

use async_graphql::{Context, ID, Subscription};
use futures::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use super::block::Block;
use super::error::ApiResult;
use super::mining::MiningStatus;
use super::node;
use super::pool_entry::PoolEntry;
use super::snapshot::{ChainResetCause, ChainResetEvent, Snapshot};
use crate::chain::{BlockHash, ChainTip};
use crate::model::StoredBlock;
use crate::node::{Node, NodeError, NodeEvent};

/// Blocks read per catch-up statement.
const CATCH_UP_BATCH: u64 = 100;

/// Live updates.
#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Every block mined from now on, exactly once, in height order.
    async fn block_mined(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Block>> + use<>> {
        let node: Arc<Node> = node(ctx)?.clone();
        // Subscribe before reading the chain: a block committed in between is then both in the
        // channel and at or below `last`, and is skipped rather than lost. The genesis is read
        // before the tip, so a reset in between makes the feed replay the new chain rather than
        // skip it.
        let events = node.subscribe();
        let genesis = node.blocks_from(0, 1).await.api()?.first().map(|b| b.hash);
        let info = node.chain_info().await.api()?;
        let feed = BlockFeed {
            node,
            events,
            last: info.height,
            last_hash: info.tip_hash,
            genesis,
            backlog: VecDeque::new(),
        };
        Ok(futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item.map(Block::new).api(), feed))
        }))
    }

    /// Every pool change from now on: accepted sends (PENDING), refused ones (REJECTED) and
    /// entries mined (MINED). A subscriber that lags misses the changes it could not keep up
    /// with; `pool` has the current state.
    async fn pool_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = PoolEntry> + use<>> {
        let events = node(ctx)?.subscribe();
        Ok(futures::stream::unfold(events, |mut events| async move {
            loop {
                match events.recv().await {
                    Ok(NodeEvent::PoolChanged { kind, entry }) => {
                        return Some((PoolEntry::changed(kind, entry), events));
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        }))
    }

    /// Each time the chain goes back: a `resetSystem` (a new chain from its genesis) or a
    /// `revert` to a snapshot, with the new tip. `blockMined` continues from that tip.
    async fn chain_reset(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = ChainResetEvent> + use<>> {
        let events = node(ctx)?.subscribe();
        Ok(futures::stream::unfold(events, |mut events| async move {
            loop {
                let event = match events.recv().await {
                    Ok(NodeEvent::ChainReset { genesis }) => ChainResetEvent {
                        cause: ChainResetCause::Reset,
                        height: Some(0),
                        tip_hash: Some(genesis.to_string()),
                        snapshot_id: None,
                    },
                    Ok(NodeEvent::ChainReverted { tip, snapshot }) => ChainResetEvent {
                        cause: ChainResetCause::Revert,
                        height: tip.map(|t| t.height),
                        tip_hash: tip.map(|t| t.hash.to_string()),
                        snapshot_id: Some(ID(snapshot.to_string())),
                    },
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                };
                return Some((event, events));
            }
        }))
    }

    /// The mining settings each time they change (from any replica).
    async fn mining_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<MiningStatus>> + use<>>
    {
        let wanted = |event: &NodeEvent| matches!(event, NodeEvent::MiningChanged(_));
        Ok(read_again_on(node(ctx)?.clone(), wanted, async |node| {
            node.mining().await.map(MiningStatus)
        }))
    }

    /// The list of snapshots each time it changes (taken, deleted, or cut by a revert or reset).
    async fn snapshots_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Vec<Snapshot>>> + use<>>
    {
        let wanted = |event: &NodeEvent| {
            matches!(
                event,
                NodeEvent::SnapshotsChanged
                    | NodeEvent::ChainReverted { .. }
                    | NodeEvent::ChainReset { .. }
            )
        };
        Ok(read_again_on(node(ctx)?.clone(), wanted, async |node| {
            let list = node.snapshots().await?;
            Ok(list.into_iter().map(Snapshot).collect())
        }))
    }
}

/// A stream that reads `read` again each time an announcement it `wants` arrives (or the feed
/// lagged, and may have missed one): the state itself, not the event, so a late or lagging
/// subscriber still gets the truth.
fn read_again_on<T>(
    node: Arc<Node>,
    wants: fn(&NodeEvent) -> bool,
    read: impl AsyncFn(&Node) -> Result<T, NodeError> + Send + Sync + Copy + 'static,
) -> impl Stream<Item = async_graphql::Result<T>> {
    let events = node.subscribe();
    futures::stream::unfold((node, events), move |(node, mut events)| async move {
        loop {
            match events.recv().await {
                Ok(event) if wants(&event) => break,
                Err(RecvError::Lagged(_)) => break,
                Ok(_) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
        let answer = read(&node).await.api();
        Some((answer, (node, events)))
    })
}

/// The state of one `blockMined` subscription.
struct BlockFeed {
    node: Arc<Node>,
    events: broadcast::Receiver<NodeEvent>,
    /// Height of the last block delivered (or the tip when subscribing).
    last: Option<u64>,
    /// Its hash.
    last_hash: Option<BlockHash>,
    /// The first block of the chain being followed.
    genesis: Option<BlockHash>,
    /// Blocks read from the database, waiting to be delivered.
    backlog: VecDeque<StoredBlock>,
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
        self.backlog.retain(|b| Some(b.height) <= new_height);
        if self.backlog.is_empty() && Some(self.expected()) <= new_height {
            self.backlog.extend(
                self.node
                    .blocks_from(self.expected(), CATCH_UP_BATCH)
                    .await?,
            );
        }
        Ok(())
    }

    async fn next(&mut self) -> Option<Result<Arc<StoredBlock>, NodeError>> {
        loop {
            if let Some(block) = self.backlog.pop_front() {
                if block.height == self.expected() {
                    return self.deliver(Arc::new(block));
                }
                continue;
            }
            match self.events.recv().await {
                Ok(NodeEvent::BlockMined(block)) if block.height == self.expected() => {
                    return self.deliver(block);
                }
                Ok(NodeEvent::BlockMined(block)) if block.height < self.expected() => continue,
                Ok(NodeEvent::BlockMined(_)) | Err(RecvError::Lagged(_)) => {
                    match self.node.blocks_from(self.expected(), CATCH_UP_BATCH).await {
                        Ok(blocks) => self.backlog.extend(blocks),
                        Err(err) => return Some(Err(err)),
                    }
                }
                // Already following this chain (subscribed after the reset committed).
                Ok(NodeEvent::ChainReset { genesis }) if Some(genesis) == self.genesis => {}
                Ok(NodeEvent::ChainReset { genesis }) => {
                    // A new chain starts at genesis: deliver it from height 0.
                    self.genesis = Some(genesis);
                    self.last = None;
                    self.backlog.clear();
                }
                Ok(NodeEvent::ChainReverted { tip, .. }) => {
                    if let Err(err) = self.reverted(tip).await {
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
