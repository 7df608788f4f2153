//! Telling a peer what it lacks: this node's new blocks and pooled transactions as they are
//! committed, and, when the peer lacks a parent (or after catching up), every main-chain block
//! above the last one it has, up to 500 to a request. What came from the peer is not sent back
//! to it.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;

use super::error::PeerError;
use super::locked;
use super::peer::Peer;
use super::push::{PUSH_BLOCKS, PUSH_BYTES};
use crate::chain::Block;
use crate::model::PoolEntry;
use crate::node::{NodeEvent, PoolChangeKind};

/// Blocks and transactions remembered as received from the peer (not announced back to it).
const REMEMBERED: usize = 4096;

/// What came from the peer, most recent [`REMEMBERED`]: no need to announce it back.
#[derive(Debug)]
pub(super) struct Recent<T> {
    set: HashSet<T>,
    order: VecDeque<T>,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
        }
    }
}

impl<T: Hash + Eq + Copy> Recent<T> {
    pub(super) fn insert(&mut self, item: T) {
        if self.set.insert(item) {
            self.order.push_back(item);
            if self.order.len() > REMEMBERED
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
        }
    }

    pub(super) fn contains(&self, item: &T) -> bool {
        self.set.contains(item)
    }
}

impl Peer {
    /// Tells the peer about one of this node's new blocks or pool transactions, unless it came
    /// from the peer. A refusal is recorded, not fatal: the peer follows its own rules.
    pub(super) async fn announce(&self, event: NodeEvent) -> Result<(), PeerError> {
        let outcome = match event {
            NodeEvent::BlockMined(block) => {
                if locked(&self.blocks_from_peer).contains(&block.hash) {
                    return Ok(());
                }
                match self
                    .client
                    .submit_block(&hex::encode(block.block.encode()))
                    .await
                {
                    // The peer lacks its parent: tell it the whole branch.
                    Ok(status) if status == "HELD" => self.announce_chain().await.map(|_| ()),
                    other => other.map(|_| ()),
                }
            }
            NodeEvent::PoolChanged {
                kind: PoolChangeKind::Added,
                entry,
            } => {
                let PoolEntry::Pending(pending) = entry.as_ref() else {
                    return Ok(());
                };
                if locked(&self.txs_from_peer).contains(&pending.txid) {
                    return Ok(());
                }
                let Some(tx) = self.node.raw_transaction(&pending.txid).await? else {
                    return Ok(()); // mined meanwhile: its block is announced
                };
                self.client
                    .submit_transaction(&hex::encode(tx.encode()))
                    .await
            }
            _ => return Ok(()),
        };
        self.announced(outcome)
    }

    /// Tells the peer about every main-chain block of this node above the last one it has
    /// (after catching up, this node's chain has at least the peer's work, so these are blocks
    /// the peer lacks), in `submitBlocks` batches: a few requests for a chain of thousands.
    /// Returns how many were sent.
    pub(super) async fn announce_chain(&self) -> Result<u64, PeerError> {
        let locator = self.node.block_locator().await?;
        if locator.is_empty() {
            return Ok(0);
        }
        // An empty peer takes this chain from genesis.
        let mut from = match self.common_height(&locator).await? {
            Some(common) => common.saturating_add(1),
            None if self.client.chain().await?.height.is_none() => 0,
            None => return Ok(0),
        };
        let mut sent = 0;
        loop {
            let encoded = self
                .node
                .encoded_blocks_from(from, PUSH_BLOCKS as u64, PUSH_BYTES)
                .await?;
            let Some(opening) = encoded.first() else {
                return Ok(sent);
            };
            let raw: Vec<String> = encoded.iter().map(hex::encode).collect();
            match self.client.submit_blocks(&raw).await {
                // The first block's parent is the block the peer just said it has: holding it
                // for want of its parent is a lie, and answering so every time would make this
                // node send its whole chain for each new block.
                Ok(statuses) if sent == 0 && statuses.first().is_some_and(|s| s == "HELD") => {
                    let hash = Block::decode(opening).map(|b| b.hash().to_string());
                    return Err(PeerError::Misbehaved(format!(
                        "it answered HELD for block {} at height {from}, whose parent it said it \
                         has",
                        hash.unwrap_or_default()
                    )));
                }
                Ok(_) => {}
                Err(err) => {
                    self.announced(Err(err))?;
                    return Ok(sent);
                }
            }
            from += raw.len() as u64;
            sent += raw.len() as u64;
        }
    }

    /// How an announcement went: the peer's refusals (an unauthorized node, a block it already
    /// judged) are kept as `lastError`; an unreachable peer ends the session.
    fn announced(&self, outcome: Result<(), PeerError>) -> Result<(), PeerError> {
        match outcome {
            Err(PeerError::Refused { code, message }) => {
                tracing::debug!(peer = %self.base, %code, %message, "announcement refused");
                self.update(|s| {
                    s.last_error = Some(format!("announcement refused ({code}): {message}"))
                });
                Ok(())
            }
            other => other,
        }
    }
}
