//! `Transaction`, its inputs and outputs.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use super::block::Block;
use super::error::ApiError;
use super::loaders::{BlockOf, SpentOutput, SpentState, TipHeight};
use super::{load, loader};
use crate::chain::merkle::merkle_proof;
use crate::chain::{self, Address, OutPoint, Txid, Witness};
use crate::model::{StoredBlock, TxLocation};
use crate::node::{Node, NodeError};

/// A mined transaction.
pub struct Transaction {
    /// The transaction.
    pub tx: Arc<chain::Transaction>,
    /// Its id.
    pub txid: Txid,
    /// Where it was mined.
    pub location: TxLocation,
    /// Lookups fetched for the whole page it belongs to, if any.
    pub prefetched: Option<Arc<Prefetched>>,
}

/// What a page of blocks' nested fields need, fetched in a few statements for the whole page
/// (instead of relying on loader timing to batch them).
#[derive(Debug, Default)]
pub struct Prefetched {
    /// Spent outputs of the page's inputs, when inputs' values or addresses were selected.
    spent_outputs: Option<HashMap<OutPoint, chain::TxOut>>,
    /// Which of the page's outputs are unspent, when `spent` was selected.
    unspent: Option<HashSet<OutPoint>>,
}

impl Prefetched {
    /// Fetches what the selection needs for `blocks`.
    pub async fn fetch(
        node: &Node,
        blocks: &[StoredBlock],
        inputs: bool,
        outputs: bool,
    ) -> Result<Self, NodeError> {
        let txs = || blocks.iter().flat_map(|b| b.block.transactions.iter());
        let mut prefetched = Self::default();
        if inputs {
            let spent: Vec<OutPoint> = txs()
                .flat_map(|tx| tx.inputs.iter().map(|i| i.previous_output))
                .filter(|o| !o.is_null())
                .collect();
            let heights: Vec<u64> = blocks.iter().map(|b| b.height).collect();
            prefetched.spent_outputs = Some(node.spent_in_blocks(&heights, &spent).await?);
        }
        if outputs {
            let created: Vec<OutPoint> = txs()
                .flat_map(|tx| {
                    let txid = tx.txid();
                    (0..tx.outputs.len() as u32).map(move |vout| OutPoint { txid, vout })
                })
                .collect();
            prefetched.unspent = Some(node.utxos(&created).await?.into_keys().collect());
        }
        Ok(prefetched)
    }
}

#[Object]
impl Transaction {
    /// The transaction id (double SHA-256 of its unsigned encoding).
    async fn id(&self) -> String {
        self.txid.to_string()
    }

    /// Whether this is its block's coinbase (the reward, spending nothing).
    async fn is_coinbase(&self) -> bool {
        self.tx.is_coinbase()
    }

    /// Its index in the block (0 is the coinbase).
    async fn position(&self) -> u32 {
        self.location.position
    }

    /// What it spends.
    async fn inputs(&self) -> Vec<TxInput> {
        self.tx
            .inputs
            .iter()
            .enumerate()
            .map(|(index, input)| TxInput {
                index: index as u32,
                input: *input,
                prefetched: self.prefetched.clone(),
            })
            .collect()
    }

    /// What it creates.
    async fn outputs(&self) -> Vec<TxOutput> {
        self.tx
            .outputs
            .iter()
            .enumerate()
            .map(|(vout, output)| TxOutput {
                outpoint: OutPoint {
                    txid: self.txid,
                    vout: vout as u32,
                },
                output: *output,
                prefetched: self.prefetched.clone(),
            })
            .collect()
    }

    /// Blocks from its block to the tip, inclusive: 1 in the tip.
    async fn confirmations(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        let tip = load(loader(ctx)?.load_one(TipHeight).await)?;
        Ok(tip.map_or(0, |tip| confirmations(tip, self.location.height)))
    }

    /// Its canonical encoding with signatures, hex (`docs/protocol.md`, "Transactions").
    async fn raw_hex(&self) -> String {
        hex::encode(self.tx.encode())
    }

