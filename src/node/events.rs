//! What the node announces after each commit, for subscribers, and the form an announcement
//! takes as a PostgreSQL notification (see [`super::relay`] for how replicas hear them).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chain::{BlockHash, ChainTip};
use crate::model::{MiningMode, MiningSettings, StoredBlock};
use crate::model::{PendingTx, PoolEntry, RefusedSend, Reorg};

/// How the pool changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolChangeKind {
    /// A send was accepted and waits to be mined.
    Added,
    /// A send was refused on arrival: a new entry of the refusal log.
    Rejected,
    /// A pending entry was mined.
    Removed,
    /// A pending entry left the pool unmined (a re-check refused it, a block spent its input, or
    /// it was dropped by hand) and moved to the refusal log.
    Evicted,
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
        /// The new chain's first block (`None`: reset to an empty chain).
        genesis: Option<BlockHash>,
    },
    /// The chain went back to a snapshot: `tip` is the new tip (`None`: empty); blocks above it
    /// are gone, and the next block mined is at its height + 1.
    ChainReverted {
        /// The new tip.
        tip: Option<ChainTip>,
        /// The snapshot reverted to.
        snapshot: i64,
    },
    /// The main chain moved to another branch of the block tree. Announced before the
    /// `BlockMined` of each connected block and the pool changes it caused.
    ChainReorganized(Arc<Reorg>),
    /// The mining settings changed (a scheduler re-reads when the next block is due).
    MiningChanged(MiningSettings),
    /// A snapshot was taken or deleted (a revert announces `ChainReverted` instead).
    SnapshotsChanged,
    /// The pool changed.
    PoolChanged {
        /// How.
        kind: PoolChangeKind,
        /// The entry concerned.
        entry: Arc<PoolEntry>,
    },
}

impl NodeEvent {
    /// A pending entry left the pool for `error` (a re-check refused it, or it was dropped): it
    /// is in the refusal log now.
    pub(in crate::node) fn pool_evicted(entry: &PendingTx, error: String) -> Self {
        Self::PoolChanged {
            kind: PoolChangeKind::Evicted,
            entry: Arc::new(PoolEntry::Refused(entry.rejected(error))),
        }
    }
}

