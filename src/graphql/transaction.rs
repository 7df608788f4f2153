//! `Transaction`, its inputs and outputs.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use super::block::Block;
use super::error::ApiError;
use super::loaders::{BlockOf, SpentOutput, SpentState, TipHeight};
use super::{load, loader};
use crate::chain::merkle::merkle_proof;
use crate::chain::{self, OutPoint, Txid, Witness};
use crate::model::{ShownBlock, ShownOutput, ShownTx, TxInBlock, TxLocation};
use crate::node::{Node, NodeError};

/// A mined transaction, as its block shows it.
pub struct Transaction {
    mined: TxInBlock,
    /// Whether its block is on the main chain.
    main_chain: bool,
    /// Lookups fetched for the whole page it belongs to, if any.
    prefetched: Option<Arc<Prefetched>>,
}

/// What a page of blocks' outputs need, fetched in one statement for the whole page (instead of
/// relying on loader timing to batch them): which of them are unspent, when `spent` was
/// selected. What the inputs spend comes with the blocks.
#[derive(Debug, Default)]
pub struct Prefetched {
    unspent: Option<HashSet<OutPoint>>,
}

impl Prefetched {
    /// Fetches what the selection needs for `blocks`.
    pub async fn fetch(
        node: &Node,
        blocks: &[Arc<ShownBlock>],
        outputs: bool,
    ) -> Result<Self, NodeError> {
        let mut prefetched = Self::default();
        if outputs {
            let created: Vec<OutPoint> = blocks
                .iter()
                .flat_map(|b| b.txs())
                .flat_map(|tx| {
                    let txid = tx.txid;
                    (0..tx.outputs.len() as u32).map(move |vout| OutPoint { txid, vout })
                })
                .collect();
            prefetched.unspent = Some(node.unspent_among(&created).await?);
        }
        Ok(prefetched)
    }
}

impl Transaction {
    /// The transaction at `mined.position` of a main-chain block; `None` if the block has no
    /// such position.
    pub fn new(mined: TxInBlock) -> Option<Self> {
        Self::in_block(mined, true, None)
    }

    /// The transaction at `mined.position`, on the main chain or not, with its page's lookups.
    pub fn in_block(
        mined: TxInBlock,
        main_chain: bool,
        prefetched: Option<Arc<Prefetched>>,
    ) -> Option<Self> {
        mined.block.transaction(mined.position)?;
        Some(Self {
            mined,
            main_chain,
            prefetched,
        })
    }

    /// The transaction as its block shows it.
    pub fn mined(&self) -> &TxInBlock {
        &self.mined
    }

    /// Where it was mined.
    pub fn location(&self) -> TxLocation {
        self.mined.block.location(self.mined.position)
    }

    /// The transaction (its position was checked when this was made).
    fn tx(&self) -> &chain::Transaction {
        &self.mined.block.stored.block.transactions[self.mined.position as usize]
    }

    fn shown(&self) -> &ShownTx {
        &self.mined.block.txs()[self.mined.position as usize]
    }
}

#[Object]
impl Transaction {
    /// The transaction id (double SHA-256 of its unsigned encoding).
    async fn id(&self) -> &str {
        &self.shown().id
    }

    /// Whether this is its block's coinbase (the reward, spending nothing).
    async fn is_coinbase(&self) -> bool {
        self.tx().is_coinbase()
    }

    /// Its index in the block (0 is the coinbase).
    async fn position(&self) -> u32 {
        self.mined.position
    }

    /// What it spends.
    async fn inputs(&self) -> Vec<TxInput> {
        (0..self.tx().inputs.len() as u32)
            .map(|index| TxInput {
                mined: self.mined.clone(),
                index,
            })
            .collect()
    }

    /// What it creates.
    async fn outputs(&self) -> Vec<TxOutput> {
        (0..self.tx().outputs.len() as u32)
            .map(|vout| TxOutput {
                mined: self.mined.clone(),
                vout,
                prefetched: self.prefetched.clone(),
            })
            .collect()
    }

    /// Blocks from its block to the tip, inclusive: 1 in the tip.
    async fn confirmations(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        let tip = load(loader(ctx)?.load_one(TipHeight).await)?;
        Ok(tip.map_or(0, |tip| confirmations(tip, self.mined.block.stored.height)))
    }

    /// Its canonical encoding with signatures, hex (`docs/protocol.md`, "Transactions").
    async fn raw_hex(&self) -> String {
        hex::encode(self.tx().encode())
    }

