//! The peer's mutations: announcing this node's blocks and transactions to it (with the
//! peer's API token when it has one). Blocks go to its block route, which takes bodies as large
//! as a block.

use std::sync::atomic::Ordering;

use serde::Deserialize;
use serde_json::{Value, json};

use super::client::PeerClient;
use super::error::PeerError;
use crate::chain::MAX_BLOCK_BYTES;

/// Most blocks announced in one `submitBlocks` (the most a node takes).
pub const PUSH_BLOCKS: usize = 500;
/// Most encoded bytes of blocks announced in one `submitBlocks` (one block is always sent, and
/// the largest block, in hex, is what the block route takes).
pub const PUSH_BYTES: usize = MAX_BLOCK_BYTES;

impl PeerClient {
    /// Announces a block (`submitBlock`, at the block route, so that a block larger than the
    /// peer's `--max-body-bytes` is taken); answers its status there (`CONNECTED`, `HELD`, …).
    pub async fn submit_block(&self, raw_hex: &str) -> Result<String, PeerError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            submit_block: Status,
        }
        #[derive(Deserialize)]
        struct Status {
            status: String,
        }
        let data: Data = self
            .query_at(
                &self.blocks_endpoint,
                "mutation($r: String!) { submitBlock(rawHex: $r) { status } }",
                json!({ "r": raw_hex }),
            )
            .await?;
        Ok(data.submit_block.status)
    }

    /// Announces blocks in order (`submitBlocks`, at the block route: at most
    /// [`PUSH_BLOCKS`], and [`PUSH_BYTES`] together); answers each one's status. A peer
    /// without `submitBlocks` is sent them one `submitBlock` at a time from then on, up to the
    /// first refusal.
    pub async fn submit_blocks(&self, raw_hex: &[String]) -> Result<Vec<String>, PeerError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            submit_blocks: Vec<Status>,
        }
        #[derive(Deserialize)]
        struct Status {
            status: String,
        }
        if self.batched_push.load(Ordering::Relaxed) {
            let answer = self
                .query_at::<Data>(
                    &self.blocks_endpoint,
                    "mutation($r: [String!]!) { submitBlocks(rawHex: $r) { status } }",
                    json!({ "r": raw_hex }),
                )
                .await;
            match answer {
                Ok(data) if data.submit_blocks.len() == raw_hex.len() => {
                    return Ok(data.submit_blocks.into_iter().map(|s| s.status).collect());
                }
                Ok(data) => {
                    return Err(PeerError::Misbehaved(format!(
                        "{} answers to submitBlocks of {} blocks",
                        data.submit_blocks.len(),
                        raw_hex.len()
                    )));
                }
                // An older node: its schema has no such field.
                Err(PeerError::Refused { message, .. }) if message.contains("submitBlocks") => {
                    self.batched_push.store(false, Ordering::Relaxed);
                }
                Err(other) => return Err(other),
            }
        }
        let mut statuses = Vec::with_capacity(raw_hex.len());
        for raw in raw_hex {
            statuses.push(self.submit_block(raw).await?);
        }
        Ok(statuses)
    }

    /// Announces a transaction (`submitTransaction`, marked relayed: a refusal there stays out
    /// of the peer's user-facing refusal log).
    pub async fn submit_transaction(&self, raw_hex: &str) -> Result<(), PeerError> {
        let _: Value = self
            .query(
                "mutation($r: String!) { submitTransaction(rawHex: $r, relayed: true) { id } }",
                json!({ "r": raw_hex }),
            )
            .await?;
        Ok(())
    }
}
