//! Live updates, pushed after each commit.
//!
//! A block subscriber that falls behind the in-process channel (it lagged), or sees a height
//! jump, catches up by reading the blocks it missed from the database by height: it never skips
//! one and never sees one twice.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, ID, Subscription};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::activity::{ActivityFeed, AddressActivity, MAX_WATCHED};
use super::block::Block;
use super::block_feed::BlockFeed;
use super::error::{ApiResult, bad_request};
use super::lab::MiningProgress;
use super::mining::MiningStatus;
use super::peer::Peer;
use super::pool_entry::PoolEntry;
use super::pool_feed::PoolFeed;
use super::reorg::ChainReorganization;
use super::snapshot::{ChainResetCause, ChainResetEvent, Snapshot};
use super::tx_status::TransactionStatus;
use super::{network, node};
use crate::chain::Txid;
use crate::model::TxStatus;
use crate::node::{MiningSample, parse_address};
use crate::node::{Node, NodeError, NodeEvent};

/// Live updates.
#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Every block mined from now on, exactly once, in height order. With `afterHeight`, first
    /// every stored block above that height (`-1`: from genesis), read from the database, then
    /// live ones: no gap and no duplicate, even while blocks are mined during the replay — so a
    /// client that reconnects with the last height it saw misses nothing.
    async fn block_mined(
        &self,
        ctx: &Context<'_>,
        after_height: Option<i32>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Block>> + use<>> {
        let after = match after_height {
            None => None,
            Some(-1) => Some(None),
            Some(h) => Some(Some(u64::try_from(h).map_err(|_| {
                bad_request(format!(
                    "afterHeight {h} must be -1 (from genesis) or a height"
                ))
            })?)),
        };
        let node: Arc<Node> = node(ctx)?.clone();
        // Subscribe before reading the chain: a block committed in between is then both in the
        // channel and at or below `last`, and is skipped rather than lost. The genesis is read
        // before the tip, so a reset in between makes the feed replay the new chain rather than
        // skip it.
        let events = node.subscribe();
        let genesis = node.blocks_from(0, 1).await.api()?.first().map(|b| b.hash);
        let info = node.chain_info().await.api()?;
        let (last, last_hash) = match after {
            None => (info.height, info.tip_hash),
            Some(after) => (after, None),
        };
        let feed = BlockFeed {
            node,
            events,
            last,
            last_hash,
            known_tip: info.height,
            genesis,
            backlog: VecDeque::new(),
        };
        Ok(futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item.map(Block::new).api(), feed))
        }))
    }

    /// Every pool change from now on: accepted sends (PENDING), refused ones (REJECTED) and
    /// entries mined (MINED). With `afterId`, first every entry still in the pool (pending or
    /// rejected) with a larger id, oldest first, then live changes, without duplicates; entries
    /// mined meanwhile are in the blocks (`blockMined(afterHeight:)`). A subscriber that lags
    /// gets the entries added meanwhile the same way.
    async fn pool_changed(
        &self,
        ctx: &Context<'_>,
        after_id: Option<i32>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<PoolEntry>> + use<>> {
        let node = node(ctx)?.clone();
        let feed = PoolFeed::new(node, after_id.map(i64::from));
        Ok(futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item.api(), feed))
        }))
    }

    /// Each time a transaction touching one of `addresses` (1…100) enters the pool, is mined, or
    /// disappears (a reset or revert took it away), one event per transaction and address.
    async fn address_activity(
        &self,
        ctx: &Context<'_>,
        addresses: Vec<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<AddressActivity>> + use<>>
    {
        if addresses.is_empty() || addresses.len() > MAX_WATCHED {
            return Err(bad_request(format!(
                "addresses: watch 1 to {MAX_WATCHED} addresses, not {}",
                addresses.len()
            )));
        }
        let watched = addresses
            .iter()
            .map(|a| parse_address("addresses", a))
            .collect::<Result<HashSet<_>, _>>()
            .api()?;
        let feed = ActivityFeed::new(node(ctx)?.clone(), watched);
        Ok(futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item.api(), feed))
        }))
    }

    /// The status of transaction `txId` at once (null while unknown), then each time it changes:
    /// it enters the pool, moves up the queue, is mined, gains a confirmation, or disappears.
    async fn transaction_status(
        &self,
        ctx: &Context<'_>,
        tx_id: String,
    ) -> async_graphql::Result<
        impl Stream<Item = async_graphql::Result<Option<TransactionStatus>>> + use<>,
    > {
        let txid: Txid = tx_id
            .trim()
            .parse()
            .map_err(|e: crate::chain::HashParseError| bad_request(e.to_string()))?;
        let node: Arc<Node> = node(ctx)?.clone();
        let events = node.subscribe();
        let state = (node, events, None::<Option<TxStatus>>);
        Ok(futures::stream::unfold(
            state,
            move |(node, mut events, shown)| async move {
                let mut first = shown.is_none();
                loop {
                    if !first {
                        match events.recv().await {
                            Ok(NodeEvent::MiningChanged(_) | NodeEvent::SnapshotsChanged) => {
                                continue;
                            }
                            Ok(_) | Err(RecvError::Lagged(_)) => {}
                            Err(RecvError::Closed) => return None,
                        }
                    }
                    first = false;
                    let status = match node.transaction_status(&txid).await {
                        Ok(status) => status,
                        Err(err) => return Some((Err(err).api(), (node, events, shown))),
                    };
                    if shown.as_ref() != Some(&status) {
                        let answer = Ok(status.clone().map(TransactionStatus));
                        return Some((answer, (node, events, Some(status))));
                    }
                }
            },
        ))
    }

    /// While this server searches for a nonce (a `mineBlock`, `mineBlocks` or interval block),
    /// about four samples a second: attempts so far, the best hash and its leading zero bits,
    /// hashes per second and the expected attempts (2^bits); a last sample with `done` when the
    /// search ends. (Each process reports its own searches.)
    async fn mining_progress(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = MiningProgress> + use<>> {
        let watch = node(ctx)?.watch_mining();
        let ticks = tokio::time::interval(std::time::Duration::from_millis(250));
        Ok(futures::stream::unfold(
            (watch, ticks, None::<MiningSample>),
            |(watch, mut ticks, mut last)| async move {
                loop {
                    ticks.tick().await;
                    match (watch.sample(), last.take()) {
                        (Some(sample), previous) => {
                            // A new search right after another: close the old one first.
                            if let Some(previous) = previous.filter(|p| p.height != sample.height) {
                                let ended = watch.finished(previous.height).unwrap_or(previous);
                                last = Some(sample);
                                return Some((
                                    MiningProgress::new(ended, true),
                                    (watch, ticks, last),
                                ));
                            }
                            last = Some(sample.clone());
                            return Some((
                                MiningProgress::new(sample, false),
                                (watch, ticks, last),
                            ));
                        }
                        (None, Some(previous)) => {
                            let ended = watch.finished(previous.height).unwrap_or(previous);
                            return Some((MiningProgress::new(ended, true), (watch, ticks, None)));
                        }
                        (None, None) => {}
                    }
                }
            },
        ))
    }

    /// Each time the main chain moves to another branch of the block tree (a branch from a
    /// peer or `submitBlock` gathered more work). `blockMined` then delivers the new branch's
    /// blocks from the fork up.
    async fn chain_reorganized(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = ChainReorganization> + use<>> {
        let events = node(ctx)?.subscribe();
        Ok(futures::stream::unfold(events, |mut events| async move {
            loop {
                match events.recv().await {
                    Ok(NodeEvent::ChainReorganized(reorg)) => {
                        return Some((ChainReorganization(reorg), events));
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
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

    /// The peers this node follows: the list now, then again each time a peer is added or
    /// removed or its state, height, tip, last error or counters change — the latest list, at
    /// most four times a second.
    async fn peers_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Vec<Peer>> + use<>> {
        let network = network(ctx)?.clone();
        let mut changes = network.changes();
        changes.mark_changed();
        Ok(futures::stream::unfold(
            (network, changes, true),
            |(network, mut changes, first)| async move {
                if !first {
                    tokio::time::sleep(PEERS_CHANGED_EVERY).await;
                }
                changes.changed().await.ok()?;
                let list = network.peers().into_iter().map(Peer).collect();
                Some((list, (network, changes, false)))
            },
        ))
    }
}

/// Shortest time between two `peersChanged` answers.
const PEERS_CHANGED_EVERY: Duration = Duration::from_millis(250);

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
