//! The chain and its blocks: reading the main chain and the tree, submitting blocks, and
//! hearing of new blocks, reorganisations and resets.
use std::sync::Arc;

use async_graphql::{Context, Object, Subscription};
use futures::Stream;
use std::collections::VecDeque;
use tokio::sync::broadcast::error::RecvError;

use super::parse_hash;
use crate::chain::BlockHash;
use crate::graphql::access::{Access, TokenGuard};
use crate::graphql::block::Block;
use crate::graphql::block_feed::BlockFeed;
use crate::graphql::block_submission::SubmitBlockResult;
use crate::graphql::chain_info::ChainInfo;
use crate::graphql::connection::{self, Page, page, page_size, total_if_asked};
use crate::graphql::error::{ApiResult, bad_request};
use crate::graphql::node;
use crate::graphql::reorg::ChainReorganization;
use crate::graphql::snapshot::{ChainResetCause, ChainResetEvent};
use crate::graphql::transaction::{Prefetched, Transaction};
use crate::graphql::utxo::{Utxo, utxo_page};
use crate::node::{Node, NodeEvent, parse_address};
use async_graphql::ID;

/// Most heights `blockTree` shows.
const MAX_TREE_DEPTH: u64 = 200;
/// Most side blocks `blockTree` shows.
const MAX_TREE_SIDE_BLOCKS: u64 = 500;

/// The chain queries.
#[derive(Default)]
pub struct ChainQuery;

#[Object]
impl ChainQuery {
    /// Height, tip, parameters, supply and sizes.
    async fn chain(&self, ctx: &Context<'_>) -> async_graphql::Result<ChainInfo> {
        ChainInfo::read(ctx, node(ctx)?).await
    }

    /// Blocks, newest first.
    #[graphql(complexity = "connection::paged_complexity(first, child_complexity)")]
    async fn blocks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Block>> {
        let limit = page_size(first)?;
        let before: Option<u64> = after.map(|c| connection::decode("block", &c)).transpose()?;
        let node = node(ctx)?;
        let mut items = node.shown_blocks(before, limit as u64 + 1).await.api()?;
        let total = total_if_asked(ctx, node.block_count()).await?;
        // Whether outputs are spent is read here for the whole page in one statement; what
        // inputs spend comes with the blocks.
        let look = ctx.look_ahead();
        let outputs = [
            look.field("nodes").field("transactions"),
            look.field("edges").field("node").field("transactions"),
        ]
        .iter()
        .any(|t| t.field("outputs").field("spent").exists());
        items.truncate(limit + 1);
        let shown = &items[..items.len().min(limit)];
        let prefetched = Arc::new(Prefetched::fetch(node, shown, outputs).await.api()?);
        Ok(page(
            items,
            limit,
            before.is_some(),
            total,
            |b| connection::encode("block", &b.stored.height.to_string()),
            |b| Block::with_prefetched(b, prefetched.clone()),
        ))
    }

    /// One block, by hash or by height (exactly one of them); null if there is none.
    async fn block(
        &self,
        ctx: &Context<'_>,
        hash: Option<String>,
        height: Option<i32>,
    ) -> async_graphql::Result<Option<Block>> {
        let node = node(ctx)?;
        let block = match (hash, height) {
            (Some(hash), None) => {
                let hash: BlockHash = parse_hash(&hash)?;
                return Ok(node.block_in_tree(&hash).await.api()?.map(Block::in_tree));
            }
            (None, Some(height)) if height >= 0 => {
                node.block_by_height(height as u64).await.api()?
            }
            (None, Some(height)) => {
                return Err(bad_request(format!(
                    "height must not be negative, got {height}"
                )));
            }
            _ => return Err(bad_request("give exactly one of hash and height")),
        };
        Ok(block.map(|b| Block::new(Arc::new(b))))
    }

