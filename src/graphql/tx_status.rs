//! `TransactionStatus`: where a transaction stands, for explorers and wallets that follow one.

use async_graphql::{Enum, Object};

use crate::model;

/// Waiting or mined.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum TxState {
    /// In the pool, waiting to be mined.
    Pending,
    /// In a block of the chain.
    Mined,
}

/// Where a transaction stands.
pub struct TransactionStatus(pub model::TxStatus);

#[Object]
impl TransactionStatus {
    /// Pending or mined.
    async fn state(&self) -> TxState {
        match self.0 {
            model::TxStatus::Pending { .. } => TxState::Pending,
            model::TxStatus::Mined { .. } => TxState::Mined,
        }
    }

    /// The block holding it, when mined.
    async fn block_hash(&self) -> Option<String> {
        match &self.0 {
            model::TxStatus::Mined { location, .. } => Some(location.block_hash.to_string()),
            model::TxStatus::Pending { .. } => None,
        }
    }

    /// That block's height, when mined.
    async fn height(&self) -> Option<u64> {
        match &self.0 {
            model::TxStatus::Mined { location, .. } => Some(location.height),
            model::TxStatus::Pending { .. } => None,
        }
    }

    /// Blocks from its block to the tip, inclusive; 0 while pending.
    async fn confirmations(&self) -> u64 {
        match &self.0 {
            model::TxStatus::Mined { confirmations, .. } => *confirmations,
            model::TxStatus::Pending { .. } => 0,
        }
    }

    /// Its place in the pool's queue while pending (1: taken first by the next block).
    async fn pool_position(&self) -> Option<u64> {
        match &self.0 {
            model::TxStatus::Pending { position, .. } => Some(*position),
            model::TxStatus::Mined { .. } => None,
        }
    }
}
