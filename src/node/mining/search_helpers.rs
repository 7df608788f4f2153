//! Threads that help a block's first nonce search (`pow::search_first`), one per core, each
//! pinned to its core and parked between searches.
//!
//! A search of the first nonces takes a few hundred microseconds, so a helper is worth having only
//! if it starts within a few tens. A new thread, or a job on rayon's pool, starts later than that.
//! A parked thread wakes in time, but only on another core: on a virtual machine whose other core
//! is idle, the kernel wakes an unpinned thread on the caller's core, where it only takes turns
//! with the search it should help. So each helper is pinned, and a search is handed to the helpers
//! of the cores other than the caller's.

use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;

use crate::chain::pow::FirstNonces;

/// Most helpers started, whatever the number of cores.
const MAX_HELPERS: usize = 16;

/// A parked helper and the search it is handed.
struct Helper {
    /// The core it is pinned to (`None` where threads are not pinned: it helps from anywhere).
    core: Option<usize>,
    search: Arc<Mutex<Option<Arc<FirstNonces>>>>,
    thread: Thread,
}

/// Helpers for a search on `threads` threads: hands it to up to `threads - 1` helpers on cores
/// other than the caller's.
pub fn search_helpers(threads: usize) -> impl FnOnce(&Arc<FirstNonces>) {
    move |search| {
        if threads < 2 {
            return;
        }
        let here = current_core();
        let others = helpers()
            .iter()
            .filter(|helper| helper.core.is_none() || helper.core != here);
        for helper in others.take(threads - 1) {
            helper.offer(search);
        }
    }
}

impl Helper {
    /// Starts a helper pinned to `core` (none when the system refuses a thread; one the system
    /// refuses to pin still helps, from anywhere).
    fn start(core: Option<usize>) -> Option<Helper> {
        let search: Arc<Mutex<Option<Arc<FirstNonces>>>> = Arc::default();
        let slot = Arc::clone(&search);
        let handle = std::thread::Builder::new()
            .name("pow-helper".into())
            .spawn(move || {
                if let Some(core) = core {
                    pin_to(core);
                }
                loop {
                    std::thread::park();
                    let taken = slot.lock().ok().and_then(|mut slot| slot.take());
                    if let Some(search) = taken {
                        search.help();
                    }
                }
            })
            .ok()?;
        Some(Helper {
            core,
            search,
            thread: handle.thread().clone(),
        })
    }

    /// Hands `search` to this helper, replacing one it has not taken yet (that search is over).
    fn offer(&self, search: &Arc<FirstNonces>) {
        if let Ok(mut slot) = self.search.lock() {
            *slot = Some(Arc::clone(search));
            self.thread.unpark();
        }
    }
}

/// The helpers, started on first use: one per core this process may run on.
fn helpers() -> &'static [Helper] {
    static HELPERS: OnceLock<Vec<Helper>> = OnceLock::new();
    HELPERS.get_or_init(|| {
        allowed_cores()
            .into_iter()
            .take(MAX_HELPERS)
            .filter_map(Helper::start)
            .collect()
    })
}

#[cfg(target_os = "linux")]
fn allowed_cores() -> Vec<Option<usize>> {
    use nix::sched::{CpuSet, sched_getaffinity};
    use nix::unistd::Pid;
    match sched_getaffinity(Pid::from_raw(0)) {
        Ok(set) => (0..CpuSet::count())
            .filter(|&core| set.is_set(core).unwrap_or(false))
            .map(Some)
            .collect(),
        Err(_) => unpinned(),
    }
}

#[cfg(not(target_os = "linux"))]
fn allowed_cores() -> Vec<Option<usize>> {
    unpinned()
}

/// One unpinned helper per core but the caller's.
fn unpinned() -> Vec<Option<usize>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    vec![None; cores - 1]
}

/// Pins this thread to `core` (if the system refuses, the thread runs where it may).
#[cfg(target_os = "linux")]
fn pin_to(core: usize) {
    use nix::sched::{CpuSet, sched_setaffinity};
    use nix::unistd::Pid;
    let mut set = CpuSet::new();
    if set.set(core).is_ok() {
        let _ = sched_setaffinity(Pid::from_raw(0), &set);
    }
}

#[cfg(not(target_os = "linux"))]
fn pin_to(_core: usize) {}

/// The core this thread runs on now.
#[cfg(target_os = "linux")]
fn current_core() -> Option<usize> {
    nix::sched::sched_getcpu().ok()
}

#[cfg(not(target_os = "linux"))]
fn current_core() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::pow::{self, FIRST_NONCES, meets_difficulty};
    use crate::chain::{BlockHash, BlockHeader, MerkleRoot};

    #[test]
    fn helped_searches_find_what_one_thread_finds() {
        for seed in 0..20u8 {
            let header = BlockHeader {
                version: 1,
                prev_hash: BlockHash([seed; 32]),
                merkle_root: MerkleRoot([7; 32]),
                timestamp: 1_700_000_000,
                bits: 12,
                nonce: 0,
            };
            let alone = pow::search_first(&header, search_helpers(1));
            let helped = pow::search_first(&header, search_helpers(4));
            assert_eq!(helped, alone, "seed {seed}");
            if let Some(found) = helped {
                assert!(found.nonce < FIRST_NONCES && meets_difficulty(&found.hash(), 12));
            }
        }
        assert!(!helpers().is_empty() || unpinned().is_empty());
    }
}