    /// A mined transaction by id; null if no block holds it (pending ones are in `pool`).
    async fn transaction(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<Transaction>> {
        let txid = parse_hash(&id)?;
        let found = node(ctx)?.shown_transaction(&txid).await.api()?;
        Ok(found.and_then(Transaction::new))
    }

    /// Unspent outputs, optionally of one address, in outpoint order.
    #[graphql(complexity = "connection::paged_complexity(first, child_complexity)")]
    async fn chainstate(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        address: Option<String>,
    ) -> async_graphql::Result<Page<Utxo>> {
        let address = address
            .map(|a| parse_address("address", &a))
            .transpose()
            .api()?;
        utxo_page(ctx, address.as_ref(), first, after).await
    }

    /// The block tree near the tip: every block (main chain and side branches) at the top
    /// `depth` (1…200, default 20) heights, by height, the main chain's first at each height.
    async fn block_tree(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] depth: i32,
    ) -> async_graphql::Result<Vec<Block>> {
        let depth = u64::try_from(depth)
            .ok()
            .filter(|d| (1..=MAX_TREE_DEPTH).contains(d))
            .ok_or_else(|| {
                bad_request(format!(
                    "depth must be between 1 and {MAX_TREE_DEPTH}, got {depth}"
                ))
            })?;
        let node = node(ctx)?;
        let Some(tip) = node.chain_info().await.api()?.height else {
            return Ok(Vec::new());
        };
        let from = (tip + 1).saturating_sub(depth);
        let blocks = node
            .tree_between(from, tip + MAX_TREE_DEPTH, MAX_TREE_SIDE_BLOCKS)
            .await
            .api()?;
        Ok(blocks.into_iter().map(Block::in_tree).collect())
    }
}

/// The chain mutations.
#[derive(Default)]
pub struct ChainMutation;

#[Object]
impl ChainMutation {
    /// Places a block (hex of its canonical encoding, at most 8 MiB) from a peer or an outside
    /// miner in the block tree. A block on the tip is validated in full and connected; one on
    /// another branch is checked for everything that needs no chainstate and kept, and if its
    /// branch now has more work the node reorganises to it (validating the branch in full); one
    /// whose parent is unknown is held until the parent arrives. Known blocks change nothing. A
    /// block that breaks a rule is `INVALID_BLOCK`, with `extensions.check` naming the rule and
    /// `blockHash` the block that broke it.
    #[graphql(guard = "TokenGuard")]
    async fn submit_block(
        &self,
        ctx: &Context<'_>,
        raw_hex: String,
    ) -> async_graphql::Result<SubmitBlockResult> {
        let sender = ctx.data_opt::<Access>().and_then(|a| a.sender);
        let accepted = node(ctx)?.submit_block(&raw_hex, sender).await.api()?;
        Ok(accepted.into())
    }

    /// Places several blocks (hex, in order; at most 500, at the block route together no larger
    /// than the largest block) as `submitBlock` places each, in one commit: a run extending the tip is
    /// validated and connected together. Peers announce the blocks another node lacks this way.
    /// The blocks before one that breaks a rule are kept; that one is `INVALID_BLOCK`, as there.
    /// A block that does not decode refuses them all.
    #[graphql(guard = "TokenGuard")]
    async fn submit_blocks(
        &self,
        ctx: &Context<'_>,
        raw_hex: Vec<String>,
    ) -> async_graphql::Result<Vec<SubmitBlockResult>> {
        if raw_hex.len() > MAX_SUBMITTED_BLOCKS {
            return Err(bad_request(format!(
                "at most {MAX_SUBMITTED_BLOCKS} blocks in one submitBlocks, got {}",
                raw_hex.len()
            )));
        }
        let sender = ctx.data_opt::<Access>().and_then(|a| a.sender);
        let accepted = node(ctx)?.submit_blocks(&raw_hex, sender).await.api()?;
        Ok(accepted.into_iter().map(Into::into).collect())
    }
}

/// Most blocks one `submitBlocks` takes.
pub const MAX_SUBMITTED_BLOCKS: usize = 500;

/// The chain subscriptions.
#[derive(Default)]
pub struct ChainSubscription;

#[Subscription]
impl ChainSubscription {
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
        // skip it. The subscription is counted once it knows where it starts.
        let (events, setting_up) = node.subscribe_counted_later();
        let genesis = node.blocks_from(0, 1).await.api()?.first().map(|b| b.hash);
        let info = node.chain_info().await.api()?;
        let (last, last_hash) = match after {
            None => (info.height, info.tip_hash),
            Some(after) => (after, None),
        };
        // Read after the tip, so a standby at this version holds every block of the replay.
        let replay = match (after, info.height) {
            (Some(_), Some(tip)) => Some((tip, node.state_version().await.api()?)),
            _ => None,
        };
        drop(setting_up);
        let feed = BlockFeed {
            node,
            events,
            last,
            last_hash,
            known_tip: info.height,
            replay,
            genesis,
            backlog: VecDeque::new(),
        };
        Ok(futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item.map(Block::new).api(), feed))
        }))
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
                        height: genesis.map(|_| 0),
                        tip_hash: genesis.map(|g| g.to_string()),
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
}
