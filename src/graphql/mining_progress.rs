//! `miningProgress`: samples of this process's nonce searches, about four a second.

use async_graphql::SimpleObject;
use futures::Stream;

use crate::node::{MiningSample, MiningWatch};

/// A sample of a nonce search in progress.
#[derive(SimpleObject, Clone, Debug)]
pub struct MiningProgress {
    /// Height of the block being mined.
    pub height: u64,
    /// Leading zero bits it needs.
    pub bits: u32,
    /// Nonces tried so far.
    pub attempts: u64,
    /// The best (lowest) hash found so far, hex.
    pub best_hash: Option<String>,
    /// Its leading zero bits.
    pub best_zero_bits: Option<u32>,
    /// Nonces per second since the search began.
    pub hashes_per_second: f64,
    /// Nonces a search needs on average: 2^bits.
    pub expected_attempts: f64,
    /// Milliseconds since the search began.
    pub elapsed_ms: u64,
    /// The search has ended (this is its last sample).
    pub done: bool,
}

impl MiningProgress {
    /// A sample as the API shows it.
    pub fn new(sample: MiningSample, done: bool) -> Self {
        Self {
            height: sample.height,
            bits: sample.bits,
            attempts: sample.attempts,
            best_hash: sample.best.map(|(hash, _)| hash.to_string()),
            best_zero_bits: sample.best.map(|(_, bits)| bits),
            hashes_per_second: sample.hashes_per_second,
            expected_attempts: sample.expected_attempts,
            elapsed_ms: sample.elapsed_ms,
            done,
        }
    }
}

/// The samples of `watch`, every 250 ms while a search runs, with a last one marked `done` when
/// it ends (also when a new search follows at once).
pub fn progress(watch: MiningWatch) -> impl Stream<Item = MiningProgress> {
    let ticks = tokio::time::interval(std::time::Duration::from_millis(250));
    futures::stream::unfold(
        (watch, ticks, None::<MiningSample>),
        |(watch, mut ticks, mut last)| async move {
            loop {
                ticks.tick().await;
                match (watch.sample(), last.take()) {
                    (Some(sample), previous) => {
                        // A new search right after another: close the old one first.
                        if let Some(previous) = previous.filter(|p| p.height != sample.height) {
                            let ended = watch.finished(previous.height).unwrap_or(previous);
                            last = Some(sample);
                            return Some((MiningProgress::new(ended, true), (watch, ticks, last)));
                        }
                        last = Some(sample.clone());
                        return Some((MiningProgress::new(sample, false), (watch, ticks, last)));
                    }
                    (None, Some(previous)) => {
                        let ended = watch.finished(previous.height).unwrap_or(previous);
                        return Some((MiningProgress::new(ended, true), (watch, ticks, None)));
                    }
                    (None, None) => {}
                }
            }
        },
    )
}
