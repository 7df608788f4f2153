//! What the node announces after each commit, for subscribers, and the form an announcement
//! takes as a PostgreSQL notification (see [`super::relay`] for how replicas hear them).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chain::BlockHash;
use crate::store::blocks::StoredBlock;
use crate::store::pool::PoolEntry;

/// How the pool changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
pub(super) enum Wire {
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
