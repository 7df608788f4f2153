//! The chain at a glance, and what a replay of it found.

use crate::chain::BlockHash;

/// The chain at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainInfo {
    /// Height of the tip; `None` before genesis.
    pub height: Option<u64>,
    /// Hash of the tip; `None` before genesis.
    pub tip_hash: Option<BlockHash>,
    /// Leading zero bits a block hash needs.
    pub difficulty_bits: u32,
    /// Units paid per block.
    pub reward: u64,
    /// Sum of all unspent outputs.
    pub total_supply: u64,
    /// Number of unspent outputs.
    pub utxo_count: u64,
    /// Pending transactions.
    pub pool_size: u64,
    /// The first block; `None` before genesis. Peers must share it.
    pub genesis_hash: Option<BlockHash>,
    /// The most transactions a block may hold (a chain parameter peers must share).
    pub max_block_txs: usize,
    /// Blocks the tree holds off the main chain.
    pub side_blocks: u64,
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Blocks replayed.
    pub blocks: u64,
    /// Transactions in them.
    pub transactions: u64,
    /// Unspent outputs after the replay.
    pub utxos: u64,
    /// Their total value.
    pub total_supply: u64,
}
