//! Relaying announcements between replicas on PostgreSQL.
//!
//! On SQLite the writing process publishes its announcements itself after commit. On PostgreSQL
//! every announcement is a `NOTIFY` sent inside the writer's transaction, and every process —
//! the writer included — relays what it hears to its own subscribers, so a subscriber on any
//! replica sees every block and pool change. A relay that missed notifications (a dropped
//! connection) reconnects, then catches up from the database: blocks by height, and pool entries
//! added or refused since the newest one it published (each published once, even if its
//! notification arrives too). Removals of entries mined meanwhile are not replayed; the blocks
//! that mined them are.
//!
//! Each commit's notifications end with a marker naming the writing node and a sequence number;
//! the writer waits until its own relay has passed the marker before answering, so a client that
//! subscribes after its mutation returned never receives that mutation's announcements.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::events::{NodeEvent, PoolChangeKind, Wire};
use crate::chain::Params;
use crate::model::PoolEntry;
use crate::store::blocks;
use crate::store::notify::{Heard, Listener};
use crate::store::pool;
use crate::store::{Store, StoreResult};

/// Blocks read per statement while catching up.
const CATCH_UP_BATCH: u64 = 500;

/// Most pool changes replayed after a reconnection (a subscriber wanting more reads `pool`).
const POOL_REPLAY: u64 = 1000;

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
        params: SharedParams,
        burst: usize,
    ) -> StoreResult<Self> {
        let listener = Listener::connect(store.url()).await?;
        let origin = OsRng.next_u64();
        let (passed, relayed) = watch::channel(0);
        let task = tokio::spawn(relay(
            store, events, listener, origin, passed, params, burst,
        ));
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

/// Relays PostgreSQL notifications to this process's subscribers until aborted: listens, and
/// after every lost connection reconnects first and then catches up from the database.
async fn relay(
    store: Store,
    events: broadcast::Sender<NodeEvent>,
    listener: Listener,
    origin: u64,
    passed: watch::Sender<u64>,
    params: SharedParams,
    burst: usize,
) {
    let mut state = RelayState::at_tip(&store, burst).await;
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
        // Listening again: now read what was committed while no connection was.
        if let Err(err) = state.catch_up(&store, &events).await {
            tracing::warn!(error = %err, "catch-up failed");
        }
        loop {
            let payload = match listener.recv().await {
                Ok(Heard::Payload(payload)) => payload,
                Ok(Heard::Reconnecting) => {
                    tracing::warn!("LISTEN connection lost; reconnecting");
                    break;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "LISTEN connection failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    break;
                }
            };
            match serde_json::from_str::<Wire>(&payload) {
                Ok(Wire::Relayed { origin: from, seq }) => {
                    if from == origin {
                        passed.send_replace(seq);
                    }
                }
                Ok(wire) => {
                    if matches!(wire, Wire::Reset { .. }) {
                        // Another replica's reset may have started a chain with another premine.
                        reload_params(&store, &params).await;
                    }
                    state.heard(&store, &events, wire).await
                }
                Err(err) => tracing::warn!(error = %err, "ignoring an unreadable notification"),
            }
        }
    }
}

/// The chain's parameters as the node runs with them, shared with the relay.
pub(crate) type SharedParams = std::sync::Arc<std::sync::RwLock<Params>>;

/// Reads the chain's recorded parameters into `params`.
async fn reload_params(store: &Store, params: &SharedParams) {
    let current = params
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    match crate::store::params::get(store.db(), &current).await {
        Ok(Some(recorded)) => {
            *params
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = recorded;
        }
        Ok(None) => {}
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the chain's parameters after a reset")
        }
    }
}

/// What the relay has published, so a reconnected relay replays only what it missed.
struct RelayState {
    /// Height of the last block published.
    last_block: Option<u64>,
    /// Id of the newest pool entry published as accepted or refused.
    last_pool: Option<i64>,
    /// Pool changes replayed after the last reconnection: their notifications, if they arrive
    /// too, are not published twice.
    replayed: HashSet<(i64, PoolChangeKind)>,
    /// Blocks published at most for one notification (see `events::within_burst`).
    burst: u64,
}

