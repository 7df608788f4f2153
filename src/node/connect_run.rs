//! A run of new blocks that extends the tip in order (a batch from a peer catching up) is
//! connected the way an import is: one read of the chainstate for the whole run, every rule but
//! the signatures checked in block order against that read plus what earlier blocks of the run
//! created, then every block's signatures at once on all cores, then the rows written many per
//! statement. The effect is that of connecting the blocks one by one, in a few statements rather
//! than a dozen per block.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use sea_orm::ConnectionTrait;

use super::{Node, NodeError, NodeEvent, NodeResult};
use crate::chain::{
    BlockError, ChainTip, OutPoint, Utxo, UtxoChanges, validate_block_except_signatures,
};
use crate::model::StoredBlock;
use crate::store::blocks::{self, IndexRow};
use crate::store::{chainstate, undo};

impl Node {
    /// Connects `run` (new blocks, the first a child of the tip, each the next's parent). Blocks
    /// before the first invalid one are connected; that one's failure is returned beside them.
    pub(super) async fn connect_run(
        &self,
        db: &impl ConnectionTrait,
        run: Vec<StoredBlock>,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<(Vec<StoredBlock>, Option<NodeError>)> {
        // The tip is the first block's parent (none before a genesis block).
        let tip = run.first().and_then(|first| {
            first.height.checked_sub(1).map(|height| ChainTip {
                hash: first.block.header.prev_hash,
                height,
            })
        });
        let outpoints: Vec<OutPoint> = run
            .iter()
            .flat_map(|b| b.block.transactions.iter().skip(1))
            .flat_map(|tx| tx.inputs.iter().map(|i| i.previous_output))
            .collect();
        let stored_utxos = chainstate::get_many(db, &outpoints).await?;
        let params = self.config.params;
        let checked =
            tokio::task::spawn_blocking(move || check_run(run, tip, &params, stored_utxos)).await?;
        let Checked {
            blocks: connected,
            index,
            undo_rows,
            changes,
            failure,
        } = checked;
        if let Some(last) = connected.last() {
            blocks::insert_many(db, &connected, &index).await?;
            undo::record_many(db, &undo_rows).await?;
            chainstate::apply(db, &changes).await?;
            blocks::set_tip(
                db,
                &ChainTip {
                    hash: last.hash,
                    height: last.height,
                },
            )
            .await?;
            let spent: Vec<OutPoint> = undo_rows.iter().map(|(_, o, _)| *o).collect();
            self.settle_pool(db, &connected, &spent, events).await?;
            events.extend(
                connected
                    .iter()
                    .map(|stored| NodeEvent::BlockMined(Arc::new(stored.clone()))),
            );
        }
        Ok((connected, failure))
    }
}

/// A run's valid prefix, ready to write.
struct Checked {
    blocks: Vec<StoredBlock>,
    index: Vec<IndexRow>,
    /// (spending height, outpoint, output as it was).
    undo_rows: Vec<(u64, OutPoint, Utxo)>,
    /// The prefix's net effect on the stored chainstate.
    changes: UtxoChanges,
    failure: Option<NodeError>,
}

/// Every rule in block order, then the signatures of all blocks that passed, on all cores.
fn check_run(
    run: Vec<StoredBlock>,
    mut tip: Option<ChainTip>,
    params: &crate::chain::Params,
    stored_utxos: HashMap<OutPoint, Utxo>,
) -> Checked {
    let mut view = stored_utxos;
    let mut passed = Vec::with_capacity(run.len());
    let mut failure: Option<(usize, NodeError)> = None;
    let mut index = Vec::new();
    let mut undo_rows = Vec::new();
    for (position, stored) in run.iter().enumerate() {
        match validate_block_except_signatures(&stored.block, tip.as_ref(), params, &view) {
            Ok(check) => {
                index.push(blocks::index_rows(stored, &view));
                undo_rows.push(check.changes.spent.clone());
                check.changes.apply(&mut view);
                passed.push(check);
                tip = Some(ChainTip {
                    hash: stored.hash,
                    height: stored.height,
                });
            }
            Err(rule) => {
                failure = Some((position, NodeError::invalid_block(stored.hash, &rule)));
                break;
            }
        }
    }
    let signatures: Vec<Result<(), BlockError>> = passed
        .par_iter()
        .zip(&run)
        .map(|(check, stored)| check.check_signatures(&stored.block))
        .collect();
    if let Some(bad) = signatures.iter().position(Result::is_err) {
        let rule = signatures[bad].clone().unwrap_err();
        failure = Some((bad, NodeError::invalid_block(run[bad].hash, &rule)));
    }
    let valid = failure.as_ref().map_or(run.len(), |(at, _)| *at);
    let mut blocks = run;
    blocks.truncate(valid);
    index.truncate(valid);
    undo_rows.truncate(valid);
    // The prefix's net effect: outputs of the stored chainstate it spent go; outputs it created
    // and left unspent come.
    let mut created: HashMap<OutPoint, Utxo> = HashMap::new();
    let mut spent = Vec::new();
    for check in passed.iter().take(valid) {
        for (outpoint, utxo) in &check.changes.spent {
            if created.remove(outpoint).is_none() {
                spent.push((*outpoint, *utxo));
            }
        }
        created.extend(check.changes.created.iter().copied());
    }
    let undo_rows = blocks
        .iter()
        .zip(undo_rows)
        .flat_map(|(stored, rows)| rows.into_iter().map(move |(o, u)| (stored.height, o, u)))
        .collect();
    Checked {
        blocks,
        index: index.into_iter().flatten().collect(),
        undo_rows,
        changes: UtxoChanges {
            spent,
            created: created.into_iter().collect(),
        },
        failure: failure.map(|(_, err)| err),
    }
}
