//! `Snapshot`: a saved state to revert to, and `ChainResetEvent`, what subscribers hear when the
//! chain goes back.

use async_graphql::{Enum, ID, Object, SimpleObject};

use crate::model;

/// A saved state of the node (chain, chainstate, pool, keystore, index).
pub struct Snapshot(pub model::Snapshot);

#[Object]
impl Snapshot {
    /// Pass to `revert` or `deleteSnapshot`.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The name given when it was taken.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// The tip's height then; null for an empty chain.
    async fn height(&self) -> Option<u64> {
        self.0.height
    }

    /// The tip's hash then.
    async fn tip_hash(&self) -> Option<String> {
        self.0.tip_hash.map(|h| h.to_string())
    }

    /// When it was taken, in Unix seconds.
    async fn created_at(&self) -> i64 {
        self.0.created_at.div_euclid(1000)
    }
}

/// Why the chain went back.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ChainResetCause {
    /// `resetSystem`: a new chain from a new genesis.
    Reset,
    /// `revert`: back to a snapshot.
    Revert,
}

/// The chain went back: blocks above `height` are gone, and `blockMined` continues from it.
#[derive(SimpleObject, Clone, Debug)]
pub struct ChainResetEvent {
    /// Reset or revert.
    pub cause: ChainResetCause,
    /// The new tip's height; null for an empty chain (a reset announces its genesis, height 0;
    /// a reset to EMPTY, null).
    pub height: Option<u64>,
    /// The new tip's hash.
    pub tip_hash: Option<String>,
    /// The snapshot reverted to.
    pub snapshot_id: Option<ID>,
}
