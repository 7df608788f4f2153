//! Batched lookups for nested fields, one loader per parent→child edge, created per request: a
//! page of blocks or wallets costs a fixed number of statements, not one per row.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use super::error::ApiError;
use crate::chain::{Address, BlockHash, OutPoint, TxOut};
use crate::model::ShownBlock;
use crate::node::Node;

/// The loader behind every batched edge; keys are typed by the edge they serve.
pub struct ChainLoader {
    node: Arc<Node>,
}

impl ChainLoader {
    /// A loader over `node`.
    pub fn new(node: Arc<Node>) -> Self {
        Self { node }
    }
}

/// Wallet → balance.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BalanceOf(pub Address);

/// Output → whether it is spent (absent from the chainstate).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpentState(pub OutPoint);

/// Input → the output it spends (value and owner).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpentOutput(pub OutPoint);

/// Transaction → its block, when on the main chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockOf(pub BlockHash);

/// The chain's tip height, read once per request (for confirmations).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TipHeight;

/// Loader errors are shared by every waiting field.
pub type LoadError = Arc<ApiError>;

fn shared(err: crate::node::NodeError) -> LoadError {
    Arc::new(ApiError::Node(err))
}

impl Loader<BalanceOf> for ChainLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[BalanceOf]) -> Result<HashMap<BalanceOf, u64>, LoadError> {
        let addresses: Vec<Address> = keys.iter().map(|k| k.0).collect();
        let balances = self.node.balances(&addresses).await.map_err(shared)?;
        Ok(keys
            .iter()
            .map(|k| (*k, balances.get(&k.0).copied().unwrap_or(0)))
            .collect())
    }
}

impl Loader<SpentState> for ChainLoader {
    type Value = bool;
    type Error = LoadError;

    async fn load(&self, keys: &[SpentState]) -> Result<HashMap<SpentState, bool>, LoadError> {
        let outpoints: Vec<OutPoint> = keys.iter().map(|k| k.0).collect();
        let unspent = self.node.unspent_among(&outpoints).await.map_err(shared)?;
        Ok(keys.iter().map(|k| (*k, !unspent.contains(&k.0))).collect())
    }
}

impl Loader<SpentOutput> for ChainLoader {
    type Value = TxOut;
    type Error = LoadError;

    async fn load(&self, keys: &[SpentOutput]) -> Result<HashMap<SpentOutput, TxOut>, LoadError> {
        let outpoints: Vec<OutPoint> = keys.iter().map(|k| k.0).collect();
        let outputs = self.node.outputs_of(&outpoints).await.map_err(shared)?;
        Ok(outputs
            .into_iter()
            .map(|(outpoint, output)| (SpentOutput(outpoint), output))
            .collect())
    }
}

impl Loader<BlockOf> for ChainLoader {
    type Value = Arc<ShownBlock>;
    type Error = LoadError;

    async fn load(&self, keys: &[BlockOf]) -> Result<HashMap<BlockOf, Arc<ShownBlock>>, LoadError> {
        let hashes: Vec<BlockHash> = keys.iter().map(|k| k.0).collect();
        let blocks = self.node.shown_main_blocks(&hashes).await.map_err(shared)?;
        Ok(blocks
            .into_iter()
            .map(|(hash, block)| (BlockOf(hash), block))
            .collect())
    }
}

impl Loader<TipHeight> for ChainLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, _: &[TipHeight]) -> Result<HashMap<TipHeight, u64>, LoadError> {
        let tip = self.node.tip().await.map_err(shared)?;
        Ok(tip.map(|t| (TipHeight, t.height)).into_iter().collect())
    }
}
