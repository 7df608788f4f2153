//! The checks of an import, run beside its writes. One pass in height order applies every rule
//! but the signatures against the chainstate the earlier blocks build, handing the writer a batch
//! of rows every few hundred blocks; then every block's signatures are verified at once on all
//! cores. The first failure in protocol order is reported: a signature failure at height h
//! counts only if the ordered pass got past h (its block's other rules come first).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use tokio::sync::mpsc::Sender;

use super::NodeError;
use crate::chain::{
    Block, BlockError, ChainTip, OutPoint, Params, Utxo, validate_block_except_signatures,
};
use crate::model::StoredBlock;
use crate::store::blocks::{self, IndexRow};

/// Blocks per batch handed to the writer.
const BATCH: usize = 500;

/// Rows of some blocks, ready to write.
pub(super) struct Batch {
    /// The blocks.
    pub blocks: Vec<StoredBlock>,
    /// Their transaction index rows.
    pub index: Vec<IndexRow>,
    /// Their undo data: (spending height, outpoint, output).
    pub spent: Vec<(u64, OutPoint, Utxo)>,
}

/// A chain that passed every check.
pub(super) struct Checked {
    /// The chainstate after the last block.
    pub utxos: HashMap<OutPoint, Utxo>,
    /// Transactions, coinbases included.
    pub transactions: u64,
    /// Signatures verified.
    pub signatures: u64,
}

/// Checks `chain` from genesis, sending batches to `writer` as the ordered pass goes. Stops early
/// (with the writer's error) if the writer has gone.
pub(super) fn check_chain(
    chain: &[Block],
    params: &Params,
    progress: &(impl Fn(u64, u64) + Sync),
    writer: &Sender<Batch>,
) -> Result<Checked, NodeError> {
    let total = chain.len() as u64;
    let steps = 2 * total;
    let mut utxos: HashMap<OutPoint, Utxo> = HashMap::new();
    let mut tip: Option<ChainTip> = None;
    let mut pending = Vec::with_capacity(chain.len());
    let mut batch = empty_batch();
    let mut ordered_failure = None;
    let mut transactions = 0;
    progress(0, steps);
    for (height, block) in chain.iter().enumerate() {
        let height = height as u64;
        let checked = match validate_block_except_signatures(block, tip.as_ref(), params, &utxos) {
            Ok(checked) => checked,
            Err(source) => {
                ordered_failure = Some((height, source));
                break;
            }
        };
        let stored = StoredBlock {
            hash: block.hash(),
            height,
            block: block.clone(),
        };
        batch.index.extend(blocks::index_rows(&stored, &utxos));
        batch
            .spent
            .extend(checked.changes.spent.iter().map(|(o, u)| (height, *o, *u)));
        checked.changes.apply(&mut utxos);
        transactions += block.transactions.len() as u64;
        tip = Some(ChainTip {
            hash: stored.hash,
            height,
        });
        batch.blocks.push(stored);
        pending.push(checked);
        if batch.blocks.len() == BATCH {
            send(writer, std::mem::replace(&mut batch, empty_batch()))?;
            progress(height + 1, steps);
        }
    }
    if !batch.blocks.is_empty() {
        send(writer, batch)?;
    }
    progress(pending.len() as u64, steps);

    let verified = AtomicU64::new(0);
    let bad_signature =
        pending
            .par_iter()
            .zip(chain)
            .enumerate()
            .find_map_first(|(height, (checked, block))| {
                let result = checked.check_signatures(block);
                let done = verified.fetch_add(1, Ordering::Relaxed) + 1;
                if done.is_multiple_of(256) {
                    progress(total + done, steps);
                }
                result.err().map(|source| (height as u64, source))
            });
    if let Some((height, source)) = bad_signature.or(ordered_failure) {
        return Err(invalid(height, source));
    }
    progress(steps, steps);
    let signatures = chain
        .iter()
        .flat_map(|b| b.transactions.iter().skip(1))
        .map(|tx| tx.inputs.len() as u64)
        .sum();
    Ok(Checked {
        utxos,
        transactions,
        signatures,
    })
}

fn empty_batch() -> Batch {
    Batch {
        blocks: Vec::with_capacity(BATCH),
        index: Vec::new(),
        spent: Vec::new(),
    }
}

fn send(writer: &Sender<Batch>, batch: Batch) -> Result<(), NodeError> {
    writer
        .blocking_send(batch)
        .map_err(|_| NodeError::Inconsistent("the import's writer stopped".to_owned()))
}

fn invalid(height: u64, source: BlockError) -> NodeError {
    NodeError::InvalidArchiveBlock { height, source }
}
