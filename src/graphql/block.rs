//! `Block`: header fields, transactions, and a link to the previous block.

use std::sync::Arc;

use async_graphql::{Context, Object};

use super::loaders::BlockOf;
use super::transaction::{Prefetched, Transaction};
use super::{load, loader};
use crate::model::{StoredBlock, TxLocation};

/// A mined block.
pub struct Block {
    stored: Arc<StoredBlock>,
    prefetched: Option<Arc<Prefetched>>,
}

impl Block {
    /// A block whose nested lookups go through the loaders.
    pub fn new(stored: Arc<StoredBlock>) -> Self {
        Self {
            stored,
            prefetched: None,
        }
    }

    /// A block of a page whose nested lookups were fetched for the whole page.
    pub fn with_prefetched(stored: Arc<StoredBlock>, prefetched: Arc<Prefetched>) -> Self {
        Self {
            stored,
            prefetched: Some(prefetched),
        }
    }
}

#[Object]
impl Block {
    /// Double SHA-256 of the header.
    async fn hash(&self) -> String {
        self.stored.hash.to_string()
    }

    /// Height (genesis is 0).
    async fn height(&self) -> u64 {
        self.stored.height
    }

    /// The 88-byte header in its canonical encoding, hex: its double SHA-256 is `hash`.
    async fn header_hex(&self) -> String {
        hex::encode(self.stored.block.header.encode())
    }

    /// Hash of the previous block (zeros for genesis).
    async fn prev_hash(&self) -> String {
        self.stored.block.header.prev_hash.to_string()
    }

    /// Merkle root of the block's transaction ids.
    async fn merkle_root(&self) -> String {
        self.stored.block.header.merkle_root.to_string()
    }

    /// When mining started, in seconds since the Unix epoch.
    async fn timestamp(&self) -> u64 {
        self.stored.block.header.timestamp
    }

    /// Leading zero bits the hash was required to have.
    async fn difficulty_bits(&self) -> u32 {
        self.stored.block.header.bits
    }

    /// The nonce that satisfied the proof of work: a 64-bit number, as a decimal string because
    /// GraphQL's Int has 32 bits.
    async fn nonce(&self) -> String {
        self.stored.block.header.nonce.to_string()
    }

    /// Number of transactions, the coinbase included.
    async fn tx_count(&self) -> usize {
        self.stored.block.transactions.len()
    }

    /// The transactions, coinbase first.
    async fn transactions(&self) -> Vec<Transaction> {
        self.stored
            .block
            .transactions
            .iter()
            .enumerate()
            .map(|(position, tx)| Transaction {
                txid: tx.txid(),
                tx: Arc::new(tx.clone()),
                location: TxLocation {
                    block_hash: self.stored.hash,
                    height: self.stored.height,
                    position: position as u32,
                },
                prefetched: self.prefetched.clone(),
            })
            .collect()
    }

    /// The previous block; null for genesis.
    async fn previous(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Block>> {
        if self.stored.height == 0 {
            return Ok(None);
        }
        let block = load(
            loader(ctx)?
                .load_one(BlockOf(self.stored.block.header.prev_hash))
                .await,
        )?;
        Ok(block.map(Block::new))
    }
}
