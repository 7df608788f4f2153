//! `Block`: header fields, transactions, and a link to the previous block.

use std::sync::Arc;

use async_graphql::{Context, Object};

use super::error::ApiResult;
use super::loaders::BlockOf;
use super::transaction::{Prefetched, Transaction};
use super::{load, loader, node};
use crate::chain::chain_work;
use crate::model::{ShownBlock, StoredBlock, TxInBlock};
use crate::node::TreeBlock;

/// A mined block: on the main chain, or a side block of the tree.
pub struct Block {
    shown: Arc<ShownBlock>,
    prefetched: Option<Arc<Prefetched>>,
    main_chain: bool,
    invalid: Option<String>,
}

impl Block {
    /// A main-chain block whose nested lookups go through the loaders.
    pub fn new(stored: Arc<StoredBlock>) -> Self {
        Self::shown(Arc::new(ShownBlock::new(stored)))
    }

    /// A main-chain block as pages show it.
    pub fn shown(shown: Arc<ShownBlock>) -> Self {
        Self {
            shown,
            prefetched: None,
            main_chain: true,
            invalid: None,
        }
    }

    /// A block of the tree, wherever it stands.
    pub fn in_tree(block: TreeBlock) -> Self {
        Self {
            shown: Arc::new(ShownBlock::new(Arc::new(block.stored))),
            prefetched: None,
            main_chain: block.main_chain,
            invalid: block.invalid,
        }
    }

    /// A block of a page whose nested lookups were fetched for the whole page.
    pub fn with_prefetched(shown: Arc<ShownBlock>, prefetched: Arc<Prefetched>) -> Self {
        Self {
            prefetched: Some(prefetched),
            ..Self::shown(shown)
        }
    }

    fn stored(&self) -> &StoredBlock {
        &self.shown.stored
    }
}

#[Object]
impl Block {
    /// Double SHA-256 of the header.
    async fn hash(&self) -> String {
        self.stored().hash.to_string()
    }

    /// Height (genesis is 0).
    async fn height(&self) -> u64 {
        self.stored().height
    }

    /// Whether the block is on the main chain; false for a side block of the tree (a stale
    /// block, or one of a branch with no more work).
    async fn main_chain(&self) -> bool {
        self.main_chain
    }

    /// The cumulative work from genesis to this block (the sum of 2^bits), as a decimal string:
    /// the main chain is the valid branch with the most.
    async fn chain_work(&self) -> String {
        chain_work(self.stored().height, self.stored().block.header.bits).to_string()
    }

    /// Why this side block's branch failed when the node tried it (null: valid or never tried).
    async fn invalid_reason(&self) -> Option<&str> {
        self.invalid.as_deref()
    }

    /// The 88-byte header in its canonical encoding, hex: its double SHA-256 is `hash`.
    async fn header_hex(&self) -> String {
        hex::encode(self.stored().block.header.encode())
    }

    /// Hash of the previous block (zeros for genesis).
    async fn prev_hash(&self) -> String {
        self.stored().block.header.prev_hash.to_string()
    }

    /// Merkle root of the block's transaction ids.
    async fn merkle_root(&self) -> String {
        self.stored().block.header.merkle_root.to_string()
    }

    /// When mining started, in seconds since the Unix epoch.
    async fn timestamp(&self) -> u64 {
        self.stored().block.header.timestamp
    }

    /// Leading zero bits the hash was required to have.
    async fn difficulty_bits(&self) -> u32 {
        self.stored().block.header.bits
    }

    /// The nonce that satisfied the proof of work: a 64-bit number, as a decimal string because
    /// GraphQL's Int has 32 bits.
    async fn nonce(&self) -> String {
        self.stored().block.header.nonce.to_string()
    }

    /// Number of transactions, the coinbase included.
    async fn tx_count(&self) -> usize {
        self.stored().block.transactions.len()
    }

    /// The transactions, coinbase first.
    async fn transactions(&self) -> Vec<Transaction> {
        (0..self.stored().block.transactions.len() as u32)
            .filter_map(|position| {
                let mined = TxInBlock {
                    block: self.shown.clone(),
                    position,
                };
                Transaction::in_block(mined, self.main_chain, self.prefetched.clone())
            })
            .collect()
    }

    /// The previous block; null for genesis.
    async fn previous(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Block>> {
        if self.stored().height == 0 {
            return Ok(None);
        }
        let block = load(
            loader(ctx)?
                .load_one(BlockOf(self.stored().block.header.prev_hash))
                .await,
        )?;
        match block {
            Some(block) => Ok(Some(Block::shown(block))),
            // A side block's parent may be a side block too.
            None => Ok(node(ctx)?
                .block_in_tree(&self.stored().block.header.prev_hash)
                .await
                .api()?
                .map(Block::in_tree)),
        }
    }
}
