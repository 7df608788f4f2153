//! `ChainInfo`: the chain at a glance.

use async_graphql::{Context, Object};

use super::error::ApiResult;
use crate::chain::chain_work;
use crate::node::{self, Node};

/// Height, tip, parameters, supply and sizes.
pub struct ChainInfo {
    info: node::ChainInfo,
    /// Whether `info` holds the counts, or only the tip and parameters.
    counted: bool,
}

/// The fields that count the chainstate, the pool or the block tree: only a selection naming
/// one of them pays for those reads (`{ chain { height } }` reads the tip alone).
const COUNTED: [&str; 5] = [
    "totalSupply",
    "utxoCount",
    "poolSize",
    "genesisHash",
    "sideBlocks",
];

impl ChainInfo {
    /// What the field being resolved selects of the chain: with its counts only if it asks for
    /// one.
    pub async fn read(ctx: &Context<'_>, node: &Node) -> async_graphql::Result<Self> {
        let look = ctx.look_ahead();
        let counted = COUNTED.iter().any(|field| look.field(field).exists());
        let info = match counted {
            true => node.chain_info().await,
            false => node.chain_tip_info().await,
        };
        Ok(Self {
            info: info.api()?,
            counted,
        })
    }

    /// The counted figures (read now if the selection did not name them, which a look-ahead
    /// through directives can miss).
    async fn counts(&self, ctx: &Context<'_>) -> async_graphql::Result<node::ChainInfo> {
        match self.counted {
            true => Ok(self.info.clone()),
            false => Ok(super::node(ctx)?.chain_info().await.api()?),
        }
    }
}

#[Object]
impl ChainInfo {
    /// Height of the tip; null before the genesis block is mined.
    async fn height(&self) -> Option<u64> {
        self.info.height
    }

    /// Hash of the tip; null before genesis.
    async fn tip_hash(&self) -> Option<String> {
        self.info.tip_hash.map(|h| h.to_string())
    }

    /// Leading zero bits a block hash needs.
    async fn difficulty_bits(&self) -> u32 {
        self.info.difficulty_bits
    }

    /// Units paid to the miner of each block.
    async fn reward(&self) -> u64 {
        self.info.reward
    }

    /// Sum of all unspent outputs (always reward × blocks: fees do not exist).
    async fn total_supply(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(self.counts(ctx).await?.total_supply)
    }

    /// Number of unspent outputs.
    async fn utxo_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(self.counts(ctx).await?.utxo_count)
    }

    /// Pending transactions waiting to be mined.
    async fn pool_size(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(self.counts(ctx).await?.pool_size)
    }

    /// Hash of the first block; null before genesis. Peers must share it.
    async fn genesis_hash(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.counts(ctx).await?.genesis_hash.map(|h| h.to_string()))
    }

    /// The most transactions (coinbase included) a block may hold; peers must agree.
    async fn max_block_txs(&self) -> usize {
        self.info.max_block_txs
    }

    /// The main chain's cumulative work (the sum of 2^bits over its blocks), as a decimal string.
    async fn chain_work(&self) -> String {
        self.info
            .height
            .map_or(0, |h| chain_work(h, self.info.difficulty_bits))
            .to_string()
    }

    /// Blocks the tree holds off the main chain.
    async fn side_blocks(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(self.counts(ctx).await?.side_blocks)
    }
}
