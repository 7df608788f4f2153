//! `mine_blocks`: many blocks in one call. Each block is mined, committed and announced on its own
//! through the commit path, so subscribers get every block as it commits, and a failure after
//! block k keeps blocks 1…k (the error says how many).

use std::sync::Arc;

use crate::chain::Address;
use crate::model::StoredBlock;
use crate::node::{Node, NodeError, NodeResult};

/// Most blocks one call may mine.
pub const MAX_BLOCKS_PER_CALL: u32 = 1000;

impl Node {
    /// Mines `count` (1…[`MAX_BLOCKS_PER_CALL`]) blocks to `miner`, each with up to `tx_count`
    /// of the oldest pending transactions, calling `mined` after each commit.
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
        for _ in 0..blocks {
            let block = self
                .commit(async |txn, events| self.mine_in(txn, miner, txs, events).await)
                .await;
            match block {
                Ok(block) => {
                    mined(&block);
                    done.push(block);
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
}
