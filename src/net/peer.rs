//! One peer, served by a task of its own: connect, check that it runs the same chain, catch up
//! (block locator, then batches of blocks), tell it about the blocks it lacks, then follow its
//! announcements while announcing this node's new blocks and transactions to it; when anything
//! fails, wait (longer each time, longer still after misbehaviour) and start again. Starting again
//! is safe at any point: catching up resumes from the last block both chains share, so nothing
//! announced while the peer was away is missed.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;

use super::client::PeerClient;
use super::error::PeerError;
use super::follow::{Follow, Heard};
use crate::chain::{Block, BlockHash, Txid};
use crate::model::PoolEntry;
use crate::node::{BlockStatus, Node, NodeError, NodeEvent, PoolChangeKind, decode_block};

/// First wait after a failure.
const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15);
/// Wait after a peer misbehaved.
const PENALTY: Duration = Duration::from_secs(30);
/// A session that lasted this long resets the backoff.
const STABLE: Duration = Duration::from_secs(10);
/// Times one catch-up may start over because the peer's chain moved under it.
const MAX_RESTARTS: u32 = 3;
/// Blocks and transactions remembered as received from the peer (not announced back to it).
const REMEMBERED: usize = 4096;
/// Blocks read per statement when telling the peer about blocks it lacks.
const ANNOUNCE_BATCH: u64 = 100;

/// Where the connection to a peer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerState {
    /// Connecting, or checking its chain.
    Connecting,
    /// Fetching blocks this node lacks.
    Syncing,
    /// Caught up, and following its announcements.
    Following,
    /// It runs another chain (genesis or parameters): not retried.
    Incompatible,
    /// Unreachable or misbehaving: retried after a wait.
    Down,
}

/// A peer as `peers` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStatus {
    /// Its API's base URL.
    pub url: String,
    /// The connection's state.
    pub state: PeerState,
    /// Its tip's height, as last heard.
    pub height: Option<u64>,
    /// Its tip's hash, as last heard.
    pub tip_hash: Option<BlockHash>,
    /// When it was last heard from (Unix milliseconds).
    pub last_seen: Option<i64>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Blocks it sent that this node did not have.
    pub blocks_received: u64,
    /// Transactions of its pool this node pooled.
    pub transactions_received: u64,
}

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
    fn insert(&mut self, item: T) {
        if self.set.insert(item) {
            self.order.push_back(item);
            if self.order.len() > REMEMBERED
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
        }
    }

    fn contains(&self, item: &T) -> bool {
        self.set.contains(item)
    }
}

/// The task serving one peer.
pub(super) struct Peer {
    pub node: Arc<Node>,
    pub client: PeerClient,
    pub base: String,
    pub status: Arc<Mutex<PeerStatus>>,
    pub blocks_from_peer: Mutex<Recent<BlockHash>>,
    pub txs_from_peer: Mutex<Recent<Txid>>,
}

impl Peer {
    fn update(&self, change: impl FnOnce(&mut PeerStatus)) {
        let mut status = self.status.lock().expect("peer status");
        change(&mut status);
    }

    fn heard(&self, height: Option<u64>, tip: Option<BlockHash>) {
        self.update(|s| {
            s.height = height.or(s.height);
            s.tip_hash = tip.or(s.tip_hash);
            s.last_seen = Some(now_millis());
        });
    }

    /// Follows the peer until the task is aborted (or the peer is incompatible).
    pub async fn run(self) {
        let mut backoff = MIN_BACKOFF;
        loop {
            self.update(|s| s.state = PeerState::Connecting);
            let started = Instant::now();
            let Err(error) = self.session().await;
            tracing::info!(peer = %self.base, %error, "peer session ended");
            let wait = match &error {
                PeerError::Incompatible(_) => {
                    self.update(|s| {
                        s.state = PeerState::Incompatible;
                        s.last_error = Some(error.to_string());
                    });
                    return;
                }
                PeerError::Misbehaved(_) => PENALTY,
                _ if started.elapsed() > STABLE => MIN_BACKOFF,
                _ => backoff,
            };
            backoff = (wait * 2).min(MAX_BACKOFF);
            self.update(|s| {
                s.state = PeerState::Down;
                s.last_error = Some(error.to_string());
            });
            tokio::time::sleep(wait).await;
        }
    }

    /// One connection: subscribe first (so nothing announced while catching up is missed),
    /// check the chain, catch up, tell the peer what it lacks, then follow it and announce to
    /// it. Ends only with an error.
    async fn session(&self) -> Result<std::convert::Infallible, PeerError> {
        let mut follow = Follow::open(&self.base).await?;
        let mut ours = self.node.subscribe();
        let chain = self.client.chain().await?;
        self.check_compatible(&chain).await?;
        let tip = chain.tip_hash.as_deref().and_then(|h| h.parse().ok());
        self.heard(chain.height, tip);
        self.update(|s| s.state = PeerState::Syncing);
        self.sync().await?;
        self.announce_chain().await?;
        self.update(|s| {
            s.state = PeerState::Following;
            s.last_error = None;
        });
        loop {
            tokio::select! {
                heard = follow.next() => self.on_heard(heard?).await?,
                event = ours.recv() => match event {
                    Ok(event) => self.announce(event).await?,
                    // Missed some of our own announcements: tell the peer what it lacks.
                    Err(RecvError::Lagged(_)) => {
                        self.announce_chain().await?;
                    }
                    Err(RecvError::Closed) => {
                        return Err(PeerError::Node(NodeError::ShuttingDown));
                    }
                },
            }
        }
    }

