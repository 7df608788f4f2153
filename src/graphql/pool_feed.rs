//! The state of one `poolChanged` subscription: a replay of the pool from the database after an
//! id, then live changes, never the same accepted or refused entry twice.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::broadcast::{self, error::RecvError};

use super::pool_entry::PoolEntry;
use crate::model;
use crate::node::{Node, NodeError, NodeEvent, PoolChangeKind};

/// Entries read per replay statement.
const REPLAY_BATCH: u64 = 100;

/// One `poolChanged` subscription.
pub(super) struct PoolFeed {
    node: Arc<Node>,
    events: broadcast::Receiver<NodeEvent>,
    /// The highest id delivered as accepted or refused (or asked to start after).
    last_seen: Option<i64>,
    /// Whether entries after `last_seen` are still to be read from the database.
    replaying: bool,
    backlog: VecDeque<model::PoolEntry>,
}

impl PoolFeed {
    /// Subscribes at once (before any replay read), so nothing committed meanwhile is missed.
    pub fn new(node: Arc<Node>, after_id: Option<i64>) -> Self {
        let events = node.subscribe();
        Self {
            node,
            events,
            last_seen: after_id,
            replaying: after_id.is_some(),
            backlog: VecDeque::new(),
        }
    }

    pub async fn next(&mut self) -> Option<Result<PoolEntry, NodeError>> {
        loop {
            if let Some(entry) = self.backlog.pop_front() {
                self.last_seen = self.last_seen.max(Some(entry.id()));
                return Some(Ok(PoolEntry::listed(entry)));
            }
            if self.replaying {
                match self.node.pool(true, self.last_seen, REPLAY_BATCH).await {
                    Ok(entries) if entries.is_empty() => self.replaying = false,
                    Ok(entries) => self.backlog.extend(entries),
                    Err(err) => return Some(Err(err)),
                }
                continue;
            }
            match self.events.recv().await {
                Ok(NodeEvent::PoolChanged { kind, entry }) => {
                    // An arrival adds an entry (and may be in the replay too); a removal or an
                    // eviction changes one already delivered, and is always news.
                    let arrival = matches!(kind, PoolChangeKind::Added | PoolChangeKind::Rejected);
                    if arrival && Some(entry.id()) <= self.last_seen {
                        continue;
                    }
                    if arrival {
                        self.last_seen = Some(entry.id());
                    }
                    return Some(Ok(PoolEntry::changed(kind, entry)));
                }
                Err(RecvError::Lagged(_)) => self.replaying = self.last_seen.is_some(),
                Ok(_) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
