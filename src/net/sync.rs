//! Catching up with a peer: from the last block both chains share (the block locator against
//! the peer's `commonBlock`), batches of the peer's blocks until it has no more, each batch
//! fetched while the one before is checked and written. Every block goes to the node, which
//! validates it like any other input.

use super::error::PeerError;
use super::locked;
use super::peer::{Peer, now_millis};
use crate::chain::{Block, BlockHash};
use crate::node::{BlockStatus, NodeError};

/// Times one catch-up may start over because the peer's chain moved under it.
const MAX_RESTARTS: u32 = 3;

impl Peer {
    /// Catches up with the peer's main chain: from the last block both share, batches of its
    /// blocks until it has no more. Every block is validated by the node like any other.
    pub(super) async fn sync(&self) -> Result<(), PeerError> {
        let Some(mut from) = self.fork_height().await? else {
            return Ok(()); // the peer has no chain yet
        };
        let mut restarts = 0;
        let mut next = self.fetch(from);
        loop {
            let raw = next
                .await
                .map_err(|e| PeerError::Unreachable(e.to_string()))??;
            if raw.is_empty() {
                return Ok(());
            }
            let count = raw.len() as u64;
            // The next batch travels while this one is checked and written.
            next = self.fetch(from + count);
            let blocks = raw;
            {
                let mut recent = locked(&self.blocks_from_peer);
                for block in &blocks {
                    recent.insert(block.hash());
                }
            }
            let answers = self.node.accept_blocks(blocks).await.map_err(|e| match e {
                NodeError::InvalidBlock { .. } => {
                    PeerError::Misbehaved(format!("sent an invalid block: {e}"))
                }
                other => PeerError::Node(other),
            })?;
            let new = answers
                .iter()
                .filter(|a| !matches!(a.status, BlockStatus::Duplicate | BlockStatus::Held))
                .count() as u64;
            self.update(|s| {
                s.blocks_received += new;
                s.last_seen = Some(now_millis());
            });
            if answers.iter().any(|a| a.status == BlockStatus::Held) {
                // The peer's chain moved between requests: find the fork again.
                next.abort();
                restarts += 1;
                if restarts > MAX_RESTARTS {
                    return Err(PeerError::Misbehaved(
                        "sends blocks that do not link".into(),
                    ));
                }
                let Some(fork) = self.fork_height().await? else {
                    return Ok(());
                };
                from = fork;
                next = self.fetch(from);
                continue;
            }
            from += count;
        }
    }

    /// Fetches the peer's blocks from height `from` in a task of its own.
    fn fetch(&self, from: u64) -> tokio::task::JoinHandle<Result<Vec<Block>, PeerError>> {
        let client = self.client.clone();
        tokio::spawn(async move { client.blocks(from).await })
    }

    /// The height of the last block of `locator` (this node's) that the peer has on its main
    /// chain. The peer names the block; its height is this node's own, and a peer that names
    /// another height for it is lying (heights from a peer are never added to unchecked).
    pub(super) async fn common_height(
        &self,
        locator: &[BlockHash],
    ) -> Result<Option<u64>, PeerError> {
        let Some((claimed, hash)) = self.client.common_block(locator).await? else {
            return Ok(None);
        };
        match self.node.common_block(&[hash]).await? {
            Some(ours) if ours.height == claimed => Ok(Some(ours.height)),
            Some(ours) => Err(PeerError::Misbehaved(format!(
                "it placed block {hash} at height {claimed}; it is at height {}",
                ours.height
            ))),
            // Off this node's main chain since the locator was made (a reorganisation):
            // nothing shared is known for now.
            None => Err(PeerError::Unreachable(
                "the common block left this node's main chain meanwhile".into(),
            )),
        }
    }

    /// The height after the last block this node's chain and the peer's share (0 when this
    /// node has none); `None` when the peer has no chain at all.
    pub(super) async fn fork_height(&self) -> Result<Option<u64>, PeerError> {
        let locator = self.node.block_locator().await?;
        if locator.is_empty() {
            return Ok(Some(0));
        }
        match self.common_height(&locator).await? {
            Some(height) => Ok(Some(height.saturating_add(1))),
            None if self.client.chain().await?.height.is_none() => Ok(None),
            None => Err(PeerError::Incompatible(
                "its chain shares no block with this node's".into(),
            )),
        }
    }
}
