//! The checks of an import, run beside its writes: the pure step of `chain::connect` in two
//! stages. The ordered stage applies every rule but the signatures against the chainstate the
//! earlier blocks build, handing the writer a batch of rows every few hundred blocks; each
//! batch's signatures are then verified on all cores while the ordered stage and the writer go
//! on. The first failure in protocol order is reported: a signature failure at height h
//! counts only if the ordered pass got past h (its block's other rules come first).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::mpsc::Sender;

use crate::chain::{
    Block, BlockError, ChainTip, IndexRow, OutPoint, Params, Utxo, check_signatures,
    connect_ordered,
};
use crate::model::StoredBlock;
use crate::node::NodeError;

/// Blocks per batch handed to the writer.
const BATCH: usize = 500;

/// Rows of some blocks, ready to write.
pub(in crate::node) struct Batch {
    /// The blocks.
    pub blocks: Vec<StoredBlock>,
    /// Their transaction index rows.
    pub index: Vec<IndexRow>,
    /// Their undo data: (spending height, outpoint, output).
    pub spent: Vec<(u64, OutPoint, Utxo)>,
}

/// A chain that passed every check.
pub(in crate::node) struct Checked {
    /// The chainstate after the last block.
    pub utxos: HashMap<OutPoint, Utxo>,
    /// Transactions, coinbases included.
    pub transactions: u64,
    /// Signatures verified.
    pub signatures: u64,
}

/// Checks `chain` from genesis, sending batches to `writer` as the ordered pass goes. Each
/// batch's signatures are verified on the rayon pool as soon as the ordered pass is past it, so
/// the costly checks run while the writer writes instead of after it. Stops early (with the
/// writer's error) if the writer has gone.
pub(in crate::node) fn check_chain(
    chain: &[Block],
    params: &Params,
    progress: &(impl Fn(u64, u64) + Sync),
    writer: &Sender<Batch>,
) -> Result<Checked, NodeError> {
    let total = chain.len() as u64;
    let steps = 2 * total;
    let mut utxos: HashMap<OutPoint, Utxo> = HashMap::new();
    let ordered_done = AtomicU64::new(0);
    let verified = AtomicU64::new(0);
    // The first signature failure by height, from whichever batch finds one.
    let bad_signature: Mutex<Option<(u64, BlockError)>> = Mutex::new(None);
    let report = || {
        let done = ordered_done.load(Ordering::Relaxed) + verified.load(Ordering::Relaxed);
        progress(done, steps);
    };
    progress(0, steps);
    let ordered_failure = rayon::scope(|scope| -> Result<_, NodeError> {
        let mut tip: Option<ChainTip> = None;
        for (chunk, blocks) in chain.chunks(BATCH).enumerate() {
            let first = (chunk * BATCH) as u64;
            let ordered = connect_ordered(blocks, tip, params, &mut utxos);
            let passed = ordered.checks.len();
            if passed > 0 {
                let checks = ordered.checks;
                let (verified, bad_signature, report) = (&verified, &bad_signature, &report);
                scope.spawn(move |_| {
                    let blocks = &blocks[..passed];
                    let failure = check_signatures(blocks, &checks, &|_| {});
                    verified.fetch_add(passed as u64, Ordering::Relaxed);
                    report();
                    if let Some((position, error)) = failure {
                        let height = first + position as u64;
                        let mut bad = bad_signature.lock().unwrap_or_else(PoisonError::into_inner);
                        if bad.as_ref().is_none_or(|(h, _)| height < *h) {
                            *bad = Some((height, error));
                        }
                    }
                });
                let stored = blocks[..passed]
                    .iter()
                    .enumerate()
                    .map(|(offset, block)| StoredBlock {
                        hash: block.hash(),
                        height: first + offset as u64,
                        block: block.clone(),
                    })
                    .collect();
                send(
                    writer,
                    Batch {
                        blocks: stored,
                        index: ordered.rows.index,
                        spent: ordered.rows.undo,
                    },
                )?;
            }
            tip = ordered.tip;
            ordered_done.fetch_add(passed as u64, Ordering::Relaxed);
            report();
            if let Some(failure) = ordered.failure {
                return Ok(Some((failure.height, failure.error)));
            }
        }
        Ok(None)
    })?;
    // A signature failure comes before any later block's other failure: only blocks that passed
    // the ordered rules had their signatures checked.
    let bad_signature = bad_signature
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some((height, source)) = bad_signature.or(ordered_failure) {
        return Err(invalid(height, source));
    }
    progress(steps, steps);
    let transactions = chain.iter().map(|b| b.transactions.len() as u64).sum();
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

fn send(writer: &Sender<Batch>, batch: Batch) -> Result<(), NodeError> {
    writer
        .blocking_send(batch)
        .map_err(|_| NodeError::Inconsistent("the import's writer stopped".to_owned()))
}

fn invalid(height: u64, source: BlockError) -> NodeError {
    NodeError::InvalidArchiveBlock { height, source }
}
