//! `mine_blocks`: many blocks in one call. Blocks are mined and committed in runs through the
//! commit path: a run ends after [`BLOCKS_PER_COMMIT`] blocks or once it has held the writer's
//! turn for [`RUN_TIME`], so other writers wait at most about that long, subscribers get each run's
//! blocks as it commits, and a failure keeps the runs committed before it (the error says how
//! many blocks).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::chain::Address;
use crate::model::StoredBlock;
use crate::node::{Node, NodeError, NodeResult};
use crate::store::{Db, blocks, pool};

/// Most blocks one call may mine.
pub const MAX_BLOCKS_PER_CALL: u32 = 1000;

/// Most blocks one commit holds.
const BLOCKS_PER_COMMIT: usize = 100;

/// How long a run holds the writer's turn before it commits (it always mines one block).
const RUN_TIME: Duration = Duration::from_millis(25);

impl Node {
    /// Mines `count` (1…[`MAX_BLOCKS_PER_CALL`]) blocks to `miner`, each with up to `tx_count`
    /// of the oldest pending transactions, calling `mined` for each block once it is committed.
    pub async fn mine_blocks(
        &self,
        miner: &Address,
        count: i64,
        tx_count: Option<i64>,
        mut mined: impl FnMut(&StoredBlock),
    ) -> NodeResult<Vec<Arc<StoredBlock>>> {
        let blocks = u32::try_from(count)
            .ok()
            .filter(|n| (1..=MAX_BLOCKS_PER_CALL).contains(n))
            .ok_or(NodeError::InvalidBlockCount {
                requested: count,
                max: MAX_BLOCKS_PER_CALL,
            })?;
        let txs = self.txs_per_block(tx_count)?;
        let mut done: Vec<Arc<StoredBlock>> = Vec::with_capacity(blocks as usize);
        while done.len() < blocks as usize {
            let left = (blocks as usize - done.len()).min(BLOCKS_PER_COMMIT);
            let run = self
                .commit(async |txn, events| {
                    let until = Instant::now() + RUN_TIME;
                    // With nothing to include, the run is mined in memory and written at once.
                    if !self.pool_empty_in(txn, txs).await? {
                        let mut run = Vec::with_capacity(left);
                        while run.len() < left && (run.is_empty() || Instant::now() < until) {
                            run.push(self.mine_in(txn, miner, txs, events).await?);
                        }
                        return Ok(run);
                    }
                    self.mine_empty_in(txn, miner, left, until, events).await
                })
                .await;
            match run {
                Ok(run) => {
                    for block in run {
                        mined(&block);
                        done.push(block);
                    }
                }
                Err(err) if done.is_empty() => return Err(err),
                Err(err) => {
                    return Err(NodeError::StoppedAfter {
                        mined: done.len() as u32,
                        requested: blocks,
                        last_height: done.last().map_or(0, |b| b.height),
                        source: Box::new(err),
                    });
                }
            }
        }
        Ok(done)
    }

    /// Whether blocks of up to `txs` transactions would include nothing: none asked for, or
    /// nothing pending, on a chain with a tip (the genesis block is mined on its own path).
    async fn pool_empty_in(&self, db: &impl Db, txs: usize) -> NodeResult<bool> {
        Ok(blocks::tip(db).await?.is_some() && (txs == 0 || pool::count(db, false).await? == 0))
    }
}
