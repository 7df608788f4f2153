//! Wallets and the pool: keystore wallets, payments (sent by the node or signed by the
//! client), and where each pending transaction stands.
use async_graphql::{Context, Object, Subscription};
use futures::Stream;

use super::parse_hash;
use crate::chain::Txid;
use crate::graphql::access::TokenGuard;
use crate::graphql::connection::{self, Page, page, page_size, total_if_asked};
use crate::graphql::error::ApiResult;
use crate::graphql::node;
use crate::graphql::pool_entry::PoolEntry;
use crate::graphql::pool_feed::PoolFeed;
use crate::graphql::tx_status::{TransactionStatus, status_feed};
use crate::graphql::unsigned_tx::UnsignedTransaction;
use crate::graphql::wallet::Wallet;
use crate::node::parse_address;

/// The wallets queries.
#[derive(Default)]
pub struct WalletQuery;

#[Object]
impl WalletQuery {
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
}

/// The wallets mutations.
#[derive(Default)]
pub struct WalletMutation;

#[Object]
impl WalletMutation {
    /// Creates a keystore wallet. The secret key stays on the server, encrypted.
    #[graphql(guard = "TokenGuard")]
    async fn new_wallet(&self, ctx: &Context<'_>) -> async_graphql::Result<Wallet> {
        let wallet = node(ctx)?.new_wallet().await.api()?;
        Ok(Wallet::with_balance(&wallet, 0))
    }

    /// Sends `amount` units from a keystore wallet to any address and pools the transaction.
    /// Mined coins are spent first, then the change of the wallet's pending payments (chained
    /// payments; under `--pool-policy reference` a wallet with a pending send is
    /// `WALLET_LOCKED` instead). A refused send is also logged in the pool. In AUTO mining mode
    /// the transaction is mined before the answer, which is MINED and names its `block`.
    #[graphql(guard = "TokenGuard")]
    async fn send(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        amount: i32,
    ) -> async_graphql::Result<PoolEntry> {
        let sent = node(ctx)?
            .send_and_report(&from, &to, amount.into())
            .await
            .api()?;
        Ok(PoolEntry::sent(sent))
    }

    /// Pools a transaction signed by the client (hex of its canonical encoding, at most 100,000
    /// bytes), after the checks a block applies to it: inputs unspent (outputs of pending
    /// transactions count, unless `--pool-policy reference`) and not spent by a pending
    /// transaction (`DOUBLE_SPEND`), signatures valid and by the owners' keys, value conserved,
    /// no coinbase. A refusal is `INVALID_TRANSACTION` with `extensions.check` naming the failed
    /// check, and is logged in the pool like a refused send. Submitting a pending transaction
    /// again answers its entry. In AUTO mining mode the answer is MINED and names its `block`.
    #[graphql(guard = "TokenGuard")]
    async fn submit_transaction(
        &self,
        ctx: &Context<'_>,
        raw_hex: String,
        #[graphql(
            default = false,
            desc = "True when a peer relays the transaction: a refusal is then answered but \
                    not recorded in the pool's refusal log, which is the user's own."
        )]
        relayed: bool,
    ) -> async_graphql::Result<PoolEntry> {
        let node = node(ctx)?;
        let sent = if relayed {
            node.relay_transaction(&raw_hex).await
        } else {
            node.submit_transaction(&raw_hex).await
        };
        Ok(PoolEntry::sent(sent.api()?))
    }

    /// Drops pending transaction `txId` from the pool, as Anvil's `anvil_dropTransaction`: it
    /// moves to the refusal log (REJECTED, "dropped: dropTransaction"), and its coins are free
    /// to spend again. Pending transactions spending its outputs leave with it. False if it is
    /// not pending.
    #[graphql(guard = "TokenGuard")]
    async fn drop_transaction(
        &self,
        ctx: &Context<'_>,
        tx_id: String,
    ) -> async_graphql::Result<bool> {
        let txid: Txid = parse_hash(&tx_id)?;
        node(ctx)?.drop_transaction(&txid).await.api()
    }

    /// Drops every pending transaction, as Anvil's `anvil_dropAllTransactions` (each to the
    /// refusal log, "dropped: clearPool"); how many there were.
    #[graphql(guard = "TokenGuard")]
    async fn clear_pool(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        node(ctx)?.clear_pool().await.api()
    }
}

/// The wallets subscriptions.
#[derive(Default)]
pub struct WalletSubscription;

#[Subscription]
impl WalletSubscription {
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

    /// The status of transaction `txId` at once (null while unknown), then each time it changes:
    /// it enters the pool, moves up the queue, is mined, gains a confirmation, or disappears.
    async fn transaction_status(
        &self,
        ctx: &Context<'_>,
        tx_id: String,
    ) -> async_graphql::Result<
        impl Stream<Item = async_graphql::Result<Option<TransactionStatus>>> + use<>,
    > {
        let txid: Txid = parse_hash(&tx_id)?;
        Ok(status_feed(node(ctx)?.clone(), txid))
    }
}
