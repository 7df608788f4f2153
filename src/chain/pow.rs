//! Proof of work: leading zero bits of the block hash, and the nonce search.
//!
//! The search hashes the header's first 64 bytes once (the midstate) and per nonce runs only two
//! SHA-256 compressions — the header's last 24 bytes with padding, then the second hash — instead
//! of the three a plain double SHA-256 of the 88-byte header needs. It reads the hash's leading
//! words straight from the SHA-256 state and serializes nothing until a nonce wins.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sha2::block_api::compress256;

use super::hash::BlockHash;
use super::header::{BlockHeader, HEADER_LEN};

/// SHA-256's initial state.
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Nonces tried between looks at the cancel and found flags.
const CHECK_EVERY: u64 = 4096;

/// Number of leading zero bits of a hash, reading its bytes in order.
pub fn leading_zero_bits(hash: &BlockHash) -> u32 {
    let mut bits = 0;
    for byte in hash.0 {
        if byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// Whether `hash` has at least `bits` leading zero bits.
pub fn meets_difficulty(hash: &BlockHash, bits: u32) -> bool {
    leading_zero_bits(hash) >= bits
}

/// The header's fixed part, hashed once: what every nonce shares.
#[derive(Clone)]
pub struct Midstate {
    state: [u32; 8],
    tail: [u8; 64],
    bits: u32,
}

impl Midstate {
    /// Precomputes the search for `header` (its nonce is ignored).
    pub fn new(header: &BlockHeader) -> Self {
        let bytes = header.encode();
        let mut state = IV;
        let mut first = [0u8; 64];
        first.copy_from_slice(&bytes[..64]);
        compress256(&mut state, &[first]);
        let mut tail = [0u8; 64];
        tail[..HEADER_LEN - 64].copy_from_slice(&bytes[64..]);
        tail[HEADER_LEN - 64] = 0x80;
        tail[56..].copy_from_slice(&((HEADER_LEN as u64) * 8).to_be_bytes());
        Self {
            state,
            tail,
            bits: header.bits,
        }
    }

    /// The hash's first 64 bits for `nonce`, as a big-endian integer: enough to judge any
    /// difficulty up to 64 bits.
    #[inline]
    fn hash_prefix(&self, tail: &mut [u8; 64], nonce: u64) -> u64 {
        tail[16..24].copy_from_slice(&nonce.to_le_bytes());
        let mut inner = self.state;
        compress256(&mut inner, std::slice::from_ref(tail));
        let mut second = [0u8; 64];
        for (chunk, word) in second.chunks_exact_mut(4).zip(inner) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        second[32] = 0x80;
        second[62] = 0x01; // 256 bits, big-endian
        let mut outer = IV;
        compress256(&mut outer, &[second]);
        (u64::from(outer[0]) << 32) | u64::from(outer[1])
    }

    /// Whether `nonce` meets the header's difficulty.
    #[inline]
    pub fn check(&self, tail: &mut [u8; 64], nonce: u64) -> bool {
        let prefix = self.hash_prefix(tail, nonce);
        self.bits == 0 || prefix.leading_zeros() >= self.bits
    }

    /// Tries `count` nonces from `start` stepping by `step`; the first that meets the difficulty.
    pub fn scan(&self, start: u64, step: u64, count: u64) -> Option<u64> {
        let mut tail = self.tail;
        let mut nonce = start;
        for _ in 0..count {
            if self.check(&mut tail, nonce) {
                return Some(nonce);
            }
            nonce = nonce.wrapping_add(step);
        }
        None
    }
}

/// What a running search has done so far, shared with whoever watches it: nonces tried, and the
/// nonce whose hash had the most leading zero bits.
#[derive(Debug, Default)]
pub struct SearchProgress {
    attempts: AtomicU64,
    best: Mutex<Option<(u32, u64)>>,
}

impl SearchProgress {
    /// Nonces tried so far (counted in rounds of a few thousand).
    pub fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// The best so far: (leading zero bits, nonce).
    pub fn best(&self) -> Option<(u32, u64)> {
        self.best.lock().ok().and_then(|b| *b)
    }

    fn record(&self, tried: u64, best: Option<(u32, u64)>) {
        self.attempts.fetch_add(tried, Ordering::Relaxed);
        if let (Some(found), Ok(mut best_so_far)) = (best, self.best.lock())
            && best_so_far.is_none_or(|(bits, _)| found.0 > bits)
        {
            *best_so_far = Some(found);
        }
    }
}

impl Midstate {
    /// Like [`Midstate::scan`], also tracking the nonce with the most leading zero bits seen.
    fn scan_tracking(
        &self,
        start: u64,
        step: u64,
        count: u64,
    ) -> (Option<u64>, Option<(u32, u64)>) {
        let mut tail = self.tail;
        let mut nonce = start;
        let mut best: Option<(u32, u64)> = None;
        for _ in 0..count {
            let zeros = self.hash_prefix(&mut tail, nonce).leading_zeros();
            if best.is_none_or(|(bits, _)| zeros > bits) {
                best = Some((zeros, nonce));
            }
            if self.bits == 0 || zeros >= self.bits {
                return (Some(nonce), best);
            }
            nonce = nonce.wrapping_add(step);
        }
        (None, best)
    }
}

/// How a nonce search ended without a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchOutcome {
    /// The cancel flag was raised.
    Cancelled,
    /// All 2^64 nonces failed (only reachable at absurd difficulty).
    Exhausted,
}

/// Searches nonces for `header` on `threads` threads (at least one) until one meets `header.bits`
/// or `cancel` is raised. Returns the header with the winning nonce.
pub fn search(
    header: &BlockHeader,
    threads: usize,
    cancel: &AtomicBool,
) -> Result<BlockHeader, SearchOutcome> {
    search_reporting(header, threads, cancel, None)
}

/// [`search`], also recording its progress in `progress` (a little slower per nonce: it keeps
/// the best hash seen).
pub fn search_reporting(
    header: &BlockHeader,
    threads: usize,
    cancel: &AtomicBool,
    progress: Option<&SearchProgress>,
) -> Result<BlockHeader, SearchOutcome> {
    search_from(header, 0, threads, cancel, progress)
}

/// Nonces [`search_first`] tries: at a dev chain's difficulty (12 bits, 4,096 nonces expected)
/// 98% of blocks are found among them, in about a millisecond at most on one thread (half that
/// with a helper), less than handing the search to threads of its own would cost (with 8,192,
/// the searches that went on took about 0.9 ms, one block in seven).
pub const FIRST_NONCES: u64 = 16384;

/// Nonces a worker of [`search_first`] takes at a time: a few tens of microseconds of hashing, so
/// that the caller's wait for a helper's last chunk stays short.
const FIRST_CHUNK: u64 = 256;

/// The lowest nonce below [`FIRST_NONCES`] that meets `header.bits`, searched on this thread and
/// by whichever threads `helpers` hands the search to (see [`FirstNonces::help`]). Workers take
/// chunks of nonces in order, so the lowest is found however many helped: a block is the same on
/// every machine.
pub fn search_first(
    header: &BlockHeader,
    helpers: impl FnOnce(&Arc<FirstNonces>),
) -> Option<BlockHeader> {
    start_first(header, helpers).finish()
}

/// [`search_first`] handed to `helpers` now, the caller joining it with
/// [`FirstSearch::finish`]: the caller can do other work while the helpers search.
pub fn start_first(header: &BlockHeader, helpers: impl FnOnce(&Arc<FirstNonces>)) -> FirstSearch {
    let search = Arc::new(FirstNonces::new(header));
    helpers(&search);
    FirstSearch {
        search,
        header: *header,
    }
}

/// A search of the first nonces that helpers may be at already (see [`start_first`]). Dropped
/// unfinished, it stops them at their chunk's end.
pub struct FirstSearch {
    search: Arc<FirstNonces>,
    header: BlockHeader,
}

impl FirstSearch {
    /// Searches with the helpers until the lowest nonce is known: the header with it, or `None`
    /// when no nonce below [`FIRST_NONCES`] meets the difficulty.
    pub fn finish(self) -> Option<BlockHeader> {
        self.search.work();
        self.search.close();
        let nonce = self.search.lowest.load(Ordering::Acquire);
        (nonce != NOT_FOUND).then_some(BlockHeader {
            nonce,
            ..self.header
        })
    }
}

impl Drop for FirstSearch {
    fn drop(&mut self) {
        // Every chunk is taken: a helper leaves after the one it is at.
        self.search
            .next_chunk
            .store(FIRST_NONCES / FIRST_CHUNK, Ordering::Relaxed);
    }
}

/// No nonce found (every nonce [`search_first`] tries is below [`FIRST_NONCES`]).
const NOT_FOUND: u64 = u64::MAX;

/// Set in [`FirstNonces::helpers`] once the caller has finished: a helper that starts later leaves.
const CLOSED: u32 = 1 << 31;

/// A search of the first nonces ([`search_first`]), shared by the caller and its helpers.
pub struct FirstNonces {
    midstate: Midstate,
    /// The next chunk a worker takes.
    next_chunk: AtomicU64,
    /// The lowest nonce found so far, or [`NOT_FOUND`].
    lowest: AtomicU64,
    /// Helpers at work, and [`CLOSED`].
    helpers: AtomicU32,
}

impl FirstNonces {
    fn new(header: &BlockHeader) -> Self {
        Self {
            midstate: Midstate::new(header),
            next_chunk: AtomicU64::new(0),
            lowest: AtomicU64::new(NOT_FOUND),
            helpers: AtomicU32::new(0),
        }
    }

    /// Scans chunks in order until none is left below the lowest nonce found. A chunk below it
    /// is always finished (or has found it), so once every worker has returned, `lowest` is the
    /// lowest of all.
    fn work(&self) {
        loop {
            let start = self.next_chunk.fetch_add(1, Ordering::Relaxed) * FIRST_CHUNK;
            if start >= FIRST_NONCES || start > self.lowest.load(Ordering::Acquire) {
                return;
            }
            if let Some(nonce) = self.midstate.scan(start, 1, FIRST_CHUNK) {
                self.lowest.fetch_min(nonce, Ordering::AcqRel);
            }
        }
    }

    /// A helper's turn, on any thread: works unless the caller has finished already. The caller
    /// waits for a helper at work to finish its chunk (a few tens of microseconds).
    pub fn help(&self) {
        if self.helpers.fetch_add(1, Ordering::AcqRel) & CLOSED == 0 {
            self.work();
        }
        self.helpers.fetch_sub(1, Ordering::AcqRel);
    }

    /// Shuts out helpers that have not started, and waits for those at work to finish their
    /// chunk.
    fn close(&self) {
        self.helpers.fetch_or(CLOSED, Ordering::AcqRel);
        while self.helpers.load(Ordering::Acquire) != CLOSED {
            std::thread::yield_now();
        }
    }
}

/// [`search_reporting`] from nonce `first` on (after [`search_first`], from [`FIRST_NONCES`]).
pub fn search_from(
    header: &BlockHeader,
    first: u64,
    threads: usize,
    cancel: &AtomicBool,
    progress: Option<&SearchProgress>,
) -> Result<BlockHeader, SearchOutcome> {
    let threads = threads.max(1) as u64;
    let midstate = Midstate::new(header);
    let found = AtomicBool::new(false);
    let winner = Mutex::new(None);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (midstate, found, winner) = (&midstate, &found, &winner);
            scope.spawn(move || {
                // Thread t tries first+t, first+t+T, … in rounds of CHECK_EVERY.
                let rounds = (u64::MAX - first) / threads / CHECK_EVERY;
                for round in 0..=rounds {
                    if found.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let start = first
                        .wrapping_add(t)
                        .wrapping_add(round.wrapping_mul(CHECK_EVERY * threads));
                    let hit = match progress {
                        None => midstate.scan(start, threads, CHECK_EVERY),
                        Some(progress) => {
                            let (hit, best) = midstate.scan_tracking(start, threads, CHECK_EVERY);
                            progress.record(CHECK_EVERY, best);
                            hit
                        }
                    };
                    if let Some(nonce) = hit {
                        found.store(true, Ordering::Relaxed);
                        if let Ok(mut w) = winner.lock() {
                            w.get_or_insert(nonce);
                        }
                        return;
                    }
                }
            });
        }
    });
    let nonce = winner.into_inner().ok().flatten();
    match nonce {
        Some(nonce) => Ok(BlockHeader { nonce, ..*header }),
        None if cancel.load(Ordering::Relaxed) => Err(SearchOutcome::Cancelled),
        None => Err(SearchOutcome::Exhausted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::hash::MerkleRoot;
    use proptest::prelude::*;

    /// Helpers for [`search_first`]: `threads - 1` new threads.
    fn spawned(threads: usize) -> impl FnOnce(&Arc<FirstNonces>) {
        move |search| {
            for _ in 1..threads {
                let search = Arc::clone(search);
                std::thread::spawn(move || search.help());
            }
        }
    }

    fn header(bits: u32) -> BlockHeader {
        BlockHeader {
            version: 1,
            prev_hash: BlockHash([3; 32]),
            merkle_root: MerkleRoot([4; 32]),
            timestamp: 1_700_000_000,
            bits,
            nonce: 0,
        }
    }

    #[test]
    fn leading_zero_bits_counts_across_bytes() {
        let mut h = BlockHash([0xff; 32]);
        assert_eq!(leading_zero_bits(&h), 0);
        h.0[0] = 0;
        h.0[1] = 0x1f;
        assert_eq!(leading_zero_bits(&h), 11);
        assert_eq!(leading_zero_bits(&BlockHash::ZERO), 256);
    }

    #[test]
    fn search_finds_a_nonce_that_meets_the_difficulty() {
        for threads in [1, 2, 3] {
            let mined = search(&header(12), threads, &AtomicBool::new(false)).unwrap();
            assert!(meets_difficulty(&mined.hash(), 12), "threads={threads}");
        }
    }

    #[test]
    fn a_reported_search_counts_its_attempts_and_keeps_its_best_hash() {
        let progress = SearchProgress::default();
        let mined =
            search_reporting(&header(16), 2, &AtomicBool::new(false), Some(&progress)).unwrap();
        assert!(progress.attempts() >= CHECK_EVERY);
        let (bits, nonce) = progress.best().unwrap();
        assert!(bits >= 16);
        let best = BlockHeader {
            nonce,
            ..header(16)
        };
        assert_eq!(leading_zero_bits(&best.hash()), bits);
        assert!(meets_difficulty(&mined.hash(), 16));
    }

    #[test]
    fn the_first_nonces_then_the_rest_find_the_lowest_nonce() {
        let never = AtomicBool::new(false);
        // At 12 bits the lowest nonce is usually below FIRST_NONCES, at 16 usually above.
        for bits in [12, 16] {
            let lowest = search(&header(bits), 1, &never).unwrap();
            for threads in [1, 2, 4] {
                let split = match search_first(&header(bits), spawned(threads)) {
                    Some(found) => found,
                    None => search_from(&header(bits), FIRST_NONCES, 1, &never, None).unwrap(),
                };
                assert_eq!(split, lowest, "bits={bits} threads={threads}");
            }
            assert_eq!(
                lowest.nonce < FIRST_NONCES,
                search_first(&header(bits), spawned(2)).is_some()
            );
        }
        let later = search_from(&header(12), FIRST_NONCES, 2, &never, None).unwrap();
        assert!(later.nonce >= FIRST_NONCES && meets_difficulty(&later.hash(), 12));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Helpers never change which nonce the first search finds: the lowest, by brute force.
        #[test]
        fn the_first_search_finds_the_lowest_nonce_with_any_helpers(
            seed: [u8; 32],
            bits in 6u32..=13,
            threads in 1usize..=4,
        ) {
            let h = BlockHeader { prev_hash: BlockHash(seed), bits, ..header(bits) };
            let brute = (0..FIRST_NONCES)
                .find(|&nonce| meets_difficulty(&BlockHeader { nonce, ..h }.hash(), bits));
            prop_assert_eq!(search_first(&h, spawned(threads)).map(|found| found.nonce), brute);
        }
    }

    #[test]
    fn search_stops_when_cancelled() {
        let cancel = AtomicBool::new(true);
        assert_eq!(
            search(&header(64), 2, &cancel),
            Err(SearchOutcome::Cancelled)
        );
    }

    proptest! {
        #[test]
        fn midstate_agrees_with_the_plain_hash(nonce: u64, bits in 0u32..=20) {
            let h = BlockHeader { nonce, ..header(bits) };
            let mid = Midstate::new(&h);
            let mut tail = mid.tail;
            let prefix = mid.hash_prefix(&mut tail, nonce);
            prop_assert_eq!(&prefix.to_be_bytes()[..], &h.hash().0[..8]);
            prop_assert_eq!(mid.check(&mut tail, nonce), meets_difficulty(&h.hash(), bits));
        }
    }
}
