//! Snapshots: save the node's state and go back to it. A snapshot costs one row and a copy of
//! the pool; a revert costs what changed since (see `store::snapshots`). Reverting keeps the
//! snapshot (revert to it again as often as you like) and deletes the snapshots taken after it;
//! a reset deletes them all.

use crate::chain::ChainTip;
use crate::model::Snapshot;
use crate::node::{Node, NodeError, NodeEvent, NodeResult};
use crate::store::{blocks, snapshots};

impl Node {
    /// Saves the current state under an optional name (at most 100 characters are kept).
    pub async fn snapshot(&self, name: Option<&str>) -> NodeResult<Snapshot> {
        self.commit(async |txn, events| {
            let snapshot = snapshots::take(txn, name).await?;
            events.push(NodeEvent::SnapshotsChanged);
            Ok(snapshot)
        })
        .await
    }

    /// Every snapshot, oldest first.
    pub async fn snapshots(&self) -> NodeResult<Vec<Snapshot>> {
        Ok(snapshots::list(self.store.db()).await?)
    }

    /// Puts every table back as it was when snapshot `id` was taken, in one transaction, and
    /// announces the new tip, which it returns (`None`: an empty chain). Its cost follows what
    /// changed since the snapshot, not the chain's length.
    pub async fn revert(&self, id: i64) -> NodeResult<Option<ChainTip>> {
        self.commit(async |txn, events| {
            let snapshot = snapshots::get(txn, id)
                .await?
                .ok_or(NodeError::UnknownSnapshot(id))?;
            if let (Some(height), Some(hash)) = (snapshot.height, snapshot.tip_hash) {
                let standing = blocks::by_height(txn, height).await?.map(|b| b.hash);
                if standing != Some(hash) {
                    return Err(NodeError::Inconsistent(format!(
                        "snapshot {id} names block {hash} at height {height}, which is not on \
                         the chain"
                    )));
                }
            }
            snapshots::revert(txn, &snapshot).await?;
            let tip = blocks::tip(txn).await?;
            events.push(NodeEvent::ChainReverted { tip, snapshot: id });
            Ok(tip)
        })
        .await
    }

    /// Deletes snapshot `id`; false if there was none.
    pub async fn delete_snapshot(&self, id: i64) -> NodeResult<bool> {
        self.commit(async |txn, events| {
            let deleted = snapshots::delete(txn, id).await?;
            if deleted {
                events.push(NodeEvent::SnapshotsChanged);
            }
            Ok(deleted)
        })
        .await
    }
}
