//! Reorganisation: the main chain moves to a branch with more work. In one database transaction
//! the blocks above the fork come off (their undo data restores what they spent, so the cost
//! follows the blocks moved, not the chain's length) and stay in the tree as side blocks; the
//! branch's blocks are validated in full and connected; then the pool is settled: transactions
//! of the disconnected blocks that still hold go back to it, others are dropped and logged, and
//! pending ones the new branch made invalid are rejected.

use std::collections::HashSet;
use std::sync::Arc;

use sea_orm::ConnectionTrait;

use super::submit::parties;
use super::{Node, NodeError, NodeEvent, NodeResult, PoolChangeKind};
use crate::chain::{BlockHash, ChainTip, OutPoint, Transaction, Txid, Utxo, check_transaction};
use crate::model::{PoolEntry, Reorg, StoredBlock};
use crate::store::{blocks, chainstate, connect, pool, side_blocks};

impl Node {
    /// Makes side block `target` the tip. Fails with the first invalid block of its branch
    /// (the caller rolls back and marks it).
    pub(super) async fn reorganize_in(
        &self,
        db: &impl ConnectionTrait,
        target: BlockHash,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<Reorg> {
        let missing = |hash| NodeError::Inconsistent(format!("side block {hash} vanished"));
        let mut branch: Vec<StoredBlock> = Vec::new();
        let mut cursor = target;
        let fork = loop {
            let side = side_blocks::by_hash(db, &cursor)
                .await?
                .ok_or_else(|| missing(cursor))?;
            let prev = side.stored.block.header.prev_hash;
            branch.push(side.stored);
            if let Some(height) = blocks::height_of(db, &prev).await? {
                break ChainTip { hash: prev, height };
            }
            cursor = prev;
        };
        branch.reverse();
        let old_tip = blocks::tip(db).await?.ok_or(NodeError::NotInitialized)?;

        let disconnected = blocks::range(db, fork.height + 1, old_tip.height - fork.height).await?;
        for stored in &disconnected {
            side_blocks::insert(db, stored).await?;
        }
        connect::disconnect(db, Some(&fork)).await?;
        let connected: Vec<BlockHash> = branch.iter().map(|b| b.hash).collect();
        side_blocks::remove(db, &connected).await?;

        let mut moved = Vec::new();
        let tip = branch.last().map_or(fork, |last| ChainTip {
            hash: last.hash,
            height: last.height,
        });
        if let (_, Some(refusal)) = self.connect_run(db, branch, &mut moved).await? {
            return Err(refusal);
        }
        let (returned, dropped) = self.return_to_pool(db, &disconnected, &mut moved).await?;
        self.prune_pool(db, &disconnected, &mut moved).await?;
        let reorg = Reorg {
            old_tip,
            new_tip: tip,
            fork,
            disconnected: disconnected.iter().map(|b| b.hash).collect(),
            connected,
            returned,
            dropped,
        };
        tracing::info!(
            old_tip = %reorg.old_tip.hash,
            new_tip = %reorg.new_tip.hash,
            fork_height = fork.height,
            disconnected = reorg.disconnected.len(),
            connected = reorg.connected.len(),
            returned = reorg.returned.len(),
            dropped = reorg.dropped.len(),
            "chain reorganized"
        );
        events.push(NodeEvent::ChainReorganized(Arc::new(reorg.clone())));
        events.extend(moved);
        Ok(reorg)
    }

    /// Puts the disconnected blocks' transactions that still hold back in the pool, oldest
    /// first; the others (an input gone or spent by the new branch) are dropped and logged.
    async fn return_to_pool(
        &self,
        db: &impl ConnectionTrait,
        disconnected: &[StoredBlock],
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<(Vec<Txid>, Vec<Txid>)> {
        let (mut returned, mut dropped) = (Vec::new(), Vec::new());
        for tx in disconnected
            .iter()
            .flat_map(|b| b.block.transactions.iter().skip(1))
        {
            let txid = tx.txid();
            if blocks::locate(db, &txid).await?.is_some() {
                continue; // mined again by the new branch
            }
            let outpoints = outpoints_of(tx);
            let view = chainstate::get_many(db, &outpoints).await?;
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

    /// Rejects pending entries that spend an output a disconnected block created and the new
    /// branch did not create again.
    async fn prune_pool(
        &self,
        db: &impl ConnectionTrait,
        disconnected: &[StoredBlock],
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<()> {
        let created: Vec<OutPoint> = disconnected
            .iter()
            .flat_map(|b| b.block.transactions.iter())
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
            let error = "rejected: an input left the chain in a reorganization".to_owned();
            pool::reject(db, entry.id, &error).await?;
            events.push(rejected(&entry, error));
        }
        Ok(())
    }

    /// After blocks from outside are connected: pending entries they mined leave the pool, and
    /// entries spending an output they spent (`spent`) are rejected.
    pub(super) async fn settle_pool(
        &self,
        db: &impl ConnectionTrait,
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
                let error = "rejected: a block from outside spent an input".to_owned();
                pool::reject(db, entry.id, &error).await?;
                events.push(rejected(&entry, error));
            }
        }
        Ok(())
    }
}

fn outpoints_of(tx: &Transaction) -> Vec<OutPoint> {
    tx.inputs.iter().map(|i| i.previous_output).collect()
}

fn rejected(entry: &crate::model::PendingTx, error: String) -> NodeEvent {
    NodeEvent::PoolChanged {
        kind: PoolChangeKind::Rejected,
        entry: Arc::new(PoolEntry::Refused(entry.rejected(error))),
    }
}
