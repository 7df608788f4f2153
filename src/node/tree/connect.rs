//! Connecting blocks from outside (a `submitBlock`, a peer's batch, a reorganisation's branch)
//! to the main chain: one read of the chainstate for the whole run, the pure step of
//! `chain::connect` (every rule in block order against that read plus what earlier blocks of
//! the run created, then every block's signatures at once on all cores), then `store::connect`
//! writes the valid prefix in a few statements, and the pool gives up what the blocks mined or
//! made invalid. Mining and import go through the same two steps.

use std::sync::Arc;

use crate::store::Txn;

use crate::chain::{
    Block, ChainTip, ConnectRows, Ordered, OutPoint, check_signatures, connect_blocks,
    connect_ordered,
};
use crate::model::StoredBlock;
use crate::node::{Node, NodeError, NodeEvent, NodeResult};
use crate::store::{chainstate, connect};

/// Runs at least this long are written while their signatures are verified (in a savepoint,
/// released once every signature holds): a peer's batch, a reorganisation's branch. A shorter
/// run is verified first, with no savepoint to pay for.
const OVERLAP_FROM: usize = 16;

impl Node {
    /// Connects `run` (new blocks, the first a child of the tip, each the next's parent). Blocks
    /// before the first invalid one are connected; that one's failure is returned beside them.
    pub(in crate::node) async fn connect_run(
        &self,
        db: &Txn,
        run: Vec<StoredBlock>,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<(Vec<StoredBlock>, Option<NodeError>)> {
        // When a signature fails there, the savepoint is gone: the valid prefix is found the
        // plain way below.
        let run = if run.len() >= OVERLAP_FROM {
            match self.connect_overlapped(db, run, events).await? {
                Ok(connected) => return Ok(connected),
                Err(run) => run,
            }
        } else {
            run
        };
        let view = chainstate::get_many(db, &spent_outpoints(&run)).await?;
        let tip = parent_of(&run);
        let params = self.params();
        let (run, valid, rows, failure) = tokio::task::spawn_blocking(move || {
            let (valid, rows, failure) = connect_blocks(&blocks_of(&run), tip, &params, view);
            (run, valid, rows, failure)
        })
        .await?;
        let mut connected = run;
        connected.truncate(valid);
        self.write_connected(db, &connected, &rows, events).await?;
        let failure = failure.map(|f| NodeError::invalid_block(f.hash, &f.error));
        Ok((connected, failure))
    }

    /// Connects a long run as an import does: the ordered rules first, then the rows written
    /// in a savepoint while every signature is verified on the other cores. When a signature
    /// fails, the savepoint is rolled back and the run handed back.
    async fn connect_overlapped(
        &self,
        db: &Txn,
        run: Vec<StoredBlock>,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<Result<(Vec<StoredBlock>, Option<NodeError>), Vec<StoredBlock>>> {
        let mut view = chainstate::get_many(db, &spent_outpoints(&run)).await?;
        let tip = parent_of(&run);
        let params = self.params();
        // Shared with the blocking tasks, not copied; whole again once they are done.
        let run = Arc::new(run);
        let ordered = {
            let run = run.clone();
            tokio::task::spawn_blocking(move || {
                connect_ordered(&blocks_of(&run), tip, &params, &mut view)
            })
            .await?
        };
        let Ordered {
            checks,
            rows,
            failure,
            ..
        } = ordered;
        let valid = checks.len();
        let signatures = {
            let run = run.clone();
            tokio::task::spawn_blocking(move || {
                check_signatures(&blocks_of(&run[..valid]), &checks, &|_| {}).is_none()
            })
        };
        let attempt = crate::store::savepoint(db).await?;
        // Written while the signatures are checked.
        let written = connect::connect_many(&attempt, &run[..valid], &rows).await;
        let signed = signatures.await?;
        let mut run = Arc::try_unwrap(run).unwrap_or_else(|shared| shared.as_ref().clone());
        if !signed {
            crate::store::rollback(attempt).await?;
            return Ok(Err(run));
        }
        written?;
        crate::store::commit(attempt).await?;
        run.truncate(valid);
        self.settle_connected(db, &run, &rows, events).await?;
        let failure = failure.map(|f| NodeError::invalid_block(f.hash, &f.error));
        Ok(Ok((run, failure)))
    }

    /// Writes connected blocks with their rows, then settles the pool and announces them.
    async fn write_connected(
        &self,
        db: &Txn,
        connected: &[StoredBlock],
        rows: &ConnectRows,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<()> {
        if connected.is_empty() {
            return Ok(());
        }
        connect::connect_many(db, connected, rows).await?;
        self.settle_connected(db, connected, rows, events).await
    }

    /// After connected blocks are written: the pool gives up what they mined or made invalid,
    /// and each block is announced.
    async fn settle_connected(
        &self,
        db: &Txn,
        connected: &[StoredBlock],
        rows: &ConnectRows,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<()> {
        let spent: Vec<OutPoint> = rows.undo.iter().map(|(_, o, _)| *o).collect();
        self.settle_pool(db, connected, &spent, events).await?;
        events.extend(
            connected
                .iter()
                .map(|stored| NodeEvent::BlockMined(Arc::new(stored.clone()))),
        );
        Ok(())
    }

    /// Connects one block whose parent is the tip, validated in full; its refusal is the error.
    pub(in crate::node) async fn connect_one(
        &self,
        db: &Txn,
        stored: StoredBlock,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<()> {
        match self.connect_run(db, vec![stored], events).await? {
            (_, Some(refusal)) => Err(refusal),
            (_, None) => Ok(()),
        }
    }
}

/// The run's first block's parent, the tip it extends (none before a genesis block).
fn parent_of(run: &[StoredBlock]) -> Option<ChainTip> {
    run.first().and_then(|first| {
        first.height.checked_sub(1).map(|height| ChainTip {
            hash: first.block.header.prev_hash,
            height,
        })
    })
}

/// Every output the run's transactions spend.
fn spent_outpoints(run: &[StoredBlock]) -> Vec<OutPoint> {
    run.iter()
        .flat_map(|b| b.block.transactions.iter().skip(1))
        .flat_map(|tx| tx.inputs.iter().map(|i| i.previous_output))
        .collect()
}

/// The blocks of a run, borrowed.
fn blocks_of(run: &[StoredBlock]) -> Vec<&Block> {
    run.iter().map(|stored| &stored.block).collect()
}
