//! The chain's parameters belong to the chain: they are recorded when it is new, and a node
//! opened with other ones is refused before it writes, since every block it mined would break
//! the chain's own rules.

use super::Node;
use super::error::{NodeError, NodeResult};
use crate::chain::{Params, Premine};
use crate::store::{Store, blocks, params};

impl Node {
    /// Whether the chain in `store` has no blocks yet (a command that opens it starts it).
    pub async fn is_empty(store: &Store) -> NodeResult<bool> {
        Ok(blocks::tip(store.db()).await?.is_none())
    }

    /// The parameters the chain in `store` runs with: the recorded ones, or, for a chain written
    /// before they were recorded, those its genesis block shows. `None` for a new chain. Fields
    /// that are not recorded come from `defaults`.
    pub async fn chain_params(store: &Store, defaults: &Params) -> NodeResult<Option<Params>> {
        match params::get(store.db(), defaults).await? {
            Some(recorded) => Ok(Some(recorded)),
            None => from_genesis(store, defaults).await,
        }
    }
}

/// The parameters a genesis block shows: difficulty from its header, reward from its coinbase.
async fn from_genesis(store: &Store, defaults: &Params) -> NodeResult<Option<Params>> {
    let Some(genesis) = blocks::by_height(store.db(), 0).await? else {
        return Ok(None);
    };
    let reward = genesis
        .block
        .transactions
        .first()
        .and_then(|coinbase| coinbase.outputs.first())
        .map_or(defaults.block_reward, |output| output.value);
    Ok(Some(Params {
        difficulty_bits: genesis.block.header.bits,
        block_reward: reward,
        premine: Premine::default(),
        ..defaults.clone()
    }))
}

/// At open: a chain without blocks is new, and takes `requested`. A chain with blocks keeps
/// its own: `requested` must agree with them, and they are recorded if they were not yet.
pub(super) async fn settle(store: &Store, requested: &Params, has_blocks: bool) -> NodeResult<()> {
    let recorded = params::get(store.db(), requested).await?;
    let was_recorded = recorded.is_some();
    if !has_blocks {
        if !recorded.is_some_and(|r| same_rules(&r, requested)) {
            record(store, requested).await?;
        }
        return Ok(());
    }
    let chain = match recorded {
        Some(recorded) => recorded,
        None => from_genesis(store, requested)
            .await?
            .unwrap_or_else(|| requested.clone()),
    };
    if !same_rules(&chain, requested) {
        return Err(NodeError::ParamsMismatch {
            chain: describe(&chain),
            requested: describe(requested),
        });
    }
    if !was_recorded {
        record(store, requested).await?;
    }
    Ok(())
}

async fn record(store: &Store, params: &Params) -> NodeResult<()> {
    let txn = store.begin_write().await?;
    params::set(&txn, params).await?;
    Ok(crate::store::commit(txn).await?)
}

/// Whether two sets agree on every consensus rule.
fn same_rules(a: &Params, b: &Params) -> bool {
    (
        a.difficulty_bits,
        a.block_reward,
        a.max_block_txs,
        &a.premine,
    ) == (
        b.difficulty_bits,
        b.block_reward,
        b.max_block_txs,
        &b.premine,
    )
}

/// `difficulty 12 bits, reward 10, no premine`, as an operator gives them.
pub fn describe(params: &Params) -> String {
    format!(
        "difficulty {} bits, reward {}, {}",
        params.difficulty_bits,
        params.block_reward,
        params.premine.describe()
    )
}