/// Entries of each list a `Reorganized` notification carries.
const WIRE_LIST: usize = 16;

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
    Reverted {
        tip: Option<(String, u64)>,
        snapshot: i64,
    },
    Mining {
        mode: String,
        interval_seconds: Option<u32>,
        address: Option<String>,
        tx_count: u32,
    },
    Snapshots,
    /// Lists are cut to [`WIRE_LIST`] entries (a notification must stay under 8,000 bytes); the
    /// blocks connected follow as `Block` notifications.
    Reorganized {
        old_tip: (String, u64),
        new_tip: (String, u64),
        fork: (String, u64),
        disconnected: Vec<String>,
        connected: Vec<String>,
        returned: Vec<String>,
        dropped: Vec<String>,
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

impl Wire {
    /// The pool entry a `Pool` notification describes; `None` for other notifications, and for
    /// a pending entry whose fields do not parse (a notification is input like any other).
    pub(super) fn pool_entry(self) -> Option<(PoolChangeKind, PoolEntry)> {
        let Self::Pool {
            kind,
            id,
            txid,
            from,
            to,
            amount,
            created_at,
            error,
        } = self
        else {
            return None;
        };
        let entry = match error {
            Some(error) => PoolEntry::Refused(RefusedSend {
                id,
                from,
                to,
                amount,
                error,
                created_at,
            }),
            None => PoolEntry::Pending(PendingTx {
                id,
                txid: txid?.parse().ok()?,
                from: from.parse().ok()?,
                to: to.parse().ok()?,
                amount: u64::try_from(amount).ok()?,
                created_at,
            }),
        };
        Some((kind, entry))
    }
}

impl Wire {
    /// The event a `Reverted`, `Reorganized`, `Mining` or `Snapshots` notification describes; `None` for others and for
    /// fields that do not parse.
    pub(super) fn settled_event(self) -> Option<NodeEvent> {
        match self {
            Self::Reverted { tip, snapshot } => {
                let tip = match tip {
                    Some((hash, height)) => Some(ChainTip {
                        hash: hash.parse().ok()?,
                        height,
                    }),
                    None => None,
                };
                Some(NodeEvent::ChainReverted { tip, snapshot })
            }
            Self::Mining {
                mode,
                interval_seconds,
                address,
                tx_count,
            } => Some(NodeEvent::MiningChanged(MiningSettings {
                mode: MiningMode::parse(&mode)?,
                interval_seconds,
                address: match address {
                    Some(a) => Some(a.parse().ok()?),
                    None => None,
                },
                tx_count,
            })),
            Self::Snapshots => Some(NodeEvent::SnapshotsChanged),
            Self::Reorganized {
                old_tip,
                new_tip,
                fork,
                disconnected,
                connected,
                returned,
                dropped,
            } => {
                let tip = |(hash, height): (String, u64)| {
                    Some(ChainTip {
                        hash: hash.parse().ok()?,
                        height,
                    })
                };
                fn parsed<T: std::str::FromStr>(list: Vec<String>) -> Option<Vec<T>> {
                    list.iter().map(|h| h.parse().ok()).collect()
                }
                Some(NodeEvent::ChainReorganized(Arc::new(Reorg {
                    old_tip: tip(old_tip)?,
                    new_tip: tip(new_tip)?,
                    fork: tip(fork)?,
                    disconnected: parsed(disconnected)?,
                    connected: parsed(connected)?,
                    returned: parsed(returned)?,
                    dropped: parsed(dropped)?,
                })))
            }
            _ => None,
        }
    }
}

impl NodeEvent {
    /// The `NOTIFY` payload.
    pub(crate) fn to_wire(&self) -> String {
        let wire = match self {
            Self::ChainReset { genesis } => Wire::Reset {
                genesis: genesis.map(|g| g.to_string()).unwrap_or_default(),
            },
            Self::BlockMined(block) => Wire::Block {
                height: block.height,
            },
            Self::ChainReverted { tip, snapshot } => Wire::Reverted {
                tip: tip.map(|t| (t.hash.to_string(), t.height)),
                snapshot: *snapshot,
            },
            Self::MiningChanged(settings) => Wire::Mining {
                mode: settings.mode.as_str().to_owned(),
                interval_seconds: settings.interval_seconds,
                address: settings.address.map(|a| a.to_string()),
                tx_count: settings.tx_count,
            },
            Self::SnapshotsChanged => Wire::Snapshots,
            Self::ChainReorganized(reorg) => {
                let tip = |t: &ChainTip| (t.hash.to_string(), t.height);
                fn listed<T: ToString>(list: &[T]) -> Vec<String> {
                    list.iter().take(WIRE_LIST).map(T::to_string).collect()
                }
                Wire::Reorganized {
                    old_tip: tip(&reorg.old_tip),
                    new_tip: tip(&reorg.new_tip),
                    fork: tip(&reorg.fork),
                    disconnected: listed(&reorg.disconnected),
                    connected: listed(&reorg.connected),
                    returned: listed(&reorg.returned),
                    dropped: listed(&reorg.dropped),
                }
            }
            Self::PoolChanged { kind, entry } => match entry.as_ref() {
                PoolEntry::Pending(tx) => Wire::Pool {
                    kind: *kind,
                    id: tx.id,
                    txid: Some(tx.txid.to_string()),
                    from: tx.from.to_string(),
                    to: tx.to.to_string(),
                    amount: i64::try_from(tx.amount).unwrap_or(i64::MAX),
                    created_at: tx.created_at,
                    error: None,
                },
                PoolEntry::Refused(send) => Wire::Pool {
                    kind: *kind,
                    id: send.id,
                    txid: None,
                    from: send.from.clone(),
                    to: send.to.clone(),
                    amount: send.amount,
                    created_at: send.created_at,
                    error: Some(send.error.clone()),
                },
            },
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }
}

/// The events of one commit as they are published: every one but the blocks connected, and of
/// those only the last `burst`. A commit may connect thousands (a peer's batch, a deep
/// reorganisation); published one by one they would push the events before them (the
/// reorganisation itself) out of every subscriber's buffer. A `blockMined` subscription reads
/// the blocks it did not hear from the database, as after any lag.
pub(crate) fn within_burst(events: Vec<NodeEvent>, burst: usize) -> Vec<NodeEvent> {
    let blocks = events
        .iter()
        .filter(|e| matches!(e, NodeEvent::BlockMined(_)))
        .count();
    let mut skip = blocks.saturating_sub(burst);
    events
        .into_iter()
        .filter(|event| {
            if skip > 0 && matches!(event, NodeEvent::BlockMined(_)) {
                skip -= 1;
                return false;
            }
            true
        })
        .collect()
}

/// Blocks one commit publishes at most, for a buffer of `event_buffer` events: a quarter of it.
pub(crate) fn burst_for(event_buffer: usize) -> usize {
    (event_buffer / 4).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Txid;

    #[test]
    fn a_reorganization_survives_the_notify_wire() {
        let tip = |n: u8, height| ChainTip {
            hash: BlockHash([n; 32]),
            height,
        };
        let reorg = Reorg {
            old_tip: tip(1, 12),
            new_tip: tip(2, 13),
            fork: tip(3, 11),
            disconnected: vec![BlockHash([4; 32])],
            connected: vec![BlockHash([5; 32]), tip(2, 13).hash],
            returned: vec![Txid([6; 32])],
            dropped: vec![],
        };
        let wire = NodeEvent::ChainReorganized(Arc::new(reorg.clone())).to_wire();
        assert!(wire.len() < 8000);
        let heard: Wire = serde_json::from_str(&wire).unwrap();
        match heard.settled_event() {
            Some(NodeEvent::ChainReorganized(back)) => assert_eq!(*back, reorg),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_long_reorganization_is_cut_to_fit_a_notification() {
        let hashes = vec![BlockHash([9; 32]); 1000];
        let tip = ChainTip {
            hash: BlockHash([1; 32]),
            height: 5,
        };
        let reorg = Reorg {
            old_tip: tip,
            new_tip: tip,
            fork: tip,
            disconnected: hashes.clone(),
            connected: hashes,
            returned: vec![Txid([2; 32]); 1000],
            dropped: vec![Txid([3; 32]); 1000],
        };
        let wire = NodeEvent::ChainReorganized(Arc::new(reorg)).to_wire();
        assert!(wire.len() < 8000, "{} bytes", wire.len());
    }

    #[test]
    fn a_burst_keeps_every_other_event_and_the_last_blocks() {
        let mined = |height: u64| {
            let block = crate::chain::Block {
                header: crate::chain::BlockHeader {
                    version: 1,
                    prev_hash: crate::chain::BlockHash::ZERO,
                    merkle_root: crate::chain::MerkleRoot::ZERO,
                    timestamp: height,
                    bits: 0,
                    nonce: 0,
                },
                transactions: Vec::new(),
            };
            NodeEvent::BlockMined(std::sync::Arc::new(crate::model::StoredBlock {
                hash: block.hash(),
                height,
                block,
            }))
        };
        let mut events = vec![NodeEvent::SnapshotsChanged];
        events.extend((0..10).map(mined));
        events.push(NodeEvent::SnapshotsChanged);
        let heights: Vec<Option<u64>> = within_burst(events, 3)
            .iter()
            .map(|e| match e {
                NodeEvent::BlockMined(b) => Some(b.height),
                _ => None,
            })
            .collect();
        assert_eq!(heights, [None, Some(7), Some(8), Some(9), None]);
        assert_eq!(burst_for(1024), 256);
        assert_eq!(burst_for(2), 1);
    }
}
