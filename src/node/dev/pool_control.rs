//! Pool control for a dev chain, as Anvil's `anvil_dropTransaction` and
//! `anvil_dropAllTransactions`: pending transactions taken out by hand. A dropped transaction goes
//! to the refusal log with the reason, like one a re-check refuses, so the log, `poolChanged`
//! (REJECTED) and `transactionStatus` (null) all say what became of it.

use crate::chain::Txid;
use crate::node::{Node, NodeEvent, NodeResult};
use crate::store::{Txn, pool};

/// Pending entries [`Node::clear_pool`] reads at a time.
const CLEAR_BATCH: u64 = 500;

impl Node {
    /// Drops the pending transaction `txid` from the pool; false if it is not pending.
    pub async fn drop_transaction(&self, txid: &Txid) -> NodeResult<bool> {
        self.commit(async |txn, events| {
            let Some((entry, _)) = pool::pending_by_txid(txn, txid).await? else {
                return Ok(false);
            };
            let error = "dropped: dropTransaction".to_owned();
            drop_entries(txn, vec![entry], &error, events).await?;
            Ok(true)
        })
        .await
    }

    /// Drops every pending transaction; how many there were.
    pub async fn clear_pool(&self) -> NodeResult<u64> {
        self.commit(async |txn, events| {
            let mut dropped = 0;
            loop {
                let batch = pool::oldest_pending(txn, CLEAR_BATCH).await?;
                if batch.is_empty() {
                    return Ok(dropped);
                }
                dropped += batch.len() as u64;
                let entries = batch.into_iter().map(|pooled| pooled.entry).collect();
                drop_entries(txn, entries, "dropped: clearPool", events).await?;
            }
        })
        .await
    }
}

async fn drop_entries(
    txn: &Txn,
    entries: Vec<crate::model::PendingTx>,
    error: &str,
    events: &mut Vec<NodeEvent>,
) -> NodeResult<()> {
    for entry in entries {
        pool::reject(txn, entry.id, error).await?;
        events.push(NodeEvent::pool_evicted(&entry, error.to_owned()));
    }
    Ok(())
}
