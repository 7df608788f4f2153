//! Catching up with a peer, headers first (as Bitcoin Core since 0.10): from the last block both
//! chains share (this node's block locator against the peer's `headers`), the peer's headers
//! in runs of 2,000, each checked for its link and proof of work, until their chain has more
//! work than this node's. Only then are bodies asked for, in batches from `GET /blocks`, each
//! checked against its header before the node validates it like any other block, thousands to a
//! commit while the node is far behind. A peer whose chain has no more work than ours costs its
//! headers and nothing else; a branch of any depth is assembled on disk, never held in memory.

use std::collections::VecDeque;

use super::client::FRAMED_BATCH;
use super::downloads::Claim;
use super::error::PeerError;
use super::locked;
use super::peer::{Peer, now_millis};
use crate::chain::{Block, BlockHash, BlockHeader, ChainTip, HeaderChain};
use crate::node::{BlockStatus, NodeError};

/// Headers asked for per request (the most a peer answers).
pub(super) const HEADERS_BATCH: u32 = 2000;

/// Most blocks the node takes from a catch-up in one commit. A long run is written as an import
/// is: outputs it creates and spends never reach the chainstate, a page it changes many times is
/// written once, and one durable commit serves thousands of blocks.
const RUN_BLOCKS: usize = 5000;
/// Most encoded bytes of one such run (what it holds in memory, decoded, is a small multiple).
const RUN_BYTES: usize = 8 * 1024 * 1024;
/// Blocks in one span: the share of a chain one peer fetches when several have it.
const SPAN_BLOCKS: u64 = 2500;
/// Batches asked for ahead of the one the node takes next.
const FETCH_AHEAD: usize = 2;
/// Headers checked ahead of the bodies asked for (their hashes alone are kept: 32 bytes each).
const HEADERS_AHEAD: usize = 2 * RUN_BLOCKS;

/// Times one catch-up may start over because the peer's chain moved under it.
const MAX_RESTARTS: u32 = 3;
/// Times it may start over because another peer gave up on a span it waited for.
const MAX_AGAIN: u32 = 100;

/// Heights `from..to` of a batch.
type Range = (u64, u64);
/// A batch on its way: its blocks and their encoded size.
type Fetch = tokio::task::JoinHandle<Result<(Vec<Block>, usize), PeerError>>;

/// The batches on their way, oldest first; those still travelling when a catch-up ends (done,
/// moved or failed) are stopped.
#[derive(Default)]
struct InFlight(VecDeque<(Range, Fetch)>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.iter().for_each(|(_, fetch)| fetch.abort());
    }
}

/// The blocks gathered for the node: a run of the chain from `from`, with this peer's claims.
struct Run {
    blocks: Vec<Block>,
    from: u64,
    /// Their encoded size.
    bytes: usize,
    /// Where the blocks this peer gave end: a run starting there follows its own.
    given_until: u64,
    /// This peer's spans not yet given (where each ends), in order.
    claims: VecDeque<(u64, Claim)>,
}

impl Run {
    fn at(first: u64) -> Self {
        Self {
            blocks: Vec::new(),
            from: first,
            bytes: 0,
            given_until: first,
            claims: VecDeque::new(),
        }
    }

    /// The height after its last block.
    fn next(&self) -> u64 {
        self.from + self.blocks.len() as u64
    }
}

/// How one attempt at catching up ended.
enum Synced {
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

    /// The bodies of `chain`'s blocks, fetched in batches (the next travelling while the node
    /// works) and handed to the node in runs of up to [`RUN_BLOCKS`], each block matched to its
    /// header first. The chain is split in spans of [`SPAN_BLOCKS`]: this peer fetches those no
    /// other peer has claimed (`downloads`), and gives a run once the node has its parent.
    async fn fetch_bodies(&self, chain: &HeaderChain) -> Result<Synced, PeerError> {
        // An empty run has nothing to fetch (its tip is the shared block).
        let (Some(target), false) = (chain.tip(), chain.is_empty()) else {
            return Ok(Synced::Done);
        };
        let first = chain.fork().map_or(0, |f| f.height + 1);
        let end = target.height.saturating_add(1);
        let mut spans = (first / SPAN_BLOCKS..=target.height / SPAN_BLOCKS).map(|span| {
            let from = (span * SPAN_BLOCKS).max(first);
            (from, end.min((span + 1) * SPAN_BLOCKS))
        });
        let mut ranges: VecDeque<Range> = VecDeque::new();
        let mut fetching = InFlight::default();
        let mut run = Run::at(first);
        loop {
            // Batches cover fixed ranges, so several travel at once while the node works.
            while fetching.0.len() < FETCH_AHEAD {
                if ranges.is_empty()
                    && let Some((from, to, claim)) = self.claim_next(&mut spans, chain).await?
                {
                    ranges.extend(
                        (from..to).step_by(FRAMED_BATCH as usize).map(|from| {
                            (from, to.min(from.saturating_add(u64::from(FRAMED_BATCH))))
                        }),
                    );
                    run.claims.push_back((to, claim));
                }
                let Some(range) = ranges.pop_front() else {
                    break;
                };
                fetching.0.push_back(self.fetch(range));
            }
            let Some(((from, to), batch)) = fetching.0.pop_front() else {
                break;
            };
            let (mut blocks, bytes) = batch
                .await
                .map_err(|e| PeerError::Unreachable(e.to_string()))??;
            blocks.truncate((to - from) as usize);
            let matches = blocks
                .iter()
                .zip(from..)
                .all(|(block, height)| chain.hash_at(height) == Some(block.hash()));
            if blocks.is_empty() || !matches {
                // Fewer blocks than its headers, or others: its chain moved since.
                return Ok(Synced::Moved);
            }
            let landed = from + blocks.len() as u64;
            if landed < to {
                // A short answer (large blocks): the rest of its range next.
                fetching.0.push_front(self.fetch((landed, to)));
            }
            // After a span another peer holds, a new run begins.
            if from != run.next() {
                if !run.blocks.is_empty()
                    && let Some(synced) = self.give(chain, &mut run, target).await?
                {
                    return Ok(synced);
                }
                run.from = from;
            }
            run.bytes += bytes;
            run.blocks.extend(blocks);
            let full = run.blocks.len() >= RUN_BLOCKS || run.bytes >= RUN_BYTES;
            if (full || fetching.0.is_empty())
                && let Some(synced) = self.give(chain, &mut run, target).await?
            {
                return Ok(synced);
            }
        }
        if run.given_until == end {
            return Ok(Synced::Done);
        }
        // The spans left were other peers' to fetch: done once the node has them all.
        let last = Some(target.hash);
        Ok(self
            .wait_for(chain, target.height, last)
            .await?
            .unwrap_or(Synced::Done))
    }

