//! Mining and the dev controls: mining blocks on demand, the mining mode, dev accounts and the
//! faucet, resets, and nonce searches as they run.
use async_graphql::{Context, Object, Subscription};
use futures::Stream;

use crate::graphql::access::TokenGuard;
use crate::graphql::block::Block;
use crate::graphql::dev_account::{DevAccount, ResetTarget};
use crate::graphql::error::{ApiResult, bad_request};
use crate::graphql::mining::{MiningMode, MiningStatus};
use crate::graphql::mining_progress::{MiningProgress, progress};
use crate::graphql::node;
use crate::graphql::pool_entry::PoolEntry;
use crate::graphql::read_again::read_again_on;
use crate::graphql::wallet::Wallet;
use crate::node::{MiningChange, NodeEvent, parse_address};

/// The mining queries.
#[derive(Default)]
pub struct MiningQuery;

#[Object]
impl MiningQuery {
    /// How the node mines on its own (MANUAL, AUTO or INTERVAL) and when the next block is due.
    async fn mining(&self, ctx: &Context<'_>) -> async_graphql::Result<MiningStatus> {
        Ok(MiningStatus(node(ctx)?.mining().await.api()?))
    }

    /// The dev accounts this chain's genesis funded, with their keys (dev chains only: the
    /// phrase they derive from is public). Empty on a chain without a premine, or whose premine
    /// comes from a phrase this node was not given (`--seed-phrase`).
    async fn dev_accounts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DevAccount>> {
        let accounts = node(ctx)?.dev_account_balances().await.api()?;
        Ok(accounts
            .into_iter()
            .map(|a| DevAccount {
                index: a.index,
                address: a.address.to_string(),
                secret_key: hex::encode(a.key.to_bytes()),
                balance: a.balance,
                faucet: a.faucet,
            })
            .collect())
    }
}

/// The mining mutations.
#[derive(Default)]
pub struct MiningMutation;

#[Object]
impl MiningMutation {
    /// Mines a block paying the reward to `address` with up to `txCount` of the oldest pending
    /// transactions. On an empty chain this mines the genesis block.
    #[graphql(guard = "TokenGuard")]
    async fn mine_block(
        &self,
        ctx: &Context<'_>,
        address: String,
        #[graphql(default = 5)] tx_count: i32,
    ) -> async_graphql::Result<Block> {
        let address = parse_address("address", &address).api()?;
        let block = node(ctx)?
            .mine_block(&address, Some(tx_count.into()))
            .await
            .api()?;
        Ok(Block::new(block))
    }

    /// Mines `count` (1…1000) blocks to `address`, each with up to `txCount` of the oldest
    /// pending transactions, committed and announced in runs of at most 100 blocks or 25 ms
    /// (subscribers get each run's blocks as it commits; other writers wait at most a run). If one
    /// fails, the runs committed before it stay, and the error says so: its message and
    /// `extensions.minedCount` / `lastHeight` (its `code` is that of what stopped it).
    #[graphql(guard = "TokenGuard")]
    async fn mine_blocks(
        &self,
        ctx: &Context<'_>,
        address: String,
        count: i32,
        #[graphql(default = 5)] tx_count: i32,
    ) -> async_graphql::Result<Vec<Block>> {
        let address = parse_address("address", &address).api()?;
        let blocks = node(ctx)?
            .mine_blocks(&address, count.into(), Some(tx_count.into()), |_| {})
            .await
            .api()?;
        Ok(blocks.into_iter().map(Block::new).collect())
    }

