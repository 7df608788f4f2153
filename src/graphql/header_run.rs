//! `HeaderRun`: main-chain headers after the block a peer's locator shares, for headers-first sync.

use async_graphql::Object;

use crate::chain::encode_headers;
use crate::model;

/// Headers of this node's main chain after the last block a peer's locator shares with it.
pub struct HeaderRun(pub model::HeaderRun);

#[Object]
impl HeaderRun {
    /// The hash of the first block of the locator on this node's main chain. Null when the
    /// locator names none: the headers then start at genesis.
    async fn common_hash(&self) -> Option<String> {
        self.0.common.map(|c| c.hash.to_string())
    }

    /// That block's height.
    async fn common_height(&self) -> Option<u64> {
        self.0.common.map(|c| c.height)
    }

    /// How many headers follow.
    async fn count(&self) -> usize {
        self.0.headers.len()
    }

    /// The headers, in height order: 88-byte encodings (docs/protocol.md) one after another,
    /// as hex. Empty at the tip.
    async fn raw_headers(&self) -> String {
        hex::encode(encode_headers(&self.0.headers))
    }
}
