//! Pool control for a dev chain, as Anvil's `anvil_dropTransaction` and
//! `anvil_dropAllTransactions`: pending transactions taken out by hand. A dropped transaction goes
//! to the refusal log with the reason, like one a re-check refuses, so the log, `poolChanged`
//! (REJECTED) and `transactionStatus` (null) all say what became of it.

use crate::chain::Txid;
use crate::node::{Node, NodeResult};
use crate::store::pool;

/// Pending entries [`Node::clear_pool`] reads at a time.
const CLEAR_BATCH: u64 = 500;

impl Node {
    /// Drops the pending transaction `txid` and its descendants from the pool; false if it is
    /// not pending.
    pub async fn drop_transaction(&self, txid: &Txid) -> NodeResult<bool> {
        self.commit(async |txn, events| {
            let Some((entry, _)) = pool::pending_by_txid(txn, txid).await? else {
                return Ok(false);
            };
            self.evict(txn, vec![entry], "dropped: dropTransaction", events)
                .await?;
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
                let entries = batch.into_iter().map(|pooled| pooled.entry).collect();
                dropped += self
                    .evict(txn, entries, "dropped: clearPool", events)
                    .await?;
            }
        })
        .await
    }
}
