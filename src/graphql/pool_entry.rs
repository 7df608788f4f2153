//! `PoolEntry`: a pending transaction, a rejected send, or (in `poolChanged`) a mined one.

use std::sync::Arc;

use async_graphql::{Enum, Object};

use crate::node::PoolChangeKind;
use crate::store::pool;

/// Where an entry stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PoolEntryStatus {
    /// Waiting to be mined; its sender is locked.
    Pending,
    /// Refused; `error` says why. Never mined, never locks anyone.
    Rejected,
    /// Mined and removed from the pool (only seen in `poolChanged`).
    Mined,
}

/// A row of the pool.
pub struct PoolEntry {
    /// The row.
    pub entry: Arc<pool::PoolEntry>,
    /// Its status.
    pub status: PoolEntryStatus,
}

impl PoolEntry {
    /// An entry as listed (pending or rejected).
    pub fn listed(entry: pool::PoolEntry) -> Self {
        let status = if entry.error.is_some() {
            PoolEntryStatus::Rejected
        } else {
            PoolEntryStatus::Pending
        };
        Self {
            entry: Arc::new(entry),
            status,
        }
    }

    /// An entry as announced by a pool change.
    pub fn changed(kind: PoolChangeKind, entry: Arc<pool::PoolEntry>) -> Self {
        let status = match kind {
            PoolChangeKind::Added => PoolEntryStatus::Pending,
            PoolChangeKind::Rejected => PoolEntryStatus::Rejected,
            PoolChangeKind::Removed => PoolEntryStatus::Mined,
        };
        Self { entry, status }
    }
}

#[Object]
impl PoolEntry {
    /// Position in arrival order.
    async fn id(&self) -> i64 {
        self.entry.id
    }

    /// The transaction id; null for a rejected send.
    async fn tx_id(&self) -> Option<String> {
        self.entry.txid.map(|t| t.to_string())
    }

    /// Sender as given (truncated to 64 characters for rejected sends).
    async fn from(&self) -> &str {
        &self.entry.from
    }

    /// Recipient as given.
    async fn to(&self) -> &str {
        &self.entry.to
    }

    /// Amount as given.
    async fn amount(&self) -> i64 {
        self.entry.amount
    }

    /// Arrival time in milliseconds since the Unix epoch.
    async fn created_at(&self) -> i64 {
        self.entry.created_at
    }

    /// Why the send was rejected; null for pending and mined entries.
    async fn error(&self) -> Option<&str> {
        self.entry.error.as_deref()
    }

    /// Pending, rejected or mined.
    async fn status(&self) -> PoolEntryStatus {
        self.status
    }
}
