//! `ChainInfo`: the chain at a glance.

use async_graphql::Object;

use crate::chain::chain_work;
use crate::node;

/// Height, tip, parameters, supply and sizes.
pub struct ChainInfo(pub node::ChainInfo);

#[Object]
impl ChainInfo {
    /// Height of the tip; null before the genesis block is mined.
    async fn height(&self) -> Option<u64> {
        self.0.height
    }

    /// Hash of the tip; null before genesis.
    async fn tip_hash(&self) -> Option<String> {
        self.0.tip_hash.map(|h| h.to_string())
    }

    /// Leading zero bits a block hash needs.
    async fn difficulty_bits(&self) -> u32 {
        self.0.difficulty_bits
    }

    /// Units paid to the miner of each block.
    async fn reward(&self) -> u64 {
        self.0.reward
    }

    /// Sum of all unspent outputs (always reward × blocks: fees do not exist).
    async fn total_supply(&self) -> u64 {
        self.0.total_supply
    }

    /// Number of unspent outputs.
    async fn utxo_count(&self) -> u64 {
        self.0.utxo_count
    }

    /// Pending transactions waiting to be mined.
    async fn pool_size(&self) -> u64 {
        self.0.pool_size
    }

    /// Hash of the first block; null before genesis. Peers must share it.
    async fn genesis_hash(&self) -> Option<String> {
        self.0.genesis_hash.map(|h| h.to_string())
    }

    /// The most transactions (coinbase included) a block may hold; peers must agree.
    async fn max_block_txs(&self) -> usize {
        self.0.max_block_txs
    }

    /// The main chain's cumulative work (the sum of 2^bits over its blocks), as a decimal string.
    async fn chain_work(&self) -> String {
        self.0
            .height
            .map_or(0, |h| chain_work(h, self.0.difficulty_bits))
            .to_string()
    }

    /// Blocks the tree holds off the main chain.
    async fn side_blocks(&self) -> u64 {
        self.0.side_blocks
    }
}
