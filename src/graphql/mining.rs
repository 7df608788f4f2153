//! `MiningStatus` and `MiningMode`: how the node mines on its own.

use async_graphql::{Enum, Object};

use crate::model;

/// When blocks are mined without a `mineBlock` call.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::model::MiningMode")]
pub enum MiningMode {
    /// Only when asked (`mineBlock`, `mineBlocks`).
    Manual,
    /// Every accepted transaction is mined into a block in the same commit: the `send` answer
    /// already names its block.
    Auto,
    /// A block every `intervalSeconds`, with whatever is pending (empty blocks included), paced
    /// from the previous block's timestamp.
    Interval,
}

/// The mining settings and the next interval block's time.
pub struct MiningStatus(pub model::MiningStatus);

#[Object]
impl MiningStatus {
    /// The mode.
    async fn mode(&self) -> MiningMode {
        self.0.settings.mode.into()
    }

    /// Seconds between blocks in INTERVAL mode (kept when another mode is chosen).
    async fn interval_seconds(&self) -> Option<u32> {
        self.0.settings.interval_seconds
    }

    /// The address AUTO and INTERVAL blocks pay.
    async fn address(&self) -> Option<String> {
        self.0.settings.address.map(|a| a.to_string())
    }

    /// Pending transactions each such block takes.
    async fn tx_count(&self) -> u32 {
        self.0.settings.tx_count
    }

    /// In INTERVAL mode, when the next block is due, in Unix seconds; null otherwise.
    async fn next_block_at(&self) -> Option<u64> {
        self.0.next_block_at
    }

    /// Seconds the dev clock runs ahead of the wall clock (`increaseTime`): block timestamps
    /// are the wall clock plus this.
    async fn time_offset_seconds(&self) -> i64 {
        self.0.clock.offset_seconds
    }

    /// The timestamp the next block will carry, if `setNextBlockTimestamp` fixed one.
    async fn next_block_timestamp(&self) -> Option<u64> {
        self.0.clock.next_timestamp
    }
}