    /// The path from this transaction's id up to its block's merkle root.
    async fn merkle_proof(&self) -> async_graphql::Result<MerkleProof> {
        let block = &self.mined.block;
        let txids: Vec<Txid> = block.txs().iter().map(|t| t.txid).collect();
        let siblings = merkle_proof(&txids, self.mined.position as usize)
            .ok_or(ApiError::Internal("a transaction outside its block"))?;
        Ok(MerkleProof {
            index: self.mined.position,
            siblings: siblings.iter().map(hex::encode).collect(),
            root: block.stored.block.header.merkle_root.to_string(),
        })
    }

    /// The block it was mined in; null when that block has left the main chain.
    async fn block(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Block>> {
        if self.main_chain {
            return Ok(Some(Block::shown(self.mined.block.clone())));
        }
        let hash = self.mined.block.stored.hash;
        Ok(load(loader(ctx)?.load_one(BlockOf(hash)).await)?.map(Block::shown))
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
    mined: TxInBlock,
    index: u32,
}

impl TxInput {
    fn input(&self) -> &chain::TxIn {
        let tx = &self.mined.block.stored.block.transactions[self.mined.position as usize];
        &tx.inputs[self.index as usize]
    }

    /// The output it spends as its block shows it (`None` for a coinbase input), when the
    /// block knows what its inputs spend.
    fn shown_spend(&self) -> Option<Option<&ShownOutput>> {
        let shown = &self.mined.block.txs()[self.mined.position as usize];
        let spends = shown.spends.as_ref()?;
        Some(spends.get(self.index as usize).and_then(Option::as_ref))
    }

    /// The output it spends, looked up (for a block that does not know what its inputs spend).
    async fn looked_up(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<chain::TxOut>> {
        let outpoint = self.input().previous_output;
        if outpoint.is_null() {
            return Ok(None);
        }
        load(loader(ctx)?.load_one(SpentOutput(outpoint)).await)
    }
}

#[Object]
impl TxInput {
    /// Its index among the transaction's inputs.
    async fn index(&self) -> u32 {
        self.index
    }

    /// The transaction whose output it spends; null for a coinbase input.
    async fn tx_id(&self) -> Option<String> {
        let outpoint = self.input().previous_output;
        (!outpoint.is_null()).then(|| outpoint.txid.to_string())
    }

    /// The index of the output it spends; null for a coinbase input.
    async fn vout(&self) -> Option<u32> {
        let outpoint = self.input().previous_output;
        (!outpoint.is_null()).then_some(outpoint.vout)
    }

    /// The block height a coinbase input carries; null otherwise.
    async fn coinbase_height(&self) -> Option<u64> {
        match self.input().witness {
            Witness::Coinbase { height } => Some(height),
            _ => None,
        }
    }

    /// The address that owned the spent output; null for a coinbase input.
    async fn address(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        if let Some(shown) = self.shown_spend() {
            return Ok(shown.map(|o| o.address.clone()));
        }
        let output = self.looked_up(ctx).await?;
        Ok(output.map(|o| chain::Address::from(o.pubkey_hash).to_string()))
    }

    /// The value of the spent output; null for a coinbase input.
    async fn value(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<u64>> {
        if let Some(shown) = self.shown_spend() {
            return Ok(shown.map(|o| o.output.value));
        }
        Ok(self.looked_up(ctx).await?.map(|o| o.value))
    }

    /// The signer's public key (compressed, hex); null for a coinbase input.
    async fn public_key(&self) -> Option<String> {
        match self.input().witness {
            Witness::Signed { public_key, .. } => Some(hex::encode(public_key)),
            _ => None,
        }
    }
}

/// An output.
pub struct TxOutput {
    mined: TxInBlock,
    vout: u32,
    prefetched: Option<Arc<Prefetched>>,
}

impl TxOutput {
    fn shown(&self) -> &ShownOutput {
        &self.mined.block.txs()[self.mined.position as usize].outputs[self.vout as usize]
    }
}

#[Object]
impl TxOutput {
    /// Its index among the transaction's outputs (the `vout` that spends it).
    async fn index(&self) -> u32 {
        self.vout
    }

    /// The address it pays.
    async fn address(&self) -> &str {
        &self.shown().address
    }

    /// Its value in units.
    async fn value(&self) -> u64 {
        self.shown().output.value
    }

    /// Whether a later transaction has spent it.
    async fn spent(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let outpoint = OutPoint {
            txid: self.mined.block.txs()[self.mined.position as usize].txid,
            vout: self.vout,
        };
        if let Some(unspent) = self.prefetched.as_ref().and_then(|p| p.unspent.as_ref()) {
            return Ok(!unspent.contains(&outpoint));
        }
        Ok(load(loader(ctx)?.load_one(SpentState(outpoint)).await)?.unwrap_or(true))
    }
}
