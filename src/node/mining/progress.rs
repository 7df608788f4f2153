//! Live progress of this process's nonce searches, for `miningProgress`: while anyone watches,
//! searches record their attempts and best hash, and watchers sample them a few times a second.
//! Unwatched searches run the plain, faster loop.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::chain::BlockHeader;
use crate::chain::pow::SearchProgress;
use crate::model::MiningSample;
use crate::node::Node;

/// The search running now, as watchers see it.
#[derive(Debug, Clone)]
pub(crate) struct RunningSearch {
    progress: Arc<SearchProgress>,
    header: BlockHeader,
    height: u64,
    started: Instant,
}

/// A watcher: while one exists, searches report their progress.
pub struct MiningWatch {
    node: Arc<Node>,
}

impl Node {
    /// Starts watching this process's nonce searches.
    pub fn watch_mining(self: &Arc<Self>) -> MiningWatch {
        self.mining_watchers.fetch_add(1, Ordering::Relaxed);
        MiningWatch { node: self.clone() }
    }

    /// Whether anyone watches mining's progress.
    pub(crate) fn mining_watched(&self) -> bool {
        self.mining_watchers.load(Ordering::Relaxed) > 0
    }

    /// Progress to record for a search about to start for the block at `height`, if anyone
    /// watches; it is shown until the returned guard is dropped.
    pub(crate) fn search_started(
        &self,
        header: &BlockHeader,
        height: u64,
    ) -> Option<(Arc<SearchProgress>, SearchGuard<'_>)> {
        if !self.mining_watched() {
            return None;
        }
        let progress = Arc::new(SearchProgress::default());
        if let Ok(mut running) = self.running_search.lock() {
            *running = Some(RunningSearch {
                progress: progress.clone(),
                header: *header,
                height,
                started: Instant::now(),
            });
        }
        Some((progress, SearchGuard { node: self }))
    }
}

/// Clears the running search when it ends, however it ends.
pub(crate) struct SearchGuard<'a> {
    node: &'a Node,
}

impl Drop for SearchGuard<'_> {
    fn drop(&mut self) {
        let ended = match self.node.running_search.lock() {
            Ok(mut running) => running.take(),
            Err(_) => None,
        };
        if let (Some(ended), Ok(mut finished)) = (ended, self.node.finished_search.lock()) {
            *finished = Some(sample_of(&ended));
        }
    }
}

/// A search's figures now.
fn sample_of(running: &RunningSearch) -> MiningSample {
    let attempts = running.progress.attempts();
    let elapsed = running.started.elapsed();
    let best = running.progress.best().map(|(bits, nonce)| {
        let header = BlockHeader {
            nonce,
            ..running.header
        };
        (header.hash(), bits)
    });
    MiningSample {
        height: running.height,
        bits: running.header.bits,
        attempts,
        best,
        hashes_per_second: attempts as f64 / elapsed.as_secs_f64().max(1e-3),
        expected_attempts: 2f64.powi(running.header.bits as i32),
        elapsed_ms: elapsed.as_millis() as u64,
    }
}

impl MiningWatch {
    /// The running search's progress now; `None` when no search runs.
    pub fn sample(&self) -> Option<MiningSample> {
        let running = self.node.running_search.lock().ok()?;
        running.as_ref().map(sample_of)
    }

    /// The last figures of the latest search that ended, if it was for the block at `height`.
    pub fn finished(&self, height: u64) -> Option<MiningSample> {
        let finished = self.node.finished_search.lock().ok()?;
        finished.clone().filter(|s| s.height == height)
    }
}

impl Drop for MiningWatch {
    fn drop(&mut self) {
        self.node.mining_watchers.fetch_sub(1, Ordering::Relaxed);
    }
}
