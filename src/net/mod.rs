//! The network: this node following other nodes over their own GraphQL API. Each peer has a
//! task (`peer`) that catches up with the peer's chain and then follows its announcements; every
//! block and transaction received goes to the node, which validates it like any other input.
//! One link is enough for both directions: a node follows its peer (queries and subscriptions,
//! open to anyone) and announces its own new blocks and transactions to it (`submitBlock`,
//! `submitTransaction`, with the peer's API token when it has one). See `docs/network.md`.
//!
//! This layer sits between `graphql` (which adds, removes and lists peers) and `node`.

mod announce;
mod bodies;
mod budget;
mod client;
mod downloads;
mod error;
mod follow;
mod misbehaviour;
mod peer;
mod push;
mod sync;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use thiserror::Error;
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::node::Node;
pub use budget::Budget;
pub use client::{BLOCK_BATCH, MAX_ANSWER_BYTES, PeerChain, PeerClient};
pub use error::PeerError;
pub use peer::{PeerState, PeerStatus};

/// Most peers one node follows.
pub const MAX_PEERS: usize = 32;

/// Why a peer cannot be added.
#[derive(Debug, Error)]
pub enum NetError {
    /// Not an `http://` or `https://` URL of a node.
    #[error("invalid peer URL {url:?}: {reason}")]
    InvalidUrl {
        /// What was given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Already following [`MAX_PEERS`] peers.
    #[error("this node follows {MAX_PEERS} peers already; remove one first")]
    TooManyPeers,
}

/// The peers this node follows.
#[derive(Debug)]
pub struct Network {
    node: Arc<Node>,
    peers: Mutex<BTreeMap<String, PeerSlot>>,
    /// Token for announcing to peers added without one of their own (`--peer-token`).
    default_token: Option<String>,
    /// Counts changes to the peers (added, removed, or a status changed), for `peersChanged`.
    changes: Arc<watch::Sender<u64>>,
    /// Who fetches which bodies, so that peers with the same chain share the work.
    downloads: Arc<downloads::Downloads>,
}

#[derive(Debug)]
struct PeerSlot {
    status: Arc<Mutex<PeerStatus>>,
    task: AbortHandle,
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Network {
    /// A network with no peers yet; `default_token` authorizes announcements to peers that
    /// need a token and were not given one of their own.
    pub fn new(node: Arc<Node>, default_token: Option<String>) -> Arc<Self> {
        Arc::new(Self {
            node,
            peers: Mutex::default(),
            default_token,
            changes: Arc::new(watch::Sender::new(0)),
            downloads: Arc::default(),
        })
    }

    /// Changes as they happen: the count moves whenever a peer is added or removed or its
    /// status changes (a receiver sees the latest count, not every step).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Starts following the node at `url` (its base URL; a trailing `/graphql` is accepted) and
    /// announcing this node's blocks and transactions to it, with `token` if it needs one.
    /// Adding a peer already followed answers its status.
    pub fn add_peer(&self, url: &str, token: Option<String>) -> Result<PeerStatus, NetError> {
        let base = normalize(url)?;
        let mut peers = locked(&self.peers);
        if let Some(slot) = peers.get(&base) {
            return Ok(locked(&slot.status).clone());
        }
        if peers.len() >= MAX_PEERS {
            return Err(NetError::TooManyPeers);
        }
        let initial = PeerStatus {
            url: base.clone(),
            state: PeerState::Connecting,
            height: None,
            tip_hash: None,
            last_seen: None,
            last_error: None,
            blocks_received: 0,
            transactions_received: 0,
            transactions_refused: 0,
            banned_until: None,
        };
        let status = Arc::new(Mutex::new(initial.clone()));
        let token = token.or_else(|| self.default_token.clone());
        let client =
            PeerClient::new(&base, Budget::default(), token).map_err(|e| NetError::InvalidUrl {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
        let peer = peer::Peer {
            node: self.node.clone(),
            client,
            base: base.clone(),
            status: status.clone(),
            changes: self.changes.clone(),
            blocks_from_peer: Mutex::default(),
            txs_from_peer: Mutex::default(),
            score: Mutex::default(),
            downloads: self.downloads.clone(),
        };
        let task = tokio::spawn(peer.run()).abort_handle();
        tracing::info!(peer = %base, "following peer");
        peers.insert(base, PeerSlot { status, task });
        self.changes.send_modify(|n| *n += 1);
        Ok(initial)
    }

    /// Stops following the peer at `url`; `false` if it was not followed.
    pub fn remove_peer(&self, url: &str) -> bool {
        let Ok(base) = normalize(url) else {
            return false;
        };
        let removed = locked(&self.peers).remove(&base).is_some();
        if removed {
            self.changes.send_modify(|n| *n += 1);
        }
        removed
    }

    /// Every peer, by URL.
    pub fn peers(&self) -> Vec<PeerStatus> {
        locked(&self.peers)
            .values()
            .map(|slot| locked(&slot.status).clone())
            .collect()
    }

    /// Stops following every peer.
    pub fn shutdown(&self) {
        locked(&self.peers).clear();
    }
}

/// The value behind `mutex`. Every change made under these locks (a status field, a set, a map
/// entry) is a single step, so a holder that panicked cannot have left one half-changed: a
/// poisoned lock is taken as it is rather than panicking again.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A peer's base URL: `http(s)://host[:port][/path]`, without a trailing `/` or `/graphql`.
/// Without a scheme (`127.0.0.1:8080`), `http://` is meant.
pub fn normalize(url: &str) -> Result<String, NetError> {
    let invalid = |reason: &str| NetError::InvalidUrl {
        url: url.chars().take(200).collect(),
        reason: reason.to_owned(),
    };
    let text = url.trim();
    let with_scheme = if text.is_empty() || text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    let parsed = reqwest::Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.host_str().is_none() {
        return Err(invalid("no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty() {
        return Err(invalid("no query, fragment or credentials"));
    }
    let text = parsed.as_str().trim_end_matches('/');
    Ok(text.strip_suffix("/graphql").unwrap_or(text).to_owned())
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn urls_are_normalized_and_checked() {
        assert_eq!(
            normalize("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize(" http://127.0.0.1:8080/graphql ").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize("127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize("localhost:8080/graphql").unwrap(),
            "http://localhost:8080"
        );
        for bad in [
            "ftp://x",
            "127.0.0.1:port",
            "",
            "http://a/?q=1",
            "http://u:p@a",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
