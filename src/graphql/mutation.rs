//! The mutations. Each needs the API token when one is configured.

use async_graphql::{Context, ErrorExtensions, Guard, ID, Object};

use super::block::Block;
use super::block_submission::SubmitBlockResult;
use super::chain_info::ChainInfo;
use super::error::{ApiError, ApiResult};
use super::mining::{MiningMode, MiningStatus};
use super::peer::Peer;
use super::pool_entry::PoolEntry;
use super::snapshot::Snapshot;
use super::wallet::Wallet;
use super::{network, node};
use crate::node::{MiningChange, parse_address};

/// Whether this request may change state: true without a configured token, otherwise only
/// with `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// Mutations allowed.
    pub may_mutate: bool,
}

/// Refuses mutations without [`Access::may_mutate`].
struct TokenGuard;

impl Guard for TokenGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match ctx.data_opt::<Access>() {
            Some(Access { may_mutate: true }) => Ok(()),
            _ => Err(ApiError::Unauthorized.extend()),
        }
    }
}

/// State changes.
#[derive(Default)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// Creates a keystore wallet. The secret key stays on the server, encrypted.
    #[graphql(guard = "TokenGuard")]
    async fn new_wallet(&self, ctx: &Context<'_>) -> async_graphql::Result<Wallet> {
        let wallet = node(ctx)?.new_wallet().await.api()?;
        Ok(Wallet::with_balance(&wallet, 0))
    }

    /// Sends `amount` units from a keystore wallet to any address and pools the transaction.
    /// The sender is locked until it is mined. A refused send is also logged in the pool. In
    /// AUTO mining mode the transaction is mined before the answer, which is MINED and names
    /// its `block`.
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
    /// bytes), after the checks a block applies to it: inputs unspent and not spent by a pending
    /// transaction (`DOUBLE_SPEND`), signatures valid and by the owners' keys, value conserved,
    /// no coinbase. A refusal is `INVALID_TRANSACTION` with `extensions.check` naming the failed
    /// check, and is logged in the pool like a refused send. Submitting a pending transaction
    /// again answers its entry. In AUTO mining mode the answer is MINED and names its `block`.
    #[graphql(guard = "TokenGuard")]
    async fn submit_transaction(
        &self,
        ctx: &Context<'_>,
        raw_hex: String,
    ) -> async_graphql::Result<PoolEntry> {
        let sent = node(ctx)?.submit_transaction(&raw_hex).await.api()?;
        Ok(PoolEntry::sent(sent))
    }

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
        let accepted = node(ctx)?.submit_block(&raw_hex).await.api()?;
        Ok(accepted.into())
    }

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
    /// pending transactions, committed and announced one by one (subscribers get each block as it
    /// commits). If one fails, the blocks before it stay, and the error says so: its message and
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

    /// Clears everything and replays the training scenario: 8 wallets (returned in creation
    /// order) ending with balances 75, 22, 1, 0, 0, 0, 1, 1 and two pending transactions.
    #[graphql(guard = "TokenGuard")]
    async fn reset_system(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Wallet>> {
        let node = node(ctx)?;
        let wallets = node.reset_system().await.api()?;
        Ok(wallets.iter().map(Wallet::new).collect())
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

    /// Saves the whole state (chain, chainstate, pool with its refusals, keystore, index) to
    /// revert to later. Costs one row and a copy of the pool, whatever the chain's length.
    #[graphql(guard = "TokenGuard")]
    async fn snapshot(
        &self,
        ctx: &Context<'_>,
        name: Option<String>,
    ) -> async_graphql::Result<Snapshot> {
        Ok(Snapshot(node(ctx)?.snapshot(name.as_deref()).await.api()?))
    }

    /// Puts every table back as it was at snapshot `id`, in one transaction. The snapshot stays
    /// (revert to it again at will); snapshots taken after it are deleted. Subscribers of
    /// `chainReset` hear of it, and `blockMined` continues from the restored tip.
    #[graphql(guard = "TokenGuard")]
    async fn revert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ChainInfo> {
        let id = snapshot_id(&id)?;
        let node = node(ctx)?;
        node.revert(id).await.api()?;
        Ok(ChainInfo(node.chain_info().await.api()?))
    }

    /// Deletes snapshot `id`; false if there was none.
    #[graphql(guard = "TokenGuard")]
    async fn delete_snapshot(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let id = snapshot_id(&id)?;
        node(ctx)?.delete_snapshot(id).await.api()
    }
}

/// A snapshot id argument: a decimal integer.
fn snapshot_id(id: &ID) -> async_graphql::Result<i64> {
    id.parse::<i64>().map_err(|_| {
        ApiError::BadRequest(format!("snapshot id {:?} is not a number", id.as_str())).extend()
    })
}
