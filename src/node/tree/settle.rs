//! Settling the pool after the main chain changed: blocks from outside take what they mined out
//! of the pool and reject what spends their inputs; after a reorganisation the disconnected
//! blocks' transactions that still hold go back to it, and entries whose inputs left the chain
//! are rejected.

use std::collections::HashSet;
use std::sync::Arc;

use crate::store::Db;

use crate::chain::{OutPoint, Transaction, Txid, Utxo, check_transaction};
use crate::model::{PoolEntry, StoredBlock};
use crate::node::write::submit::parties;
use crate::node::{Node, NodeEvent, NodeResult, PoolChangeKind};
use crate::store::{chainstate, pool, tx_index};

impl Node {
    /// Puts the disconnected blocks' transactions that still hold back in the pool, oldest
    /// first; the others (an input gone or spent by the new branch) are dropped and logged.
    pub(in crate::node) async fn return_to_pool(
        &self,
        db: &impl Db,
        disconnected: &[StoredBlock],
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<(Vec<Txid>, Vec<Txid>)> {
        let (mut returned, mut dropped) = (Vec::new(), Vec::new());
        for tx in disconnected
            .iter()
            .flat_map(|b| b.block.transactions.iter().skip(1))
        {
            let txid = tx.txid();
            if tx_index::locate(db, &txid).await?.is_some() {
                continue; // mined again by the new branch
            }
            let outpoints = outpoints_of(tx);
            // A transaction returned earlier in this loop may be its parent.
            let view = self.spendable(db, &outpoints).await?;
            let taken = pool::spenders(db, &outpoints).await?;
            let verdict = match taken.values().next() {
                Some(other) => Err(format!("pending transaction {other} spends an input")),
                None => check_transaction(tx, &view).map_err(|e| e.to_string()),
            };
            match verdict {
                Ok(check) => {
                    let spent: Vec<_> = check.spent.iter().map(|u: &Utxo| u.output).collect();
                    let (from, to, amount) = parties(tx, &spent);
                    let entry = pool::insert_pending(db, tx, &from, &to, amount).await?;
                    events.push(NodeEvent::PoolChanged {
                        kind: PoolChangeKind::Added,
                        entry: Arc::new(PoolEntry::Pending(entry)),
                    });
                    returned.push(txid);
                }
                Err(reason) => {
                    tracing::info!(%txid, %reason, "transaction dropped in a reorganization");
                    dropped.push(txid);
                }
            }
        }
        Ok((returned, dropped))
    }

    /// Rejects pending entries (and their descendants) that spend an output a disconnected
    /// block created, the new branch did not create again, and no transaction `returned` to the
    /// pool creates.
    pub(in crate::node) async fn prune_pool(
        &self,
        db: &impl Db,
        disconnected: &[StoredBlock],
        returned: &[Txid],
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<()> {
        let returned: HashSet<&Txid> = returned.iter().collect();
        let created: Vec<OutPoint> = disconnected
            .iter()
            .flat_map(|b| b.block.transactions.iter())
            .filter(|tx| !returned.contains(&tx.txid()))
            .flat_map(|tx| {
                let txid = tx.txid();
                (0..tx.outputs.len() as u32).map(move |vout| OutPoint { txid, vout })
            })
            .collect();
        let still = chainstate::get_many(db, &created).await?;
        let gone: Vec<OutPoint> = created
            .into_iter()
            .filter(|o| !still.contains_key(o))
            .collect();
        let mut done = HashSet::new();
        for txid in pool::spenders(db, &gone).await?.values() {
            if !done.insert(*txid) {
                continue;
            }
            let Some((entry, _)) = pool::pending_by_txid(db, txid).await? else {
                continue;
            };
            let error = "rejected: an input left the chain in a reorganization";
            self.evict(db, vec![entry], error, events).await?;
        }
        Ok(())
    }

    /// After blocks from outside are connected: pending entries they mined leave the pool, and
    /// entries spending an output they spent (`spent`) are rejected.
    pub(in crate::node) async fn settle_pool(
        &self,
        db: &impl Db,
        connected: &[StoredBlock],
        spent: &[OutPoint],
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<()> {
        let spenders = pool::spenders(db, spent).await?;
        if spenders.is_empty() {
            return Ok(());
        }
        let in_blocks: HashSet<Txid> = connected
            .iter()
            .flat_map(|b| b.block.transactions.iter().map(Transaction::txid))
            .collect();
        let mut done = HashSet::new();
        for txid in spenders.values() {
            if !done.insert(*txid) {
                continue;
            }
            let Some((entry, _)) = pool::pending_by_txid(db, txid).await? else {
                continue;
            };
            if in_blocks.contains(txid) {
                pool::remove(db, &[entry.id]).await?;
                events.push(NodeEvent::PoolChanged {
                    kind: PoolChangeKind::Removed,
                    entry: Arc::new(PoolEntry::Pending(entry)),
                });
            } else {
                let error = "rejected: a block from outside spent an input";
                self.evict(db, vec![entry], error, events).await?;
            }
        }
        Ok(())
    }
}

fn outpoints_of(tx: &Transaction) -> Vec<OutPoint> {
    tx.inputs.iter().map(|i| i.previous_output).collect()
}