impl RelayState {
    /// A relay starting at the current tip and newest pool entry.
    async fn at_tip(store: &Store, burst: usize) -> Self {
        let mut state = Self {
            last_block: None,
            last_pool: None,
            replayed: HashSet::new(),
            burst: burst as u64,
        };
        match (
            blocks::tip(store.db()).await,
            pool::last_id(store.db()).await,
        ) {
            (Ok(tip), Ok(last_pool)) => {
                state.last_block = tip.map(|t| t.height);
                state.last_pool = last_pool;
            }
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!(error = %err, "relay cannot read the tip; starting from genesis");
            }
        }
        state
    }

    /// Publishes what one notification announces.
    async fn heard(&mut self, store: &Store, events: &broadcast::Sender<NodeEvent>, wire: Wire) {
        match wire {
            // An empty text: a reset to an empty chain.
            Wire::Reset { genesis } => match Some(genesis.as_str())
                .filter(|g| !g.is_empty())
                .map(str::parse)
                .transpose()
            {
                Ok(genesis) => {
                    self.last_block = None;
                    let _ = events.send(NodeEvent::ChainReset { genesis });
                }
                Err(err) => tracing::warn!(error = %err, "ignoring a reset with a broken genesis"),
            },
            Wire::Block { height } => {
                let caught_up = catch_up_blocks(
                    store,
                    events,
                    &mut self.last_block,
                    Some(height),
                    self.burst,
                )
                .await;
                if let Err(err) = caught_up {
                    tracing::warn!(error = %err, "relay could not read announced blocks");
                }
            }
            wire @ Wire::Pool { .. } => match wire.pool_entry() {
                Some((kind, entry)) => self.heard_pool(events, kind, entry),
                None => tracing::warn!("ignoring a pool notification that does not parse"),
            },
            wire @ (Wire::Reverted { .. }
            | Wire::Reorganized { .. }
            | Wire::Mining { .. }
            | Wire::Snapshots) => {
                match wire.settled_event() {
                    Some(event) => {
                        match &event {
                            NodeEvent::ChainReverted { tip, .. } => {
                                self.last_block = tip.map(|t| t.height)
                            }
                            // The connected blocks' own notifications follow.
                            NodeEvent::ChainReorganized(reorg) => {
                                self.last_block = Some(reorg.fork.height)
                            }
                            _ => {}
                        }
                        let _ = events.send(event);
                    }
                    None => tracing::warn!("ignoring a notification that does not parse"),
                }
            }
            // Markers are the relay loop's.
            Wire::Relayed { .. } => {}
        }
    }

    /// After (re)connecting: blocks committed since the last one published, then pool entries
    /// added or refused since the newest one published (entries mined meanwhile are in the
    /// blocks; their removals are not replayed).
    async fn catch_up(
        &mut self,
        store: &Store,
        events: &broadcast::Sender<NodeEvent>,
    ) -> StoreResult<()> {
        catch_up_blocks(store, events, &mut self.last_block, None, self.burst).await?;
        self.replayed.clear();
        let missed = pool::page(store.db(), true, self.last_pool, POOL_REPLAY).await?;
        for entry in missed {
            let kind = match entry {
                PoolEntry::Pending(_) => PoolChangeKind::Added,
                PoolEntry::Refused(_) => PoolChangeKind::Rejected,
            };
            self.last_pool = Some(entry.id());
            self.replayed.insert((entry.id(), kind));
            let _ = events.send(NodeEvent::PoolChanged {
                kind,
                entry: Arc::new(entry),
            });
        }
        Ok(())
    }

    /// Publishes a pool change heard, unless a replay already did.
    fn heard_pool(
        &mut self,
        events: &broadcast::Sender<NodeEvent>,
        kind: PoolChangeKind,
        entry: PoolEntry,
    ) {
        let id = entry.id();
        if self.replayed.remove(&(id, kind)) {
            return;
        }
        if kind != PoolChangeKind::Removed {
            self.last_pool = self.last_pool.max(Some(id));
        }
        let _ = events.send(NodeEvent::PoolChanged {
            kind,
            entry: Arc::new(entry),
        });
    }
}