    /// The path from this transaction's id up to its block's merkle root.
    async fn merkle_proof(&self, ctx: &Context<'_>) -> async_graphql::Result<MerkleProof> {
        let block = load(
            loader(ctx)?
                .load_one(BlockOf(self.location.block_hash))
                .await,
        )?
        .ok_or(ApiError::Internal("a mined transaction's block is missing"))?;
        let txids: Vec<Txid> = block
            .block
            .transactions
            .iter()
            .map(chain::Transaction::txid)
            .collect();
        let index = self.location.position as usize;
        let siblings = merkle_proof(&txids, index)
            .ok_or(ApiError::Internal("a transaction outside its block"))?;
        Ok(MerkleProof {
            index: self.location.position,
            siblings: siblings.iter().map(hex::encode).collect(),
            root: block.block.header.merkle_root.to_string(),
        })
    }

    /// The block it was mined in.
    async fn block(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Block>> {
        let block = load(
            loader(ctx)?
                .load_one(BlockOf(self.location.block_hash))
                .await,
        )?;
        Ok(block.map(Block::new))
    }
}

/// Blocks from height `at` to the tip `tip`, inclusive.
pub fn confirmations(tip: u64, at: u64) -> u64 {
    tip.saturating_sub(at) + 1
}

/// How to show that a transaction is in a block, knowing only the block's header: hash the txid
/// with each sibling in turn (`docs/protocol.md`, "Merkle proofs").
#[derive(SimpleObject, Debug, Clone)]
pub struct MerkleProof {
    /// The transaction's position in the block (0 is the coinbase).
    pub index: u32,
    /// The hashes it is paired with, bottom-up, hex.
    pub siblings: Vec<String>,
    /// The block's merkle root, hex: where the path must end.
    pub root: String,
}

/// An input: the output it spends.
pub struct TxInput {
    index: u32,
    input: chain::TxIn,
    prefetched: Option<Arc<Prefetched>>,
}

#[Object]
impl TxInput {
    /// Its index among the transaction's inputs.
    async fn index(&self) -> u32 {
        self.index
    }

    /// The transaction whose output it spends; null for a coinbase input.
    async fn tx_id(&self) -> Option<String> {
        (!self.input.previous_output.is_null()).then(|| self.input.previous_output.txid.to_string())
    }

    /// The index of the output it spends; null for a coinbase input.
    async fn vout(&self) -> Option<u32> {
        (!self.input.previous_output.is_null()).then_some(self.input.previous_output.vout)
    }

    /// The block height a coinbase input carries; null otherwise.
    async fn coinbase_height(&self) -> Option<u64> {
        match self.input.witness {
            Witness::Coinbase { height } => Some(height),
            _ => None,
        }
    }

    /// The address that owned the spent output; null for a coinbase input.
    async fn address(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self
            .spent(ctx)
            .await?
            .map(|o| Address::from(o.pubkey_hash).to_string()))
    }

    /// The value of the spent output; null for a coinbase input.
    async fn value(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<u64>> {
        Ok(self.spent(ctx).await?.map(|o| o.value))
    }

    /// The signer's public key (compressed, hex); null for a coinbase input.
    async fn public_key(&self) -> Option<String> {
        match self.input.witness {
            Witness::Signed { public_key, .. } => Some(hex::encode(public_key)),
            _ => None,
        }
    }
}

impl TxInput {
    async fn spent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<chain::TxOut>> {
        if self.input.previous_output.is_null() {
            return Ok(None);
        }
        if let Some(found) = self
            .prefetched
            .as_ref()
            .and_then(|p| p.spent_outputs.as_ref())
        {
            return Ok(found.get(&self.input.previous_output).copied());
        }
        load(
            loader(ctx)?
                .load_one(SpentOutput(self.input.previous_output))
                .await,
        )
    }
}

/// An output.
pub struct TxOutput {
    outpoint: OutPoint,
    output: chain::TxOut,
    prefetched: Option<Arc<Prefetched>>,
}

#[Object]
impl TxOutput {
    /// Its index among the transaction's outputs (the `vout` that spends it).
    async fn index(&self) -> u32 {
        self.outpoint.vout
    }

    /// The address it pays.
    async fn address(&self) -> String {
        Address::from(self.output.pubkey_hash).to_string()
    }

    /// Its value in units.
    async fn value(&self) -> u64 {
        self.output.value
    }

    /// Whether a later transaction has spent it.
    async fn spent(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        if let Some(unspent) = self.prefetched.as_ref().and_then(|p| p.unspent.as_ref()) {
            return Ok(!unspent.contains(&self.outpoint));
        }
        Ok(load(loader(ctx)?.load_one(SpentState(self.outpoint)).await)?.unwrap_or(true))
    }
}
