//! `PoolEntry`: a pending transaction, a rejected send, or (in `poolChanged`) a mined one.

use std::sync::Arc;

use async_graphql::{Enum, Object};

use super::block::Block;
use crate::model;
use crate::node::PoolChangeKind;

/// Where an entry stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PoolEntryStatus {
    /// Waiting to be mined.
    Pending,
    /// Refused; `error` says why. Never mined, never locks anyone.
    Rejected,
    /// Mined and removed from the pool (only seen in `poolChanged`).
    Mined,
}

/// A row of the pool.
pub struct PoolEntry {
    /// The row.
    pub entry: Arc<model::PoolEntry>,
    /// Its status.
    pub status: PoolEntryStatus,
    /// The block holding it, when the answer knows it (a `send` AUTO mining mined at once).
    pub block: Option<Arc<model::StoredBlock>>,
}

impl PoolEntry {
    /// An entry as listed (pending or rejected).
    pub fn listed(entry: model::PoolEntry) -> Self {
        let status = match entry {
            model::PoolEntry::Pending(_) => PoolEntryStatus::Pending,
            model::PoolEntry::Refused(_) => PoolEntryStatus::Rejected,
        };
        Self {
            entry: Arc::new(entry),
            status,
            block: None,
        }
    }

    /// A send's answer: pending, or mined into `block` by AUTO mining in the same commit.
    pub fn sent(sent: crate::node::Sent) -> Self {
        match sent.block {
            Some(block) => Self {
                entry: Arc::new(sent.entry),
                status: PoolEntryStatus::Mined,
                block: Some(block),
            },
            None => Self::listed(sent.entry),
        }
    }

    /// An entry as announced by a pool change.
    pub fn changed(kind: PoolChangeKind, entry: Arc<model::PoolEntry>) -> Self {
        let status = match kind {
            PoolChangeKind::Added => PoolEntryStatus::Pending,
            PoolChangeKind::Rejected | PoolChangeKind::Evicted => PoolEntryStatus::Rejected,
            PoolChangeKind::Removed => PoolEntryStatus::Mined,
        };
        Self {
            entry,
            status,
            block: None,
        }
    }
}

#[Object]
impl PoolEntry {
    /// Position in arrival order.
    async fn id(&self) -> i64 {
        self.entry.id()
    }

    /// The transaction id; null for a rejected send.
    async fn tx_id(&self) -> Option<String> {
        match self.entry.as_ref() {
            model::PoolEntry::Pending(tx) => Some(tx.txid.to_string()),
            model::PoolEntry::Refused(_) => None,
        }
    }

    /// Sender as given (truncated to 64 characters for rejected sends).
    async fn from(&self) -> String {
        match self.entry.as_ref() {
            model::PoolEntry::Pending(tx) => tx.from.to_string(),
            model::PoolEntry::Refused(send) => send.from.clone(),
        }
    }

    /// Recipient as given.
    async fn to(&self) -> String {
        match self.entry.as_ref() {
            model::PoolEntry::Pending(tx) => tx.to.to_string(),
            model::PoolEntry::Refused(send) => send.to.clone(),
        }
    }

    /// Amount as given.
    async fn amount(&self) -> i64 {
        match self.entry.as_ref() {
            model::PoolEntry::Pending(tx) => i64::try_from(tx.amount).unwrap_or(i64::MAX),
            model::PoolEntry::Refused(send) => send.amount,
        }
    }

    /// When it arrived, in Unix seconds (every point in time in this API is in Unix seconds).
    async fn created_at(&self) -> i64 {
        self.entry.created_at().div_euclid(1000)
    }

    /// Why the send was rejected; null for pending and mined entries.
    async fn error(&self) -> Option<&str> {
        match self.entry.as_ref() {
            model::PoolEntry::Pending(_) => None,
            model::PoolEntry::Refused(send) => Some(&send.error),
        }
    }

    /// Pending, rejected or mined.
    async fn status(&self) -> PoolEntryStatus {
        self.status
    }

    /// The block that mined it: set in the answer to `send` when AUTO mining mined it in the
    /// same commit; null otherwise (find a mined transaction with `transaction(txId)`).
    async fn block(&self) -> Option<Block> {
        self.block.clone().map(Block::new)
    }
}
