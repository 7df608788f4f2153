//! `Peer`: a node this one follows, and how that is going.

use async_graphql::{Enum, Object};

use crate::net::{self, PeerStatus};

// The network's own states, shown as they are.
/// Where the connection to a peer stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "net::PeerState")]
pub enum PeerState {
    /// Connecting, or checking that it runs the same chain.
    Connecting,
    /// Fetching blocks this node lacks.
    Syncing,
    /// Caught up, following its new blocks and transactions.
    Following,
    /// It runs another chain (genesis block or parameters); `lastError` says how. Not retried.
    Incompatible,
    /// Unreachable; retried after a wait that grows to 15 s.
    Down,
    /// It misbehaved (`lastError` says how): nothing is asked of it or sent to it until
    /// `bannedUntil`. A ban lasts a minute, twice as long at each repeat, at most a day.
    Banned,
}

/// A node this one follows.
pub struct Peer(pub PeerStatus);

#[Object]
impl Peer {
    /// Its API's base URL.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The connection's state.
    async fn state(&self) -> PeerState {
        self.0.state.into()
    }

    /// Its tip's height, as last heard.
    async fn height(&self) -> Option<u64> {
        self.0.height
    }

    /// Its tip's hash, as last heard.
    async fn tip_hash(&self) -> Option<String> {
        self.0.tip_hash.map(|h| h.to_string())
    }

    /// When it was last heard from, in Unix seconds.
    async fn last_seen(&self) -> Option<i64> {
        self.0.last_seen.map(|t| t.div_euclid(1000))
    }

    /// The last failure, if the connection failed since it last caught up.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// While banned, when the ban ends, in Unix seconds.
    async fn banned_until(&self) -> Option<i64> {
        self.0.banned_until.map(|t| t.div_euclid(1000))
    }

    /// Blocks it sent that this node did not have.
    async fn blocks_received(&self) -> u64 {
        self.0.blocks_received
    }

    /// Transactions of its pool that this node pooled.
    async fn transactions_received(&self) -> u64 {
        self.0.transactions_received
    }

    /// Transactions of its pool that this node refused (a conflict with this pool, or mined
    /// here already). They are counted here, not in the pool's refusal log, which is the
    /// user's own.
    async fn transactions_refused(&self) -> u64 {
        self.0.transactions_refused
    }
}
