//! One peer, served by a task of its own: connect, check that it runs the same chain, catch up
//! (block locator, then batches of blocks), tell it about the blocks it lacks, then follow its
//! announcements while announcing this node's new blocks and transactions to it; when anything
//! fails, wait (longer each time) and start again; after misbehaviour, the peer is banned (see
//! [`super::misbehaviour`]). Starting again
//! is safe at any point: catching up resumes from the last block both chains share, so nothing
//! announced while the peer was away is missed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;

use super::announce::Recent;
use super::client::PeerClient;
use super::downloads::Downloads;
use super::error::PeerError;
use super::follow::{Follow, Heard};
use super::locked;
use super::misbehaviour::{self, Score};
use crate::chain::{BlockHash, Txid};
use crate::node::{Node, NodeError};

/// First wait after a failure.
const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15);
/// A session that lasted this long resets the backoff.
const STABLE: Duration = Duration::from_secs(10);

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
    /// Unreachable: retried after a wait.
    Down,
    /// It misbehaved: nothing is asked of it or sent to it until the ban ends.
    Banned,
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
    /// Transactions of its pool this node refused (conflicts, already mined here).
    pub transactions_refused: u64,
    /// While banned, until when (Unix milliseconds).
    pub banned_until: Option<i64>,
}

/// The task serving one peer.
pub(super) struct Peer {
    pub node: Arc<Node>,
    pub client: PeerClient,
    pub base: String,
    pub status: Arc<Mutex<PeerStatus>>,
    /// Told of every status change (`Network::changes`).
    pub changes: Arc<tokio::sync::watch::Sender<u64>>,
    pub blocks_from_peer: Mutex<Recent<BlockHash>>,
    pub txs_from_peer: Mutex<Recent<Txid>>,
    /// Its misbehaviour so far, kept across sessions.
    pub score: Mutex<Score>,
    /// The spans of a chain every peer task of this node is fetching (shared by them all).
    pub downloads: Arc<Downloads>,
}

impl Peer {
    pub(super) fn update(&self, change: impl FnOnce(&mut PeerStatus)) {
        let changed = {
            let mut status = locked(&self.status);
            let before = status.clone();
            change(&mut status);
            *status != before
        };
        if changed {
            self.changes.send_modify(|n| *n += 1);
        }
    }

    pub(super) fn heard(&self, height: Option<u64>, tip: Option<BlockHash>) {
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
            let (wait, state) = match &error {
                PeerError::Incompatible(_) => {
                    self.update(|s| {
                        s.state = PeerState::Incompatible;
                        s.last_error = Some(error.to_string());
                    });
                    return;
                }
                PeerError::Misbehaved(_) => {
                    let ban = locked(&self.score)
                        .add(misbehaviour::BAN_THRESHOLD)
                        .unwrap_or(misbehaviour::FIRST_BAN);
                    tracing::warn!(peer = %self.base, %error, ban_seconds = ban.as_secs(), "peer banned");
                    (ban, PeerState::Banned)
                }
                _ if started.elapsed() > STABLE => (MIN_BACKOFF, PeerState::Down),
                _ => (backoff, PeerState::Down),
            };
            if state == PeerState::Down {
                backoff = (wait * 2).min(MAX_BACKOFF);
            }
            let until = (state == PeerState::Banned)
                .then(|| now_millis().saturating_add(wait.as_millis() as i64));
            self.update(|s| {
                s.state = state;
                s.last_error = Some(error.to_string());
                s.banned_until = until;
            });
            tokio::time::sleep(wait).await;
            self.update(|s| s.banned_until = None);
        }
    }

    /// Whether a peer whose tip is at `height` may have a chain with more work than this node's.
    /// Every block of a chain needs the same work, so a chain no higher than this one has no
    /// more (at equal work the branch seen first stays): its blocks are not downloaded at all.
    /// A peer that understates its height only keeps its own blocks to itself.
    async fn may_have_more_work(&self, height: Option<u64>) -> Result<bool, PeerError> {
        let Some(theirs) = height else {
            return Ok(false);
        };
        Ok(self
            .node
            .tip()
            .await?
            .is_none_or(|ours| theirs > ours.height))
    }

    /// Counts a bad answer worth `points`; at the threshold the session ends, and the peer is
    /// banned, for `reason` (repeated so many times).
    pub(super) fn misbehaving(&self, points: u32, reason: &str) -> Result<(), PeerError> {
        let mut score = locked(&self.score);
        let total = score.points().saturating_add(points);
        if total >= misbehaviour::BAN_THRESHOLD {
            // `run` counts the ban when the session ends with this error.
            return Err(PeerError::Misbehaved(format!(
                "{reason}; with its other bad answers, {total} points (a ban at {})",
                misbehaviour::BAN_THRESHOLD
            )));
        }
        score.add(points);
        tracing::info!(peer = %self.base, points = score.points(), %reason, "peer misbehaving");
        Ok(())
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
        if self.may_have_more_work(chain.height).await? {
            self.update(|s| s.state = PeerState::Syncing);
            self.sync().await?;
        }
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
                if !self.node.knows_block(&hash).await?
                    && self.may_have_more_work(Some(height)).await?
                {
                    self.update(|s| s.state = PeerState::Syncing);
                    self.sync().await?;
                    self.update(|s| s.state = PeerState::Following);
                    // Caught up with its chain, and still no such block (nor held: a block
                    // that came would be known or held by now).
                    if !self.node.knows_block(&hash).await? && !self.node.holds_block(&hash) {
                        self.misbehaving(
                            misbehaviour::UNSERVED_BLOCK,
                            &format!("announced block {hash} and did not serve it"),
                        )?;
                    }
                }
            }
            Heard::Transaction(txid) => {
                self.heard(None, None);
                if self.node.raw_transaction(&txid).await?.is_some() {
                    return Ok(());
                }
                // A peer serves its pending and its mined transactions alike: one it announced
                // and cannot serve was evicted meanwhile, or never was.
                let Some(raw) = self.client.raw_transaction(&txid).await? else {
                    return self.misbehaving(
                        misbehaviour::UNSERVED_TRANSACTION,
                        &format!("announced transaction {txid} and did not serve it"),
                    );
                };
                locked(&self.txs_from_peer).insert(txid);
                match self.node.relay_transaction(&raw).await {
                    Ok(_) => self.update(|s| s.transactions_received += 1),
                    // A conflict with this pool, or a transaction mined here already: the
                    // peer's view differs, which is no misbehaviour, and no entry for the
                    // user's refusal log: the peer's own count and this node's log keep it.
                    Err(err) if err.is_refusal() => {
                        tracing::info!(peer = %self.base, %txid, error = %err, "relayed transaction refused");
                        self.update(|s| s.transactions_refused += 1);
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        }
        Ok(())
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
}

pub(super) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
