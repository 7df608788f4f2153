//! Connecting blocks from outside (a `submitBlock`, a peer's batch, a reorganisation's branch)
//! to the main chain: one read of the chainstate for the whole run, the pure step of
//! `chain::connect` (every rule in block order against that read plus what earlier blocks of
//! the run created, then every block's signatures at once on all cores), then `store::connect`
//! writes the valid prefix in a few statements, and the pool gives up what the blocks mined or
//! made invalid. Mining and import go through the same two steps.

use std::sync::Arc;

use crate::store::Db;

use crate::chain::{ChainTip, OutPoint, connect_blocks};
use crate::model::StoredBlock;
use crate::node::{Node, NodeError, NodeEvent, NodeResult};
use crate::store::{chainstate, connect};

impl Node {
    /// Connects `run` (new blocks, the first a child of the tip, each the next's parent). Blocks
    /// before the first invalid one are connected; that one's failure is returned beside them.
    pub(in crate::node) async fn connect_run(
        &self,
        db: &impl Db,
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
        let view = chainstate::get_many(db, &outpoints).await?;
        let params = self.params();
        let (run, valid, rows, failure) = tokio::task::spawn_blocking(move || {
            let blocks: Vec<_> = run.iter().map(|stored| &stored.block).collect();
            let (valid, rows, failure) = connect_blocks(&blocks, tip, &params, view);
            (run, valid, rows, failure)
        })
        .await?;
        let mut connected = run;
        connected.truncate(valid);
        if !connected.is_empty() {
            connect::connect_many(db, &connected, &rows).await?;
            let spent: Vec<OutPoint> = rows.undo.iter().map(|(_, o, _)| *o).collect();
            self.settle_pool(db, &connected, &spent, events).await?;
            events.extend(
                connected
                    .iter()
                    .map(|stored| NodeEvent::BlockMined(Arc::new(stored.clone()))),
            );
        }
        let failure = failure.map(|f| NodeError::invalid_block(f.hash, &f.error));
        Ok((connected, failure))
    }

    /// Connects one block whose parent is the tip, validated in full; its refusal is the error.
    pub(in crate::node) async fn connect_one(
        &self,
        db: &impl Db,
        stored: StoredBlock,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<()> {
        match self.connect_run(db, vec![stored], events).await? {
            (_, Some(refusal)) => Err(refusal),
            (_, None) => Ok(()),
        }
    }
}
