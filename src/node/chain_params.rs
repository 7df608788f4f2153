//! The chain's parameters belong to the chain: they are recorded when it is new, and a node
//! opened with other ones is refused before it writes, since every block it mined would break
//! the chain's own rules.

use super::Node;
use super::error::{NodeError, NodeResult};
use crate::chain::Params;
use crate::store::{Store, blocks, params};

impl Node {
    /// The parameters the chain in `store` runs with: the recorded ones, or, for a chain written
    /// before they were recorded, those its genesis block shows (difficulty from its header,
    /// reward from its coinbase). `None` for a new chain. Fields that are not recorded come
    /// from `defaults`.
    pub async fn chain_params(store: &Store, defaults: &Params) -> NodeResult<Option<Params>> {
        if let Some(stored) = params::get(store.db(), defaults).await? {
            return Ok(Some(stored));
        }
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
            ..*defaults
        }))
    }
}

/// At open: refuses `requested` when the chain has blocks and recorded other parameters;
/// records `requested` for a new chain, and the inferred ones for a chain that had none.
pub(super) async fn settle(store: &Store, requested: &Params, has_blocks: bool) -> NodeResult<()> {
    let recorded = params::get(store.db(), requested).await?;
    let chain = match recorded {
        Some(recorded) => Some(recorded),
        None => Node::chain_params(store, requested).await?,
    };
    let write = match chain {
        Some(chain) if has_blocks && !same_rules(&chain, requested) => {
            return Err(NodeError::ParamsMismatch {
                chain: describe(&chain),
                requested: describe(requested),
            });
        }
        Some(_) if has_blocks => recorded.is_none(),
        // A chain without blocks is new: the flags choose.
        _ => !recorded.is_some_and(|r| same_rules(&r, requested)),
    };
    if write {
        let txn = store.begin_write().await?;
        params::set(&txn, requested).await?;
        crate::store::commit(txn).await?;
    }
    Ok(())
}

/// Whether two sets agree on every consensus rule.
fn same_rules(a: &Params, b: &Params) -> bool {
    (a.difficulty_bits, a.block_reward, a.max_block_txs)
        == (b.difficulty_bits, b.block_reward, b.max_block_txs)
}

/// `difficulty 12 bits, reward 10`, as an operator gives them.
pub fn describe(params: &Params) -> String {
    format!(
        "difficulty {} bits, reward {}",
        params.difficulty_bits, params.block_reward
    )
}
