//! Evictions: a pending transaction that leaves the pool without being mined takes its
//! descendants with it, since they spend outputs that will now never exist. Each goes to the
//! refusal log with its reason and is announced as EVICTED.

use crate::chain::Txid;
use crate::model::PendingTx;
use crate::node::{Node, NodeEvent, NodeResult};
use crate::store::{Db, pool};

impl Node {
    /// Rejects `entries` with `reason`, then every pending transaction spending their outputs,
    /// generation by generation. Returns how many left the pool.
    pub(in crate::node) async fn evict(
        &self,
        db: &impl Db,
        entries: Vec<PendingTx>,
        reason: &str,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<u64> {
        let mut evicted = 0;
        let mut generation = entries;
        let mut why = reason.to_owned();
        while !generation.is_empty() {
            for entry in &generation {
                pool::reject(db, entry.id, &why).await?;
                events.push(NodeEvent::pool_evicted(entry, why.clone()));
                evicted += 1;
            }
            let parents: Vec<Txid> = generation.iter().map(|e| e.txid).collect();
            generation = pool::children(db, &parents).await?;
            why = format!("rejected: a pending transaction it spends left the pool ({reason})");
        }
        Ok(evicted)
    }
}
