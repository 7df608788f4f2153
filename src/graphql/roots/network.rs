//! The network: the peers followed, and what a peer asks of this node to sync with it.
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, Object, Subscription};
use futures::Stream;

use super::parse_hash;
use crate::chain::{BlockHash, HashParseError, Txid};
use crate::graphql::access::TokenGuard;
use crate::graphql::block::Block;
use crate::graphql::error::{ApiResult, bad_request};
use crate::graphql::header_run::HeaderRun;
use crate::graphql::peer::Peer;
use crate::graphql::{network, node};
use crate::node::{MAX_HEADERS, MAX_LOCATOR};

/// Most blocks one `rawBlocks` answers.
const MAX_RAW_BLOCKS: u64 = 100;
/// Most hex one `rawBlocks` answers before it stops early (it always gives at least one block).
const MAX_RAW_BLOCKS_HEX: usize = 8 << 20;
/// Shortest time between two `peersChanged` answers.
const PEERS_CHANGED_EVERY: Duration = Duration::from_millis(250);

/// The network queries.
#[derive(Default)]
pub struct NetworkQuery;

#[Object]
impl NetworkQuery {
    /// The peers this node follows, by URL.
    async fn peers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Peer>> {
        Ok(network(ctx)?.peers().into_iter().map(Peer).collect())
    }

    /// This node's block locator: main-chain hashes at exponentially spaced heights, newest
    /// first (the last ten, then doubling gaps, ending at genesis). A peer answers it with
    /// `commonBlock`.
    async fn block_locator(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        let locator = node(ctx)?.block_locator().await.api()?;
        Ok(locator.iter().map(ToString::to_string).collect())
    }

    /// The first block of `locator` (1…128 hashes, newest first) on this node's main chain: the
    /// last block a peer's chain and this one share. Null if none is.
    async fn common_block(
        &self,
        ctx: &Context<'_>,
        locator: Vec<String>,
    ) -> async_graphql::Result<Option<Block>> {
        if locator.is_empty() || locator.len() > MAX_LOCATOR {
            return Err(bad_request(format!(
                "locator: give 1 to {MAX_LOCATOR} hashes, not {}",
                locator.len()
            )));
        }
        let locator = parse_locator(&locator)?;
        let node = node(ctx)?;
        let Some(common) = node.common_block(&locator).await.api()? else {
            return Ok(None);
        };
        let block = node.block_by_hash(&common.hash).await.api()?;
        Ok(block.map(|b| Block::new(Arc::new(b))))
    }

    /// Headers-first sync: up to `count` (1…2,000) headers of this node's main chain after the
    /// first block of `locator` on it (the last block both chains share), as 88-byte encodings
    /// one after another in hex. An empty locator, or one naming no block of the main chain,
    /// starts at genesis. A peer checks each header's link and proof of work, and sums the
    /// work, before it asks for a single body.
    async fn headers(
        &self,
        ctx: &Context<'_>,
        locator: Vec<String>,
        #[graphql(default = 2000)] count: i32,
    ) -> async_graphql::Result<HeaderRun> {
        if locator.len() > MAX_LOCATOR {
            return Err(bad_request(format!(
                "locator: give at most {MAX_LOCATOR} hashes, not {}",
                locator.len()
            )));
        }
        let count = u64::try_from(count)
            .ok()
            .filter(|n| (1..=MAX_HEADERS).contains(n))
            .ok_or_else(|| {
                bad_request(format!(
                    "count must be between 1 and {MAX_HEADERS}, got {count}"
                ))
            })?;
        let locator = parse_locator(&locator)?;
        let run = node(ctx)?.headers_after(&locator, count).await.api()?;
        Ok(HeaderRun(run))
    }

    /// The canonical encoding (hex) of transaction `txId`, pending or mined on the main chain,
    /// signatures included: what a peer fetches to relay it. Null if unknown.
    async fn raw_transaction(
        &self,
        ctx: &Context<'_>,
        tx_id: String,
    ) -> async_graphql::Result<Option<String>> {
        let txid: Txid = parse_hash(&tx_id)?;
        let tx = node(ctx)?.raw_transaction(&txid).await.api()?;
        Ok(tx.map(|tx| hex::encode(tx.encode())))
    }

    /// The canonical encoding of block `hash` (docs/protocol.md, "Block header"), hex: what a
    /// peer or an outside verifier checks. Side blocks of the tree are found too. Null if no
    /// block has that hash.
    async fn raw_block(
        &self,
        ctx: &Context<'_>,
        hash: String,
    ) -> async_graphql::Result<Option<String>> {
        let hash: BlockHash = parse_hash(&hash)?;
        let block = node(ctx)?.block_in_tree(&hash).await.api()?;
        Ok(block.map(|b| hex::encode(b.stored.block.encode())))
    }

    /// The canonical encodings (hex) of up to `count` (1…100) blocks from height `fromHeight`
    /// upwards, in height order: fewer at the tip (none above it), or once 8 MiB of hex is
    /// reached (at least one block). For fetching a chain in batches: continue from the height
    /// after the last one received.
    async fn raw_blocks(
        &self,
        ctx: &Context<'_>,
        from_height: i32,
        count: i32,
    ) -> async_graphql::Result<Vec<String>> {
        let from = u64::try_from(from_height).map_err(|_| {
            bad_request(format!(
                "fromHeight must not be negative, got {from_height}"
            ))
        })?;
        let count = u64::try_from(count)
            .ok()
            .filter(|n| (1..=MAX_RAW_BLOCKS).contains(n))
            .ok_or_else(|| {
                bad_request(format!(
                    "count must be between 1 and {MAX_RAW_BLOCKS}, got {count}"
                ))
            })?;
        let blocks = node(ctx)?
            .encoded_blocks_from(from, count, MAX_RAW_BLOCKS_HEX / 2)
            .await
            .api()?;
        Ok(blocks.iter().map(hex::encode).collect())
    }
}

/// Block hashes given as a locator.
fn parse_locator(locator: &[String]) -> async_graphql::Result<Vec<BlockHash>> {
    locator
        .iter()
        .map(|h| h.trim().parse())
        .collect::<Result<Vec<BlockHash>, _>>()
        .map_err(|e: HashParseError| bad_request(format!("locator: {e}")))
}

/// The network mutations.
#[derive(Default)]
pub struct NetworkMutation;

#[Object]
impl NetworkMutation {
    /// Starts following the node whose API is at `url` (`http://host:port`): check that it runs
    /// the same chain, catch up with it, then take its new blocks and transactions as they come,
    /// and announce this node's to it (with `token` if its API needs one; else `--peer-token`).
    /// Adding a peer already followed answers its status.
    #[graphql(guard = "TokenGuard")]
    async fn add_peer(
        &self,
        ctx: &Context<'_>,
        url: String,
        token: Option<String>,
    ) -> async_graphql::Result<Peer> {
        Ok(Peer(network(ctx)?.add_peer(&url, token).api()?))
    }

    /// Stops following the peer at `url`; false if it was not followed.
    #[graphql(guard = "TokenGuard")]
    async fn remove_peer(&self, ctx: &Context<'_>, url: String) -> async_graphql::Result<bool> {
        Ok(network(ctx)?.remove_peer(&url))
    }
}

/// The network subscriptions.
#[derive(Default)]
pub struct NetworkSubscription;

#[Subscription]
impl NetworkSubscription {
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
