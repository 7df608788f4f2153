//! The dev chain's clock, as Anvil's `evm_increaseTime` and `evm_setNextBlockTimestamp`: block
//! timestamps are the wall clock plus an offset, or a timestamp fixed for the next block only.
//! Both are stored with the mining settings, through the commit path, so replicas share them and
//! they outlive restarts. The protocol puts no rule on timestamps (docs/protocol.md); as node
//! policy, a fixed timestamp may not go back before the tip's, and time only moves forward.

use crate::model::{DevClock, MiningStatus};
use crate::node::{Node, NodeError, NodeEvent, NodeResult};
use crate::store::{Db, blocks, mining};

use super::settings::now_secs;

/// The largest step `increaseTime` takes at once: about a hundred years.
pub const MAX_TIME_STEP: i64 = 100 * 366 * 86_400;

impl Node {
    /// Moves the clock `seconds` (0…[`MAX_TIME_STEP`]) forward: every later block's timestamp is
    /// that much later.
    pub async fn increase_time(&self, seconds: i64) -> NodeResult<MiningStatus> {
        if !(0..=MAX_TIME_STEP).contains(&seconds) {
            return Err(NodeError::InvalidMining(format!(
                "seconds must be between 0 and {MAX_TIME_STEP}, got {seconds}"
            )));
        }
        self.change_clock(|clock, _| {
            clock.offset_seconds = clock.offset_seconds.saturating_add(seconds);
            Ok(())
        })
        .await
    }

    /// Fixes the next block's timestamp (Unix seconds): not before the tip's. The offset moves
    /// with it, so blocks after it go on from there.
    pub async fn set_next_block_timestamp(&self, timestamp: u64) -> NodeResult<MiningStatus> {
        self.change_clock(|clock, tip_time| {
            if let Some(tip_time) = tip_time.filter(|t| timestamp < *t) {
                return Err(NodeError::InvalidMining(format!(
                    "timestamp {timestamp} is before the tip's ({tip_time})"
                )));
            }
            let now = now_secs();
            clock.next_timestamp = Some(timestamp);
            clock.offset_seconds = clock.offset_seconds.max(
                i64::try_from(timestamp).unwrap_or(i64::MAX) - i64::try_from(now).unwrap_or(0),
            );
            Ok(())
        })
        .await
    }

    /// The timestamp of a block mined now, inside the commit that mines it: the fixed one (used
    /// up), or the clock's time.
    pub(in crate::node) async fn block_time_in(&self, db: &impl Db) -> NodeResult<u64> {
        let mut clock = mining::clock(db).await?;
        self.take_block_time(db, &mut clock).await
    }

    /// [`Node::block_time_in`] with `clock` as read inside the same commit.
    pub(in crate::node) async fn take_block_time(
        &self,
        db: &impl Db,
        clock: &mut DevClock,
    ) -> NodeResult<u64> {
        match clock.next_timestamp.take() {
            Some(timestamp) => {
                mining::set_clock(db, clock).await?;
                Ok(timestamp)
            }
            None => Ok(clock.now(now_secs())),
        }
    }

    async fn change_clock(
        &self,
        change: impl FnOnce(&mut DevClock, Option<u64>) -> NodeResult<()>,
    ) -> NodeResult<MiningStatus> {
        self.commit(async |txn, events| {
            let (settings, mut clock) = self.settings_and_clock_in(txn).await?;
            change(&mut clock, blocks::tip_timestamp(txn).await?)?;
            mining::set(txn, &settings).await?;
            mining::set_clock(txn, &clock).await?;
            events.push(NodeEvent::MiningChanged(settings));
            self.mining_in(txn).await
        })
        .await
    }
}
