//! How the node mines on its own: never (manual), after every accepted transaction (auto), or
//! every N seconds (interval).

use crate::chain::Address;
use crate::chain::BlockHash;

/// When blocks are mined without a `mineBlock` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MiningMode {
    /// Only when asked.
    Manual,
    /// Right after each accepted transaction, in the same commit.
    Auto,
    /// Every `interval_seconds`, paced from the previous block's timestamp.
    Interval,
}

impl MiningMode {
    /// The name stored in `m.mode` and taken by `--mining`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Auto => "auto",
            Self::Interval => "interval",
        }
    }

    /// Parses a stored or configured name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "manual" => Some(Self::Manual),
            "auto" => Some(Self::Auto),
            "interval" => Some(Self::Interval),
            _ => None,
        }
    }
}

/// The mining settings, stored so that they outlive restarts and are shared by replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MiningSettings {
    /// The mode.
    pub mode: MiningMode,
    /// Seconds between blocks in interval mode.
    pub interval_seconds: Option<u32>,
    /// Who is paid for blocks mined on the node's own initiative.
    pub address: Option<Address>,
    /// Pending transactions each such block takes.
    pub tx_count: u32,
}

/// The settings and when the next interval block is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MiningStatus {
    /// The settings.
    pub settings: MiningSettings,
    /// In interval mode: Unix seconds at which the next block is due (the tip's timestamp plus
    /// the interval; now, on an empty chain).
    pub next_block_at: Option<u64>,
    /// The dev chain's clock.
    pub clock: DevClock,
}

/// The dev chain's clock, as Anvil's `evm_increaseTime` and `evm_setNextBlockTimestamp` set it:
/// block timestamps are the wall clock plus `offset_seconds`, except the next block's when
/// `next_timestamp` is set (used once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DevClock {
    /// Seconds added to the wall clock.
    pub offset_seconds: i64,
    /// The next block's timestamp, Unix seconds.
    pub next_timestamp: Option<u64>,
}

impl DevClock {
    /// The node's time now: the wall clock `now` (Unix seconds) plus the offset.
    pub fn now(&self, now: u64) -> u64 {
        now.saturating_add_signed(self.offset_seconds)
    }
}

/// One sample of a running search.
#[derive(Debug, Clone, PartialEq)]
pub struct MiningSample {
    /// The height of the block being mined.
    pub height: u64,
    /// Leading zero bits the block needs.
    pub bits: u32,
    /// Nonces tried so far.
    pub attempts: u64,
    /// The best hash so far and its leading zero bits.
    pub best: Option<(BlockHash, u32)>,
    /// Attempts per second since the search began.
    pub hashes_per_second: f64,
    /// Attempts a search needs on average: 2^bits.
    pub expected_attempts: f64,
    /// Milliseconds since the search began.
    pub elapsed_ms: u64,
}