/// Publishes the blocks above `last` up to `upto` (or the tip), in height order: the last
/// `burst` of them (see `events::within_burst`).
async fn catch_up_blocks(
    store: &Store,
    events: &broadcast::Sender<NodeEvent>,
    last: &mut Option<u64>,
    upto: Option<u64>,
    burst: u64,
) -> StoreResult<()> {
    let upto = match upto {
        Some(height) => Some(height),
        None => blocks::tip(store.db()).await?.map(|t| t.height),
    };
    let Some(upto) = upto else { return Ok(()) };
    if let Some(skip_to) = upto.checked_sub(burst)
        && last.is_none_or(|l| l < skip_to)
    {
        *last = Some(skip_to);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Keystore, Node, NodeConfig};

    fn kinds(events: &mut broadcast::Receiver<NodeEvent>) -> Vec<(i64, PoolChangeKind)> {
        let mut seen = Vec::new();
        while let Ok(event) = events.try_recv() {
            if let NodeEvent::PoolChanged { kind, entry } = event {
                seen.push((entry.id(), kind));
            }
        }
        seen
    }

    /// A relay that reconnects replays the entries added or refused since the newest it
    /// published, and then publishes each notification of those only once.
    #[tokio::test]
    async fn a_reconnected_relay_replays_missed_pool_changes_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
        let store = Store::open(&url).await.unwrap();
        let config = NodeConfig::default();
        let keystore = Keystore::new(&[7; 32]);
        let node = Arc::new(Node::open(store.clone(), config, keystore).await.unwrap());
        let wallets = node
            .reset_system(crate::node::ResetTarget::Training)
            .await
            .unwrap();
        let a: Vec<String> = wallets.iter().map(|w| w.address.to_string()).collect();
        let published = pool::last_id(store.db()).await.unwrap();
        // Missed while disconnected: two accepted sends and one refused.
        let first = node.send(&a[1], &a[2], 1).await.unwrap();
        let second = node.send(&a[2], &a[3], 1).await.unwrap();
        assert!(node.send(&a[3], &a[1], 1_000).await.is_err());
        let refused = pool::last_id(store.db()).await.unwrap().unwrap();

        let (sender, mut events) = broadcast::channel(64);
        let mut state = RelayState {
            last_block: node.chain_info().await.unwrap().height,
            last_pool: published,
            replayed: HashSet::new(),
            burst: 256,
        };
        state.catch_up(&store, &sender).await.unwrap();
        assert_eq!(
            kinds(&mut events),
            [
                (first.id(), PoolChangeKind::Added),
                (second.id(), PoolChangeKind::Added),
                (refused, PoolChangeKind::Rejected),
            ]
        );
        assert_eq!(state.last_pool, Some(refused));

        // Their notifications arrive after all: not published again. Later changes are, and so
        // is an earlier entry's removal.
        let entry = |id| {
            PoolEntry::Refused(crate::model::RefusedSend {
                id,
                from: String::new(),
                to: String::new(),
                amount: 1,
                error: String::new(),
                created_at: 0,
            })
        };
        state.heard_pool(&sender, PoolChangeKind::Added, entry(first.id()));
        state.heard_pool(&sender, PoolChangeKind::Rejected, entry(refused));
        state.heard_pool(&sender, PoolChangeKind::Added, entry(refused + 1));
        state.heard_pool(&sender, PoolChangeKind::Removed, entry(first.id()));
        assert_eq!(
            kinds(&mut events),
            [
                (refused + 1, PoolChangeKind::Added),
                (first.id(), PoolChangeKind::Removed),
            ]
        );
        assert_eq!(state.last_pool, Some(refused + 1));
        // Nothing new since: a second reconnection replays nothing.
        state.catch_up(&store, &sender).await.unwrap();
        assert_eq!(kinds(&mut events), []);
    }
}
