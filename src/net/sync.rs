//! Catching up with a peer, headers first (as Bitcoin Core since 0.10): from the last block both
//! chains share (this node's block locator against the peer's `headers`), the peer's headers
//! in runs of 2,000, each checked for its link and proof of work, until their chain has more
//! work than this node's. Only then are bodies asked for, in batches from `GET /blocks`, each
//! checked against its header before the node validates it like any other block, thousands to a
//! commit while the node is far behind (`bodies`). A peer whose chain has no more work than ours
//! costs its headers and nothing else; a branch of any depth is assembled on disk, never held in
//! memory.

use super::error::PeerError;
use super::peer::Peer;
use crate::chain::{BlockHash, BlockHeader, ChainTip, HeaderChain};

/// Headers asked for per request (the most a peer answers).
pub(super) const HEADERS_BATCH: u32 = 2000;

/// Headers checked ahead of the bodies asked for (their hashes alone are kept: 32 bytes each).
const HEADERS_AHEAD: usize = 2 * super::bodies::RUN_BLOCKS;

/// Times one catch-up may start over because the peer's chain moved under it.
const MAX_RESTARTS: u32 = 3;
/// Times it may start over because another peer gave up on a span it waited for.
const MAX_AGAIN: u32 = 100;

/// How one attempt at catching up ended.
pub(super) enum Synced {
    /// This node has the peer's chain, or the peer's has no more work.
    Done,
    /// The peer's chain changed between requests: find the fork again.
    Moved,
    /// Another peer gave up on a span this one waited for: start again from what the node has.
    Again,
}

impl Peer {
    /// Catches up with the peer's main chain if it has more work than this node's. Every block
    /// is validated by the node like any other.
    pub(super) async fn sync(&self) -> Result<(), PeerError> {
        let (mut restarts, mut again) = (0, 0);
        while restarts <= MAX_RESTARTS {
            match self.sync_once().await? {
                Synced::Done => return Ok(()),
                Synced::Moved => restarts += 1,
                // Not this peer's doing: no mark against it, but not without end either.
                Synced::Again if again < MAX_AGAIN => again += 1,
                Synced::Again => {
                    return Err(PeerError::Unreachable(
                        "other peers kept giving up on spans of this chain".into(),
                    ));
                }
            }
        }
        Err(PeerError::Misbehaved(format!(
            "its chain changed under {} attempts to fetch it (blocks that do not match its headers)",
            MAX_RESTARTS + 1
        )))
    }

    async fn sync_once(&self) -> Result<Synced, PeerError> {
        let ours = self.node.tip().await?;
        let locator = self.node.block_locator().await?;
        let (common, first) = self.client.headers(&locator, HEADERS_BATCH).await?;
        let fork = match common {
            Some((claimed, hash)) => Some(self.our_block(hash, claimed).await?),
            None if ours.is_some() && !first.is_empty() => {
                return Err(PeerError::Incompatible(
                    "its chain shares no block with this node's".into(),
                ));
            }
            None => None,
        };
        let mut chain = HeaderChain::after(fork);
        let mut more = self.extend(&mut chain, &first)?;
        // Headers alone until the peer's chain has more work than ours (every block needs the
        // same work, so the higher chain has more); at equal work the branch seen first stays.
        while ours.is_some_and(|ours| chain.tip().is_none_or(|t| t.height <= ours.height)) {
            if !more {
                return Ok(Synced::Done);
            }
            match self.next_headers(&mut chain).await? {
                Some(full) => more = full,
                None => return Ok(Synced::Moved),
            }
        }
        loop {
            while more && chain.len() < HEADERS_AHEAD {
                match self.next_headers(&mut chain).await? {
                    Some(full) => more = full,
                    None => return Ok(Synced::Moved),
                }
            }
            match self.fetch_bodies(&chain).await? {
                Synced::Done => {}
                other => return Ok(other),
            }
            if !more {
                return Ok(Synced::Done);
            }
            // The next run of headers starts where this one ended; its hashes alone are kept.
            chain = HeaderChain::after(chain.tip());
            match self.next_headers(&mut chain).await? {
                Some(full) => more = full,
                None => return Ok(Synced::Moved),
            }
            if chain.is_empty() {
                return Ok(Synced::Done);
            }
        }
    }

    /// A block the peer says both chains share, at the height it gives: this node's own block,
    /// at that height (a peer that places it elsewhere is lying).
    async fn our_block(&self, hash: BlockHash, claimed: u64) -> Result<ChainTip, PeerError> {
        match self.node.common_block(&[hash]).await? {
            Some(ours) if ours.height == claimed => Ok(ours),
            Some(ours) => Err(PeerError::Misbehaved(format!(
                "it placed block {hash} at height {claimed}; it is at height {}",
                ours.height
            ))),
            // Off this node's main chain since the locator was made (a reorganisation).
            None => Err(PeerError::Unreachable(
                "the common block left this node's main chain meanwhile".into(),
            )),
        }
    }

    /// Checks `headers` onto `chain`; whether the peer may have more (it sent a full run).
    fn extend(&self, chain: &mut HeaderChain, headers: &[BlockHeader]) -> Result<bool, PeerError> {
        chain
            .extend(headers, &self.node.params())
            .map_err(|e| PeerError::Misbehaved(format!("sent bad headers: {e}")))?;
        Ok(headers.len() == HEADERS_BATCH as usize)
    }

    /// The peer's headers after `chain`'s last, checked onto it: whether it sent a full run, or
    /// `None` when that header is no longer on the peer's main chain.
    async fn next_headers(&self, chain: &mut HeaderChain) -> Result<Option<bool>, PeerError> {
        let Some(last) = chain.tip() else {
            return Ok(Some(false));
        };
        let (common, headers) = self.client.headers(&[last.hash], HEADERS_BATCH).await?;
        match common {
            Some((height, _)) if height == last.height => self.extend(chain, &headers).map(Some),
            Some((height, hash)) => Err(PeerError::Misbehaved(format!(
                "it placed block {hash} at height {height}, after sending its header at height {}",
                last.height
            ))),
            None => Ok(None),
        }
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
        Ok(Some(self.our_block(hash, claimed).await?.height))
    }
}
