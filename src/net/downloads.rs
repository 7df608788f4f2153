//! Which bodies are being fetched, and from whom: peers catching up with the same chain split it
//! into spans of blocks, each fetched from one peer, instead of each fetching all of it. A span
//! is named by the hash of its last block, so peers whose header chains started at different
//! heights still agree on it. A peer that finds a span claimed skips to the next, and gives its
//! own only once the node has the block before it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::locked;
use crate::chain::BlockHash;

/// Longest wait for news of another peer's span before looking again.
const RECHECK: Duration = Duration::from_millis(200);

/// The spans claimed now, each by the hash of its last block.
#[derive(Debug, Default)]
pub(super) struct Downloads {
    claimed: Mutex<HashSet<BlockHash>>,
    changed: Notify,
}

impl Downloads {
    /// Claims the span ending with block `last`, unless another peer has.
    pub(super) fn claim(self: &Arc<Self>, last: BlockHash) -> Option<Claim> {
        locked(&self.claimed).insert(last).then(|| Claim {
            downloads: self.clone(),
            last,
        })
    }

    /// Whether a peer holds a claim on the span ending with `last` now.
    pub(super) fn is_claimed(&self, last: &BlockHash) -> bool {
        locked(&self.claimed).contains(last)
    }

    /// Until a claim ends, or [`RECHECK`] passes.
    pub(super) async fn changed(&self) {
        let _ = tokio::time::timeout(RECHECK, self.changed.notified()).await;
    }
}

/// One peer's claim on a span, held until its blocks are in the node or the peer gives up
/// (dropped either way).
#[derive(Debug)]
pub(super) struct Claim {
    downloads: Arc<Downloads>,
    last: BlockHash,
}

impl Drop for Claim {
    fn drop(&mut self) {
        locked(&self.downloads.claimed).remove(&self.last);
        self.downloads.changed.notify_waiters();
    }
}
