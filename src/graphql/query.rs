//! The queries.

use std::sync::Arc;

use async_graphql::{Context, Object};

use super::address::AddressInfo;
use super::block::Block;
use super::chain_info::ChainInfo;
use super::connection::{self, Page, page, page_size, total_if_asked};
use super::error::{ApiResult, bad_request};
use super::lab::{BlockCheck, BlockPatch};
use super::mining::MiningStatus;
use super::peer::Peer;
use super::pool_entry::PoolEntry;
use super::snapshot::Snapshot;
use super::transaction::{Prefetched, Transaction};
use super::tx_status::TransactionStatus;
use super::unsigned_tx::UnsignedTransaction;
use super::utxo::{Utxo, utxo_page};
use super::wallet::Wallet;
use super::{network, node};
use crate::chain::{BlockHash, HashParseError, Txid};
use crate::node::{MAX_LOCATOR, parse_address};

/// Most blocks one `rawBlocks` answers.
const MAX_RAW_BLOCKS: u64 = 100;
/// Most hex one `rawBlocks` answers before it stops early (it always gives at least one block).
const MAX_RAW_BLOCKS_HEX: usize = 8 << 20;

/// Most heights `blockTree` shows.
const MAX_TREE_DEPTH: u64 = 200;
/// Most side blocks `blockTree` shows.
const MAX_TREE_SIDE_BLOCKS: u64 = 500;