    /// Something the peer announced.
    async fn on_heard(&self, heard: Heard) -> Result<(), PeerError> {
        match heard {
            Heard::Block { height, hash } => {
                self.heard(Some(height), Some(hash));
                if self.node.block_in_tree(&hash).await?.is_none() {
                    self.update(|s| s.state = PeerState::Syncing);
                    self.sync().await?;
                    self.update(|s| s.state = PeerState::Following);
                }
            }
            Heard::Transaction(txid) => {
                self.heard(None, None);
                if self.node.raw_transaction(&txid).await?.is_some() {
                    return Ok(());
                }
                let Some(raw) = self.client.raw_transaction(&txid).await? else {
                    return Ok(()); // mined or gone meanwhile
                };
                self.txs_from_peer.lock().expect("recent").insert(txid);
                match self.node.submit_transaction(&raw).await {
                    Ok(_) => self.update(|s| s.transactions_received += 1),
                    // A conflict with this pool, or a transaction mined here already: the
                    // peer's view differs, which is no misbehaviour.
                    Err(err) if err.is_refusal() => {
                        tracing::debug!(peer = %self.base, %txid, error = %err, "relayed transaction refused")
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        }
        Ok(())
    }

    /// Tells the peer about one of this node's new blocks or pool transactions, unless it came
    /// from the peer. A refusal is recorded, not fatal: the peer follows its own rules.
    async fn announce(&self, event: NodeEvent) -> Result<(), PeerError> {
        let outcome = match event {
            NodeEvent::BlockMined(block) => {
                if self
                    .blocks_from_peer
                    .lock()
                    .expect("recent")
                    .contains(&block.hash)
                {
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
                if self
                    .txs_from_peer
                    .lock()
                    .expect("recent")
                    .contains(&pending.txid)
                {
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
    /// the peer lacks). Returns how many were sent.
    async fn announce_chain(&self) -> Result<u64, PeerError> {
        let locator = self.node.block_locator().await?;
        if locator.is_empty() {
            return Ok(0);
        }
        // An empty peer takes this chain from genesis.
        let mut from = match self.client.common_height(&locator).await? {
            Some(common) => common + 1,
            None if self.client.chain().await?.height.is_none() => 0,
            None => return Ok(0),
        };
        let mut sent = 0;
        loop {
            let blocks = self.node.blocks_from(from, ANNOUNCE_BATCH).await?;
            if blocks.is_empty() {
                return Ok(sent);
            }
            for block in &blocks {
                let outcome = self
                    .client
                    .submit_block(&hex::encode(block.block.encode()))
                    .await;
                if outcome.is_err() {
                    self.announced(outcome.map(|_| ()))?;
                    return Ok(sent);
                }
                sent += 1;
            }
            from += blocks.len() as u64;
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

    /// The peer must run this chain: same parameters, and the same genesis once both have one.
    async fn check_compatible(&self, chain: &super::client::PeerChain) -> Result<(), PeerError> {
        let ours = self.node.chain_info().await?;
        if (chain.difficulty_bits, chain.reward, chain.max_block_txs)
            != (ours.difficulty_bits, ours.reward, ours.max_block_txs)
        {
            return Err(PeerError::Incompatible(format!(
                "it runs difficulty {} bits, reward {}, at most {} transactions per block; this node runs {}, {}, {}",
                chain.difficulty_bits,
                chain.reward,
                chain.max_block_txs,
                ours.difficulty_bits,
                ours.reward,
                ours.max_block_txs
            )));
        }
        if let (Some(ours), Some(theirs)) = (ours.genesis_hash, chain.genesis_hash.as_deref())
            && ours.to_string() != theirs
        {
            return Err(PeerError::Incompatible(format!(
                "its genesis block is {theirs}, this node's is {ours}"
            )));
        }
        Ok(())
    }

    /// Catches up with the peer's main chain: from the last block both share, batches of its
    /// blocks until it has no more. Every block is validated by the node like any other.
    async fn sync(&self) -> Result<(), PeerError> {
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
            let blocks = raw
                .iter()
                .map(|hex| decode_block(hex))
                .collect::<Result<Vec<Block>, NodeError>>()
                .map_err(|e| {
                    PeerError::Misbehaved(format!("sent a block that does not decode: {e}"))
                })?;
            {
                let mut recent = self.blocks_from_peer.lock().expect("recent");
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
    fn fetch(&self, from: u64) -> tokio::task::JoinHandle<Result<Vec<String>, PeerError>> {
        let client = self.client.clone();
        tokio::spawn(async move { client.raw_blocks(from).await })
    }

    /// The height after the last block this node's chain and the peer's share (0 when this
    /// node has none); `None` when the peer has no chain at all.
    async fn fork_height(&self) -> Result<Option<u64>, PeerError> {
        let locator = self.node.block_locator().await?;
        if locator.is_empty() {
            return Ok(Some(0));
        }
        match self.client.common_height(&locator).await? {
            Some(height) => Ok(Some(height + 1)),
            None if self.client.chain().await?.height.is_none() => Ok(None),
            None => Err(PeerError::Incompatible(
                "its chain shares no block with this node's".into(),
            )),
        }
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
