//! `addressActivity`: what happens to the transactions of a set of addresses — entering the pool,
//! being mined, or disappearing after a reset or revert — as it happens.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use async_graphql::{Enum, SimpleObject};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::chain::{Address, Txid};
use crate::model::{self, PoolEntry};
use crate::node::{Node, NodeError, NodeEvent, PoolChangeKind};

/// Most addresses one subscription watches.
pub const MAX_WATCHED: usize = 100;
/// Most transactions one subscription remembers, to say which disappeared after a revert.
const MAX_REMEMBERED: usize = 10_000;

/// What happened.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ActivityKind {
    /// The transaction entered the pool.
    Pending,
    /// The transaction was mined.
    Mined,
    /// The transaction is gone: a reset or a revert took its block or its pool entry away.
    Disappeared,
}

/// One transaction touching one watched address.
#[derive(SimpleObject, Clone, Debug)]
pub struct AddressActivity {
    /// What happened.
    pub kind: ActivityKind,
    /// The watched address concerned.
    pub address: String,
    /// The transaction.
    pub tx_id: String,
    /// The block's height, when mined.
    pub height: Option<u64>,
    /// The block's hash, when mined.
    pub block_hash: Option<String>,
}

/// One `addressActivity` subscription.
pub struct ActivityFeed {
    node: Arc<Node>,
    events: broadcast::Receiver<NodeEvent>,
    watched: HashSet<Address>,
    /// Transactions announced, and the height they were mined at (`None`: pending).
    remembered: HashMap<(Txid, Address), Option<u64>>,
    ready: VecDeque<AddressActivity>,
}

impl ActivityFeed {
    /// Watches `watched` from now on.
    pub fn new(node: Arc<Node>, watched: HashSet<Address>) -> Self {
        let events = node.subscribe();
        Self {
            node,
            events,
            watched,
            remembered: HashMap::new(),
            ready: VecDeque::new(),
        }
    }

    pub async fn next(&mut self) -> Option<Result<AddressActivity, NodeError>> {
        loop {
            if let Some(activity) = self.ready.pop_front() {
                return Some(Ok(activity));
            }
            let event = match self.events.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            };
            if let Err(err) = self.heard(event).await {
                return Some(Err(err));
            }
        }
    }

    async fn heard(&mut self, event: NodeEvent) -> Result<(), NodeError> {
        match event {
            NodeEvent::PoolChanged {
                kind: PoolChangeKind::Added,
                entry,
            } => {
                if let PoolEntry::Pending(tx) = entry.as_ref() {
                    for address in [tx.from, tx.to] {
                        if self.watched.contains(&address) {
                            self.announce(ActivityKind::Pending, tx.txid, address, None);
                        }
                    }
                }
            }
            NodeEvent::BlockMined(block) => {
                let touched = self
                    .node
                    .block_touching(block.height, &self.watched)
                    .await?;
                for (txid, address, location) in touched {
                    self.announce(ActivityKind::Mined, txid, address, Some(location));
                }
            }
            NodeEvent::ChainReset { .. } => self.forget_above(None).await?,
            NodeEvent::ChainReverted { tip, .. } => {
                self.forget_above(Some(tip.map(|t| t.height))).await?;
            }
            // Transactions back in the pool are announced PENDING by their pool events; those
            // dropped, as gone.
            NodeEvent::ChainReorganized(reorg) => {
                self.forget_above(Some(Some(reorg.fork.height))).await?;
            }
            _ => {}
        }
        Ok(())
    }

    fn announce(
        &mut self,
        kind: ActivityKind,
        txid: Txid,
        address: Address,
        location: Option<model::TxLocation>,
    ) {
        if self.remembered.len() < MAX_REMEMBERED || self.remembered.contains_key(&(txid, address))
        {
            self.remembered
                .insert((txid, address), location.map(|l| l.height));
        }
        self.ready.push_back(AddressActivity {
            kind,
            address: address.to_string(),
            tx_id: txid.to_string(),
            height: location.map(|l| l.height),
            block_hash: location.map(|l| l.block_hash.to_string()),
        });
    }

    /// After a reset (`None`: everything is gone) or a revert to `Some(tip)`: each remembered
    /// transaction that the chain and the pool no longer hold is announced as gone.
    async fn forget_above(&mut self, tip: Option<Option<u64>>) -> Result<(), NodeError> {
        let mut gone = Vec::new();
        for (&(txid, address), &height) in &self.remembered {
            let still = match (tip, height) {
                (None, _) => false,
                (Some(tip), Some(height)) if Some(height) <= tip => true,
                _ => self.node.transaction_status(&txid).await?.is_some(),
            };
            if !still {
                gone.push((txid, address));
            }
        }
        gone.sort();
        for (txid, address) in gone {
            self.remembered.remove(&(txid, address));
            self.ready.push_back(AddressActivity {
                kind: ActivityKind::Disappeared,
                address: address.to_string(),
                tx_id: txid.to_string(),
                height: None,
                block_hash: None,
            });
        }
        Ok(())
    }
}
