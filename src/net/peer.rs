//! One peer, served by a task of its own: connect, check that it runs the same chain, catch up
//! (block locator, then batches of blocks), tell it about the blocks it lacks, then follow its
//! announcements while announcing this node's new blocks and transactions to it; when anything
//! fails, wait (longer each time, longer still after misbehaviour) and start again. Starting again
//! is safe at any point: catching up resumes from the last block both chains share, so nothing
//! announced while the peer was away is missed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;

use super::announce::Recent;
use super::client::PeerClient;
use super::error::PeerError;
use super::follow::{Follow, Heard};
use super::locked;
use crate::chain::{BlockHash, Txid};
use crate::node::{Node, NodeError};

/// First wait after a failure.
const MIN_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15);
/// Wait after a peer misbehaved.
const PENALTY: Duration = Duration::from_secs(30);
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
                if !self.node.knows_block(&hash).await? {
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
                locked(&self.txs_from_peer).insert(txid);
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
