//! Reorganisation: the main chain moves to a branch with more work. In one database transaction
//! the blocks above the fork come off (their undo data restores what they spent, so the cost
//! follows the blocks moved, not the chain's length) and stay in the tree as side blocks; the
//! branch's blocks are validated in full and connected; then the pool is settled: transactions
//! of the disconnected blocks that still hold go back to it, others are dropped and logged, and
//! pending ones the new branch made invalid are rejected.

use std::sync::Arc;

use crate::store::Txn;

use crate::chain::{BlockHash, ChainTip};
use crate::model::{Reorg, StoredBlock};
use crate::node::{Node, NodeError, NodeEvent, NodeResult};
use crate::store::{blocks, connect, side_blocks};

impl Node {
    /// Makes side block `target` the tip. Fails with the first invalid block of its branch
    /// (the caller rolls back and marks it).
    pub(in crate::node) async fn reorganize_in(
        &self,
        db: &Txn,
        target: BlockHash,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<Reorg> {
        let missing = |hash| NodeError::Inconsistent(format!("side block {hash} vanished"));
        let mut branch: Vec<StoredBlock> = Vec::new();
        let mut cursor = target;
        let fork = loop {
            let side = side_blocks::by_hash(db, &cursor)
                .await?
                .ok_or_else(|| missing(cursor))?;
            let prev = side.stored.block.header.prev_hash;
            branch.push(side.stored);
            if let Some(height) = blocks::height_of(db, &prev).await? {
                break ChainTip { hash: prev, height };
            }
            cursor = prev;
        };
        branch.reverse();
        let old_tip = blocks::tip(db).await?.ok_or(NodeError::NotInitialized)?;

        let disconnected = blocks::range(db, fork.height + 1, old_tip.height - fork.height).await?;
        for stored in &disconnected {
            side_blocks::insert(db, stored).await?;
        }
        connect::disconnect(db, Some(&fork)).await?;
        let connected: Vec<BlockHash> = branch.iter().map(|b| b.hash).collect();
        side_blocks::remove(db, &connected).await?;

        let mut moved = Vec::new();
        let tip = branch.last().map_or(fork, |last| ChainTip {
            hash: last.hash,
            height: last.height,
        });
        if let (_, Some(refusal)) = self.connect_run(db, branch, &mut moved).await? {
            return Err(refusal);
        }
        let (returned, dropped) = self.return_to_pool(db, &disconnected, &mut moved).await?;
        self.prune_pool(db, &disconnected, &returned, &mut moved)
            .await?;
        let reorg = Reorg {
            old_tip,
            new_tip: tip,
            fork,
            disconnected: disconnected.iter().map(|b| b.hash).collect(),
            connected,
            returned,
            dropped,
        };
        tracing::info!(
            old_tip = %reorg.old_tip.hash,
            new_tip = %reorg.new_tip.hash,
            fork_height = fork.height,
            disconnected = reorg.disconnected.len(),
            connected = reorg.connected.len(),
            returned = reorg.returned.len(),
            dropped = reorg.dropped.len(),
            "chain reorganized"
        );
        events.push(NodeEvent::ChainReorganized(Arc::new(reorg.clone())));
        events.extend(moved);
        Ok(reorg)
    }
}
