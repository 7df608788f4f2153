//! The bodies of a checked header chain (see `sync`): fetched in batches from `GET /blocks`,
//! several travelling while the node works, each block matched to its header, and handed to the
//! node in long runs. Peers with the same chain share it in spans (`downloads`).

use std::collections::VecDeque;

use super::client::FRAMED_BATCH;
use super::downloads::Claim;
use super::error::PeerError;
use super::locked;
use super::peer::{Peer, now_millis};
use super::sync::Synced;
use crate::chain::{Block, BlockHash, ChainTip, HeaderChain};
use crate::node::{BlockStatus, NodeError};

/// Most blocks the node takes from a catch-up in one commit. A long run is written as an import
/// is: outputs it creates and spends never reach the chainstate, a page it changes many times is
/// written once, and one durable commit serves thousands of blocks.
pub(super) const RUN_BLOCKS: usize = 5000;
/// Most encoded bytes of one such run (what it holds in memory, decoded, is a small multiple).
const RUN_BYTES: usize = 8 * 1024 * 1024;
/// Blocks in one span: the share of a chain one peer fetches when several have it.
const SPAN_BLOCKS: u64 = 2500;
/// Batches asked for ahead of the one the node takes next.
const FETCH_AHEAD: usize = 2;
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

impl Peer {
    /// The bodies of `chain`'s blocks, fetched in batches (the next travelling while the node
    /// works) and handed to the node in runs of up to [`RUN_BLOCKS`], each block matched to its
    /// header first. The chain is split in spans of [`SPAN_BLOCKS`]: this peer fetches those no
    /// other peer has claimed (`downloads`), and gives a run once the node has its parent.
    pub(super) async fn fetch_bodies(&self, chain: &HeaderChain) -> Result<Synced, PeerError> {
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
}
