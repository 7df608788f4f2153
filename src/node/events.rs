//! What the node announces after each commit, for subscribers.
//!
//! On SQLite the writing process publishes its announcements itself after commit. On PostgreSQL
//! every announcement is a `NOTIFY` sent inside the writer's transaction, and every process —
//! the writer included — relays what it hears to its own subscribers, so a subscriber on any
//! replica sees every block and pool change. Blocks are re-read from the database by height, so
//! a relay that missed notifications (a dropped connection) catches up instead of skipping.
//!
//! Each commit's notifications end with a marker naming the writing node and a sequence number;
//! the writer waits until its own relay has passed the marker before answering, so a client that
//! subscribes after its mutation returned never receives that mutation's announcements.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::chain::BlockHash;
use crate::store::blocks::{self, StoredBlock};
use crate::store::notify::{Heard, Listener};
use crate::store::pool::PoolEntry;
use crate::store::{Store, StoreResult};

/// How the pool changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolChangeKind {
    /// A send was accepted and waits to be mined.
    Added,
    /// A send was refused (or a pending entry failed its re-check when mining).
    Rejected,
    /// A pending entry was mined.
    Removed,
}

/// One committed change, in commit order.
#[derive(Debug, Clone)]
pub enum NodeEvent {
    /// A block was mined and committed.
    BlockMined(Arc<StoredBlock>),
    /// The chain was cleared (`reset_system`): heights start again from `genesis`, which tells
    /// a subscriber that already follows the new chain (it subscribed after the reset
    /// committed, before the announcement reached it) that there is nothing to replay.
    ChainReset {
        /// The new chain's first block.
        genesis: BlockHash,
    },
    /// The pool changed.
    PoolChanged {
        /// How.
        kind: PoolChangeKind,
        /// The entry concerned.
        entry: Arc<PoolEntry>,
    },
}

/// An announcement as it travels through `NOTIFY` (well under PostgreSQL's 8,000-byte limit:
/// pool fields are truncated when stored).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Wire {
    Reset {
        genesis: String,
    },
    Block {
        height: u64,
    },
    Pool {
        kind: PoolChangeKind,
        id: i64,
        txid: Option<String>,
        from: String,
        to: String,
        amount: i64,
        created_at: i64,
        error: Option<String>,
    },
    /// The end of one commit's announcements by the node `origin`.
    Relayed {
        origin: u64,
        seq: u64,
    },
}

impl NodeEvent {
    /// The `NOTIFY` payload.
    pub(crate) fn to_wire(&self) -> String {
        let wire = match self {
            Self::ChainReset { genesis } => Wire::Reset {
                genesis: genesis.to_string(),
            },
            Self::BlockMined(block) => Wire::Block {
                height: block.height,
            },
            Self::PoolChanged { kind, entry } => Wire::Pool {
                kind: *kind,
                id: entry.id,
                txid: entry.txid.map(|t| t.to_string()),
                from: entry.from.clone(),
                to: entry.to.clone(),
                amount: entry.amount,
                created_at: entry.created_at,
                error: entry.error.clone(),
            },
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }
}

/// Blocks read per statement while catching up.
const CATCH_UP_BATCH: u64 = 100;

/// How long a writer waits for its relay to pass its marker before answering anyway (the relay
/// is reconnecting; it catches up on its own).
const RELAY_WAIT: Duration = Duration::from_secs(2);

/// A node's running relay and what its writer needs to wait for it.
#[derive(Debug)]
pub(crate) struct Relay {
    task: JoinHandle<()>,
    /// Tells this node's markers from other replicas'.
    origin: u64,
    /// The sequence number of this node's last commit.
    sent: AtomicU64,
    /// The sequence number of this node's last commit the relay has published.
    relayed: watch::Receiver<u64>,
}

impl Relay {
    /// Starts relaying for a store on PostgreSQL. Returns once this process is listening, so no
    /// commit after this returns goes unheard.
    pub(crate) async fn start(
        store: Store,
        events: broadcast::Sender<NodeEvent>,
    ) -> StoreResult<Self> {
        let listener = Listener::connect(store.url()).await?;
        let origin = OsRng.next_u64();
        let (passed, relayed) = watch::channel(0);
        let task = tokio::spawn(relay(store, events, listener, origin, passed));
        Ok(Self {
            task,
            origin,
            sent: AtomicU64::new(0),
            relayed,
        })
    }