    /// Waits until the node has `block`, `chain`'s block at `height` (none: nothing to wait
    /// for), which another peer may be fetching; `None` once it has, or [`Synced::Again`] when
    /// that peer gave up on it.
    async fn wait_for(
        &self,
        chain: &HeaderChain,
        height: u64,
        block: Option<BlockHash>,
    ) -> Result<Option<Synced>, PeerError> {
        let Some(block) = block else {
            return Ok(None);
        };
        let span_end = (height / SPAN_BLOCKS + 1) * SPAN_BLOCKS - 1;
        let span_last = chain.hash_at(span_end).or(chain.tip().map(|t| t.hash));
        loop {
            // Whether its span is still claimed, read before whether the node has it: a claim
            // ends only after its blocks are given (or given up).
            let claimed = span_last.is_some_and(|last| self.downloads.is_claimed(&last));
            if self.node.common_block(&[block]).await?.is_some() {
                return Ok(None);
            }
            if !claimed {
                return Ok(Some(Synced::Again));
            }
            self.downloads.changed().await;
        }
    }

    /// The next of `spans` (heights `from..to` of `chain`) that the node lacks and no other
    /// peer has claimed, claimed for this one.
    async fn claim_next(
        &self,
        spans: &mut impl Iterator<Item = Range>,
        chain: &HeaderChain,
    ) -> Result<Option<(u64, u64, Claim)>, PeerError> {
        for (from, to) in spans {
            let Some(last) = chain.hash_at(to - 1) else {
                continue;
            };
            if self.node.common_block(&[last]).await?.is_some() {
                continue; // another peer gave it meanwhile
            }
            if let Some(claim) = self.downloads.claim(last) {
                return Ok(Some((from, to, claim)));
            }
        }
        Ok(None)
    }

    /// Gives `run`'s blocks to the node, once it has the block before them when they follow
    /// another peer's span; `None` when given, else how the catch-up ends.
    async fn give(
        &self,
        chain: &HeaderChain,
        run: &mut Run,
        target: ChainTip,
    ) -> Result<Option<Synced>, PeerError> {
        let next = run.next();
        if run.from != run.given_until {
            let parent = run.from.checked_sub(1).and_then(|h| chain.hash_at(h));
            let waited = self.wait_for(chain, run.from.saturating_sub(1), parent);
            if let Some(synced) = waited.await? {
                return Ok(Some(synced));
            }
        }
        if !self
            .give_to_node(std::mem::take(&mut run.blocks), target)
            .await?
        {
            return Ok(Some(Synced::Moved));
        }
        // Claims on spans the node now has end.
        while run.claims.front().is_some_and(|(to, _)| *to <= next) {
            run.claims.pop_front();
        }
        (run.from, run.given_until, run.bytes) = (next, next, 0);
        Ok(None)
    }

    /// Hands blocks of the peer's branch (headed up to `target`) to the node; `false` when one
    /// was held, its parent unknown after all (this node's chain moved meanwhile).
    async fn give_to_node(&self, blocks: Vec<Block>, target: ChainTip) -> Result<bool, PeerError> {
        {
            let mut recent = locked(&self.blocks_from_peer);
            for block in &blocks {
                recent.insert(block.hash());
            }
        }
        let answers = self
            .node
            .accept_headed_blocks(blocks, target)
            .await
            .map_err(|e| match e {
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
        Ok(!answers.iter().any(|a| a.status == BlockStatus::Held))
    }

    /// Fetches the peer's blocks of heights `range` (from, to exclusive: it may answer fewer) in
    /// a task of its own.
    fn fetch(&self, range: Range) -> (Range, Fetch) {
        let client = self.client.clone();
        (
            range,
            tokio::spawn(async move { client.blocks(range.0).await }),
        )
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