    /// Sets how the node mines on its own. Arguments left out keep their current value. AUTO and
    /// INTERVAL need a miner address (given now or before: `MINER_ADDRESS_REQUIRED` otherwise),
    /// INTERVAL an interval of 1…86,400 seconds. Stored: it outlives restarts, and replicas
    /// share it.
    #[graphql(guard = "TokenGuard")]
    async fn set_mining(
        &self,
        ctx: &Context<'_>,
        mode: MiningMode,
        address: Option<String>,
        interval_seconds: Option<i32>,
        tx_count: Option<i32>,
    ) -> async_graphql::Result<MiningStatus> {
        let address = address
            .map(|a| parse_address("address", &a))
            .transpose()
            .api()?;
        let change = MiningChange {
            mode: mode.into(),
            address,
            interval_seconds: interval_seconds.map(i64::from),
            tx_count: tx_count.map(i64::from),
        };
        Ok(MiningStatus(node(ctx)?.set_mining(change).await.api()?))
    }

    /// Clears everything and starts again, as Anvil's `anvil_reset`: TRAINING (the default)
    /// replays the reference's scenario, 8 wallets (returned in creation order) ending with
    /// balances 75, 22, 1, 0, 0, 0, 1, 1 and two pending transactions; ACCOUNTS starts the dev
    /// accounts' premined genesis (the accounts returned, AUTO mining to the faucet); EMPTY
    /// leaves no blocks and no wallets. The dev clock goes back to the wall clock, and the
    /// chain's premine becomes the new chain's.
    #[graphql(guard = "TokenGuard")]
    async fn reset_system(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "ResetTarget::Training")] to: ResetTarget,
    ) -> async_graphql::Result<Vec<Wallet>> {
        let node = node(ctx)?;
        let wallets = node.reset_system(to.into()).await.api()?;
        Ok(wallets.iter().map(Wallet::new).collect())
    }

    /// Pays `amount` to any address from the faucet (the last dev account), as Anvil's
    /// `anvil_setBalance` for a chain of coins: a payment like `send`, mined before the answer
    /// in AUTO mode. `NO_FAUCET` on a chain without dev accounts; `FAUCET_EMPTY` (with
    /// `available` and `requested`) when the faucet cannot cover it.
    #[graphql(guard = "TokenGuard")]
    async fn fund(
        &self,
        ctx: &Context<'_>,
        address: String,
        amount: i32,
    ) -> async_graphql::Result<PoolEntry> {
        let to = parse_address("address", &address).api()?;
        let sent = node(ctx)?.fund(&to, amount.into()).await.api()?;
        Ok(PoolEntry::sent(sent))
    }

    /// Moves the dev clock `seconds` (0 or more) forward, as Anvil's `evm_increaseTime`: every
    /// later block's timestamp is that much later. Stored, like the mining settings.
    #[graphql(guard = "TokenGuard")]
    async fn increase_time(
        &self,
        ctx: &Context<'_>,
        seconds: i32,
    ) -> async_graphql::Result<MiningStatus> {
        Ok(MiningStatus(
            node(ctx)?.increase_time(seconds.into()).await.api()?,
        ))
    }

    /// Fixes the next block's timestamp (Unix seconds), as Anvil's `evm_setNextBlockTimestamp`;
    /// blocks after it go on from there. Not before the tip's timestamp (`BAD_REQUEST`).
    #[graphql(guard = "TokenGuard")]
    async fn set_next_block_timestamp(
        &self,
        ctx: &Context<'_>,
        timestamp: i32,
    ) -> async_graphql::Result<MiningStatus> {
        let timestamp = u64::try_from(timestamp)
            .map_err(|_| bad_request(format!("timestamp must not be negative, got {timestamp}")))?;
        Ok(MiningStatus(
            node(ctx)?.set_next_block_timestamp(timestamp).await.api()?,
        ))
    }
}

/// The mining subscriptions.
#[derive(Default)]
pub struct MiningSubscription;

#[Subscription]
impl MiningSubscription {
    /// While this server searches for a nonce (a `mineBlock`, `mineBlocks` or interval block),
    /// about four samples a second: attempts so far, the best hash and its leading zero bits,
    /// hashes per second and the expected attempts (2^bits); a last sample with `done` when the
    /// search ends. (Each process reports its own searches.)
    async fn mining_progress(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = MiningProgress> + use<>> {
        Ok(progress(node(ctx)?.watch_mining()))
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
}