/// Read access to the chain.
#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// Height, tip, parameters, supply and sizes.
    async fn chain(&self, ctx: &Context<'_>) -> async_graphql::Result<ChainInfo> {
        Ok(ChainInfo(node(ctx)?.chain_info().await.api()?))
    }

    /// The peers this node follows, by URL.
    async fn peers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Peer>> {
        Ok(network(ctx)?.peers().into_iter().map(Peer).collect())
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
        let locator = locator
            .iter()
            .map(|h| h.trim().parse())
            .collect::<Result<Vec<BlockHash>, _>>()
            .map_err(|e: HashParseError| bad_request(format!("locator: {e}")))?;
        let node = node(ctx)?;
        let Some(common) = node.common_block(&locator).await.api()? else {
            return Ok(None);
        };
        let block = node.block_by_hash(&common.hash).await.api()?;
        Ok(block.map(|b| Block::new(Arc::new(b))))
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

    /// The node's keystore wallets in creation order, with balances.
    #[graphql(complexity = "connection::paged_complexity(first, child_complexity)")]
    async fn wallets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Wallet>> {
        let limit = page_size(first)?;
        let after: Option<i64> = after
            .map(|c| connection::decode("wallet", &c))
            .transpose()?;
        let node = node(ctx)?;
        let items = node.wallets(after, limit as u64 + 1).await.api()?;
        let total = total_if_asked(ctx, node.wallet_count()).await?;
        Ok(page(
            items,
            limit,
            after.is_some(),
            total,
            |w| connection::encode("wallet", &w.wallet.id.to_string()),
            |w| Wallet::with_balance(&w.wallet, w.balance),
        ))
    }

    /// One keystore wallet; null if this node has no wallet at that address.
    async fn wallet(
        &self,
        ctx: &Context<'_>,
        address: String,
    ) -> async_graphql::Result<Option<Wallet>> {
        let address = parse_address("address", &address).api()?;
        let info = node(ctx)?.wallet(&address).await.api()?;
        Ok(info.map(|w| Wallet::with_balance(&w.wallet, w.balance)))
    }

    /// Any valid address, keystore wallet or not: totals, unspent outputs, history with net
    /// amounts, pending transactions. An address never seen is all zeros; a malformed one is
    /// `INVALID_ADDRESS`.
    async fn address(
        &self,
        ctx: &Context<'_>,
        address: String,
    ) -> async_graphql::Result<AddressInfo> {
        let address = parse_address("address", &address).api()?;
        let summary = node(ctx)?.address_summary(&address).await.api()?;
        Ok(AddressInfo { address, summary })
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
        let mut items = node.blocks(before, limit as u64 + 1).await.api()?;
        let total = total_if_asked(ctx, node.block_count()).await?;
        // Nested inputs and outputs of the whole page are fetched here in a few statements.
        let look = ctx.look_ahead();
        let txs = [
            look.field("nodes").field("transactions"),
            look.field("edges").field("node").field("transactions"),
        ];
        let inputs = txs.iter().any(|t| {
            let i = t.field("inputs");
            i.field("address").exists() || i.field("value").exists()
        });
        let outputs = txs
            .iter()
            .any(|t| t.field("outputs").field("spent").exists());
        items.truncate(limit + 1);
        let shown = &items[..items.len().min(limit)];
        let prefetched = Arc::new(
            Prefetched::fetch(node, shown, inputs, outputs)
                .await
                .api()?,
        );
        Ok(page(
            items,
            limit,
            before.is_some(),
            total,
            |b| connection::encode("block", &b.height.to_string()),
            |b| Block::with_prefetched(Arc::new(b), prefetched.clone()),
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
        let found = node(ctx)?.transaction(&txid).await.api()?;
        Ok(found.map(|(tx, location)| Transaction {
            tx: Arc::new(tx),
            txid,
            location,
            prefetched: None,
        }))
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

    /// The pool, oldest first: pending transactions, and rejected sends when asked.
    #[graphql(complexity = "connection::paged_complexity(first, child_complexity)")]
    async fn pool(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_rejected: bool,
    ) -> async_graphql::Result<Page<PoolEntry>> {
        let limit = page_size(first)?;
        let after: Option<i64> = after.map(|c| connection::decode("pool", &c)).transpose()?;
        let node = node(ctx)?;
        let items = node
            .pool(include_rejected, after, limit as u64 + 1)
            .await
            .api()?;
        let total = total_if_asked(ctx, node.pool_count(include_rejected)).await?;
        Ok(page(
            items,
            limit,
            after.is_some(),
            total,
            |e| connection::encode("pool", &e.id().to_string()),
            PoolEntry::listed,
        ))
    }

    /// How the node mines on its own (MANUAL, AUTO or INTERVAL) and when the next block is due.
    async fn mining(&self, ctx: &Context<'_>) -> async_graphql::Result<MiningStatus> {
        Ok(MiningStatus(node(ctx)?.mining().await.api()?))
    }

    /// Every snapshot, oldest first.
    async fn snapshots(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Snapshot>> {
        let snapshots = node(ctx)?.snapshots().await.api()?;
        Ok(snapshots.into_iter().map(Snapshot).collect())
    }

    /// The payment `send` would make from any address holding coins (keystore wallet or not),
    /// unsigned, for the key's holder to sign and give to `submitTransaction`. Coins already
    /// spent by a pending transaction are skipped. Writes nothing.
    async fn build_transaction(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        amount: i32,
    ) -> async_graphql::Result<UnsignedTransaction> {
        let request = node(ctx)?
            .build_transaction(&from, &to, amount.into())
            .await
            .api()?;
        Ok(UnsignedTransaction(request))
    }

    /// Where the transaction `txId` stands: PENDING (with its place in the queue) or MINED (with
    /// its block and confirmations); null when it is neither.
    async fn transaction_status(
        &self,
        ctx: &Context<'_>,
        tx_id: String,
    ) -> async_graphql::Result<Option<TransactionStatus>> {
        let txid = parse_hash(&tx_id)?;
        let status = node(ctx)?.transaction_status(&txid).await.api()?;
        Ok(status.map(TransactionStatus))
    }

    /// The lab: runs every rule of block validation, in order, on a copy of block `hash` with
    /// `patch`'s fields replaced, against the chainstate the block was mined on, and says which
    /// later link the change would break. Changes nothing. Null if no block has that hash.
    async fn explain_block(
        &self,
        ctx: &Context<'_>,
        hash: String,
        patch: Option<BlockPatch>,
    ) -> async_graphql::Result<Option<BlockCheck>> {
        let hash: BlockHash = parse_hash(&hash)?;
        let patch = patch.unwrap_or_default().parse()?;
        let lab = node(ctx)?.explain_block(&hash, &patch).await.api()?;
        Ok(lab.map(BlockCheck))
    }
}

/// A transaction id or block hash argument: 64 hex digits, or a `BAD_REQUEST`.
fn parse_hash<T: std::str::FromStr<Err = HashParseError>>(text: &str) -> async_graphql::Result<T> {
    text.trim()
        .parse()
        .map_err(|e: HashParseError| bad_request(e.to_string()))
}
