//! `ChainReorganization`: the main chain moved to another branch.

use std::sync::Arc;

use async_graphql::Object;

use crate::model::Reorg;

/// A reorganisation: blocks above `forkHeight` were disconnected and another branch connected.
/// Subscribers of `blockMined` receive the connected blocks; transactions of the disconnected
/// ones are back in the pool (`returnedToPool`) or dropped (`dropped`: no longer valid).
pub struct ChainReorganization(pub Arc<Reorg>);

fn hashes<T: ToString>(list: &[T]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

#[Object]
impl ChainReorganization {
    /// The tip before.
    async fn old_tip(&self) -> String {
        self.0.old_tip.hash.to_string()
    }

    /// The old tip's height.
    async fn old_height(&self) -> u64 {
        self.0.old_tip.height
    }

    /// The tip after.
    async fn new_tip(&self) -> String {
        self.0.new_tip.hash.to_string()
    }

    /// The new tip's height.
    async fn new_height(&self) -> u64 {
        self.0.new_tip.height
    }

    /// Height of the last block both branches share.
    async fn fork_height(&self) -> u64 {
        self.0.fork.height
    }

    /// Hash of the last block both branches share.
    async fn fork_hash(&self) -> String {
        self.0.fork.hash.to_string()
    }

    /// Blocks taken off the main chain (now side blocks), lowest first.
    async fn disconnected(&self) -> Vec<String> {
        hashes(&self.0.disconnected)
    }

    /// Blocks connected, lowest first.
    async fn connected(&self) -> Vec<String> {
        hashes(&self.0.connected)
    }

    /// Transactions of the disconnected blocks that went back to the pool.
    async fn returned_to_pool(&self) -> Vec<String> {
        hashes(&self.0.returned)
    }

    /// Transactions of the disconnected blocks no longer valid on the new branch, dropped.
    async fn dropped(&self) -> Vec<String> {
        hashes(&self.0.dropped)
    }
}