    /// Inside the writer's transaction: the marker that closes this commit's notifications, and
    /// its sequence number.
    pub(crate) fn marker(&self) -> (String, u64) {
        let seq = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        let wire = Wire::Relayed {
            origin: self.origin,
            seq,
        };
        (serde_json::to_string(&wire).unwrap_or_default(), seq)
    }

    /// After commit: waits until the relay has published everything up to marker `seq`.
    pub(crate) async fn relayed(&self, seq: u64) {
        let mut relayed = self.relayed.clone();
        let waited = tokio::time::timeout(RELAY_WAIT, relayed.wait_for(|r| *r >= seq)).await;
        if !matches!(waited, Ok(Ok(_))) {
            tracing::warn!(
                seq,
                "relay has not published a commit yet; answering anyway"
            );
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Relays PostgreSQL notifications to this process's subscribers until aborted.
async fn relay(
    store: Store,
    events: broadcast::Sender<NodeEvent>,
    listener: Listener,
    origin: u64,
    passed: watch::Sender<u64>,
) {
    let mut last = match blocks::tip(store.db()).await {
        Ok(tip) => tip.map(|t| t.height),
        Err(err) => {
            tracing::warn!(error = %err, "relay cannot read the tip; starting from genesis");
            None
        }
    };
    let mut connected = Some(listener);
    loop {
        let mut listener = match connected.take() {
            Some(listener) => listener,
            None => match Listener::connect(store.url()).await {
                Ok(listener) => listener,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot LISTEN; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        // Blocks committed while no connection was listening.
        if let Err(err) = catch_up(&store, &events, &mut last, None).await {
            tracing::warn!(error = %err, "catch-up failed");
        }
        loop {
            let heard = match listener.recv().await {
                Ok(heard) => heard,
                Err(err) => {
                    tracing::warn!(error = %err, "LISTEN connection failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            };
            let result = match heard {
                Heard::Reconnecting => catch_up(&store, &events, &mut last, None).await,
                Heard::Payload(payload) => match serde_json::from_str::<Wire>(&payload) {
                    Ok(Wire::Reset { genesis }) => match genesis.parse() {
                        Ok(genesis) => {
                            last = None;
                            let _ = events.send(NodeEvent::ChainReset { genesis });
                            Ok(())
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "ignoring a reset without a genesis");
                            Ok(())
                        }
                    },
                    Ok(Wire::Block { height }) => {
                        catch_up(&store, &events, &mut last, Some(height)).await
                    }
                    Ok(Wire::Pool {
                        kind,
                        id,
                        txid,
                        from,
                        to,
                        amount,
                        created_at,
                        error,
                    }) => {
                        let entry = PoolEntry {
                            id,
                            txid: txid.and_then(|t| t.parse().ok()),
                            from,
                            to,
                            amount,
                            created_at,
                            error,
                            tx: None,
                        };
                        let _ = events.send(NodeEvent::PoolChanged {
                            kind,
                            entry: Arc::new(entry),
                        });
                        Ok(())
                    }
                    Ok(Wire::Relayed { origin: from, seq }) => {
                        if from == origin {
                            passed.send_replace(seq);
                        }
                        Ok(())
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "ignoring an unreadable notification");
                        Ok(())
                    }
                },
            };
            if let Err(err) = result {
                tracing::warn!(error = %err, "relay could not read announced blocks");
            }
        }
    }
}

/// Publishes every block above `last` up to `upto` (or the tip), in height order.
async fn catch_up(
    store: &Store,
    events: &broadcast::Sender<NodeEvent>,
    last: &mut Option<u64>,
    upto: Option<u64>,
) -> StoreResult<()> {
    let upto = match upto {
        Some(height) => Some(height),
        None => blocks::tip(store.db()).await?.map(|t| t.height),
    };
    let Some(upto) = upto else { return Ok(()) };
    while last.is_none_or(|l| l < upto) {
        let from = last.map_or(0, |l| l + 1);
        let batch = blocks::range(store.db(), from, CATCH_UP_BATCH.min(upto - from + 1)).await?;
        if batch.is_empty() {
            break;
        }
        for block in batch {
            *last = Some(block.height);
            let _ = events.send(NodeEvent::BlockMined(Arc::new(block)));
        }
    }
    Ok(())
}
