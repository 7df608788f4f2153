//! Packing a block: the pending transactions a block takes, parents before children (package
//! order), each re-checked against the chainstate and the outputs of those taken before it.

use std::collections::{HashMap, HashSet};

use crate::chain::{
    OutPoint, Transaction, TxError, Txid, Utxo, check_transaction,
    check_transaction_except_signatures,
};
use crate::model::PendingTx;
use crate::node::{Node, NodeResult};
use crate::store::Db;
use crate::store::pool::{self, PooledTx};

/// What a block takes from the pool.
#[derive(Debug, Default)]
pub(super) struct Packed {
    /// The transactions, parents first.
    pub included: Vec<Transaction>,
    /// Their pool entries, in the same order.
    pub entries: Vec<PendingTx>,
    /// Entries that no longer hold, and why (they leave the pool with their descendants).
    pub rejected: Vec<(PendingTx, String)>,
}

impl Node {
    /// Packs `candidates` (in arrival order) into a block at `height` over chainstate `view`. A
    /// transaction whose parent is pending but not yet taken waits for it; one whose parent stays
    /// in the pool (beyond this block's count) stays pending too. Signatures are verified here if
    /// `verify`; the block's connection verifies them all again (from the signature cache when
    /// they were).
    pub(super) async fn pack(
        &self,
        db: &impl Db,
        candidates: Vec<PooledTx>,
        view: HashMap<OutPoint, Utxo>,
        height: u64,
        verify: bool,
    ) -> NodeResult<Packed> {
        let mut packed = Packed::default();
        let mut available = view;
        let mut spent: HashSet<OutPoint> = HashSet::new();
        let mut queue = candidates;
        let mut waiting: Vec<PooledTx> = Vec::new();
        loop {
            let before = packed.included.len();
            for PooledTx { entry, tx } in queue.drain(..) {
                if tx.inputs.iter().any(|i| spent.contains(&i.previous_output)) {
                    let reason = "spends an output another transaction of this block spends";
                    packed.rejected.push((entry, rejected(reason)));
                    continue;
                }
                let checked = match verify {
                    true => check_transaction(&tx, &available),
                    false => check_transaction_except_signatures(&tx, &available),
                };
                match checked {
                    Ok(_) => {
                        for input in &tx.inputs {
                            spent.insert(input.previous_output);
                            available.remove(&input.previous_output);
                        }
                        available.extend(created(&tx, entry.txid, height));
                        packed.included.push(tx);
                        packed.entries.push(entry);
                    }
                    Err(TxError::MissingOutput { .. }) => waiting.push(PooledTx { entry, tx }),
                    Err(err) => packed.rejected.push((entry, rejected(&err.to_string()))),
                }
            }
            if packed.included.len() == before || waiting.is_empty() {
                break;
            }
            queue = std::mem::take(&mut waiting);
        }
        self.settle_waiting(db, waiting, &available, &mut packed)
            .await?;
        Ok(packed)
    }

    /// Transactions still missing an input after packing: those whose parents are pending (and
    /// not rejected now; a rejected parent's descendants leave with it) stay in the pool; the
    /// others spend outputs that exist nowhere and are rejected.
    async fn settle_waiting(
        &self,
        db: &impl Db,
        waiting: Vec<PooledTx>,
        available: &HashMap<OutPoint, Utxo>,
        packed: &mut Packed,
    ) -> NodeResult<()> {
        let missing = |tx: &Transaction| -> Vec<Txid> {
            tx.inputs
                .iter()
                .map(|i| i.previous_output)
                .filter(|o| !available.contains_key(o))
                .map(|o| o.txid)
                .collect()
        };
        let parents: Vec<Txid> = waiting.iter().flat_map(|w| missing(&w.tx)).collect();
        let pending: HashSet<Txid> = pool::pending_by_txids(db, &parents)
            .await?
            .into_iter()
            .map(|p| p.entry.txid)
            .collect();
        let leaving: HashSet<Txid> = packed.rejected.iter().map(|(e, _)| e.txid).collect();
        for PooledTx { entry, tx } in waiting {
            let parents = missing(&tx);
            if parents.iter().any(|p| leaving.contains(p)) {
                continue;
            }
            if !parents.iter().all(|p| pending.contains(p)) {
                let reason = "spends an output that is neither unspent nor pending";
                packed.rejected.push((entry, rejected(reason)));
            }
        }
        Ok(())
    }
}

fn rejected(reason: &str) -> String {
    format!("rejected when mining: {reason}")
}

/// The outputs `tx` creates, as a block at `height` would hold them.
fn created(tx: &Transaction, txid: Txid, height: u64) -> impl Iterator<Item = (OutPoint, Utxo)> {
    tx.outputs.iter().enumerate().map(move |(vout, output)| {
        let outpoint = OutPoint {
            txid,
            vout: vout as u32,
        };
        let utxo = Utxo {
            output: *output,
            height,
            coinbase: false,
        };
        (outpoint, utxo)
    })
}
