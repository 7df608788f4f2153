//! Mining on the node's own initiative: the settings (stored, so they outlive restarts and are
//! shared by replicas) and the INTERVAL scheduler; AUTO mining inside a send's commit is in `auto`.
//!
//! INTERVAL blocks are paced from the previous block's timestamp: the next is due at the tip's
//! timestamp plus the interval (at once after a long stop: one block, not one per missed
//! interval). The scheduler re-checks inside the writer's transaction that the block is still
//! due, so of several replicas waking together exactly one mines it.

use std::sync::Arc;
use std::time::Duration;

use crate::store::Db;
use tokio::sync::broadcast::error::RecvError;

use crate::chain::Address;
use crate::model::{DevClock, MiningMode, MiningSettings, MiningStatus, StoredBlock};
use crate::node::{Node, NodeError, NodeEvent, NodeResult};
use crate::store::{blocks, mining};

/// The longest interval accepted: a day.
pub const MAX_INTERVAL_SECONDS: i64 = 86_400;

/// A change of the mining settings; `None` keeps the current value.
#[derive(Debug, Clone, Copy)]
pub struct MiningChange {
    /// The new mode.
    pub mode: MiningMode,
    /// Who is paid.
    pub address: Option<Address>,
    /// Seconds between INTERVAL blocks (1…86,400).
    pub interval_seconds: Option<i64>,
    /// Pending transactions per block.
    pub tx_count: Option<i64>,
}

impl Node {
    /// The mining settings and when the next interval block is due.
    pub async fn mining(&self) -> NodeResult<MiningStatus> {
        self.mining_in(self.store.db()).await
    }

    pub(in crate::node) async fn mining_in(&self, db: &impl Db) -> NodeResult<MiningStatus> {
        let (settings, clock) = self.settings_and_clock_in(db).await?;
        let next_block_at = match (settings.mode, settings.interval_seconds) {
            (MiningMode::Interval, Some(interval)) => {
                Some(blocks::tip_timestamp(db).await?.map_or_else(
                    || clock.now(now_secs()),
                    |t| t.saturating_add(interval.into()),
                ))
            }
            _ => None,
        };
        Ok(MiningStatus {
            settings,
            next_block_at,
            clock,
        })
    }

    pub(in crate::node) async fn settings_in(&self, db: &impl Db) -> NodeResult<MiningSettings> {
        Ok(mining::get(db)
            .await?
            .map_or_else(|| self.default_settings(), |(settings, _)| settings))
    }

    /// The settings and the dev clock, in one read.
    pub(in crate::node) async fn settings_and_clock_in(
        &self,
        db: &impl Db,
    ) -> NodeResult<(MiningSettings, DevClock)> {
        Ok(mining::get(db)
            .await?
            .unwrap_or_else(|| (self.default_settings(), DevClock::default())))
    }

    /// The settings before any were stored: manual mining.
    fn default_settings(&self) -> MiningSettings {
        MiningSettings {
            mode: MiningMode::Manual,
            interval_seconds: None,
            address: None,
            tx_count: self.params().default_txs_per_block as u32,
        }
    }

    /// Changes the mining settings (values not given stay), checks that the new mode can work,
    /// stores them and announces them.
    pub async fn set_mining(&self, change: MiningChange) -> NodeResult<MiningStatus> {
        self.commit(async |txn, events| {
            let current = self.settings_in(txn).await?;
            let settings = self.merge(current, change)?;
            mining::set(txn, &settings).await?;
            events.push(NodeEvent::MiningChanged(settings));
            self.mining_in(txn).await
        })
        .await
    }

    fn merge(&self, current: MiningSettings, change: MiningChange) -> NodeResult<MiningSettings> {
        let interval_seconds = match change.interval_seconds {
            Some(s) if (1..=MAX_INTERVAL_SECONDS).contains(&s) => Some(s as u32),
            Some(s) => {
                return Err(NodeError::InvalidMining(format!(
                    "intervalSeconds {s} must be between 1 and {MAX_INTERVAL_SECONDS}"
                )));
            }
            None => current.interval_seconds,
        };
        let tx_count = match change.tx_count {
            Some(n) => self.txs_per_block(Some(n))? as u32,
            None => current.tx_count,
        };
        let settings = MiningSettings {
            mode: change.mode,
            interval_seconds,
            address: change.address.or(current.address),
            tx_count,
        };
        match settings.mode {
            MiningMode::Manual => {}
            MiningMode::Auto | MiningMode::Interval if settings.address.is_none() => {
                return Err(NodeError::MinerAddressRequired(settings.mode.as_str()));
            }
            MiningMode::Auto if settings.tx_count == 0 => {
                return Err(NodeError::InvalidMining(
                    "auto mining needs txCount of at least 1".to_owned(),
                ));
            }
            MiningMode::Interval if settings.interval_seconds.is_none() => {
                return Err(NodeError::InvalidMining(
                    "interval mining needs intervalSeconds (or --block-time)".to_owned(),
                ));
            }
            MiningMode::Auto | MiningMode::Interval => {}
        }
        Ok(settings)
    }

    /// Runs the INTERVAL scheduler until the node shuts down: sleeps until the next block is due,
    /// mines it if it still is, and wakes early when the settings or the tip change.
    pub async fn mine_on_schedule(self: Arc<Self>) {
        let _own = self.uncounted();
        let mut events = self.subscribe();
        while !self.is_shutting_down() {
            // When the block is due on the wall clock (the dev clock runs ahead by its offset).
            let due = match self.mining().await {
                Ok(status) => status
                    .next_block_at
                    .map(|at| at.saturating_add_signed(-status.clock.offset_seconds)),
                Err(err) => {
                    tracing::warn!(error = %err, "cannot read the mining settings; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let sleep = async {
                match due {
                    Some(at) => tokio::time::sleep(until(at)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = sleep => match self.mine_if_due().await {
                    Ok(Some(block)) => tracing::info!(height = block.height, "interval block mined"),
                    Ok(None) => {}
                    Err(NodeError::ShuttingDown) => return,
                    Err(err) => {
                        tracing::warn!(error = %err, "interval mining failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                },
                () = changed(&mut events, due.is_some()) => {}
            }
        }
    }

    /// Mines the interval block if, inside the writer's transaction, it is still due.
    async fn mine_if_due(&self) -> NodeResult<Option<Arc<StoredBlock>>> {
        self.commit(async |txn, events| {
            let status = self.mining_in(txn).await?;
            let (Some(at), Some(miner)) = (status.next_block_at, status.settings.address) else {
                return Ok(None);
            };
            if at > status.clock.now(now_secs()) {
                return Ok(None);
            }
            let count = status.settings.tx_count as usize;
            Ok(Some(self.mine_in(txn, &miner, count, events).await?))
        })
        .await
    }
}

/// Waits for an announcement that can move the next block's time. With no block scheduled (not
/// INTERVAL mode) a new block cannot schedule one, so only other changes wake the scheduler: the
/// blocks of MANUAL and AUTO mining cost it no read.
async fn changed(events: &mut tokio::sync::broadcast::Receiver<NodeEvent>, scheduled: bool) {
    loop {
        match events.recv().await {
            Ok(NodeEvent::PoolChanged { .. } | NodeEvent::SnapshotsChanged) => {}
            Ok(NodeEvent::BlockMined(_)) if !scheduled => {}
            Ok(_) | Err(RecvError::Lagged(_)) => return,
            Err(RecvError::Closed) => std::future::pending().await,
        }
    }
}

/// Time since the Unix epoch: the node's clock for block timestamps and interval pacing.
fn since_epoch() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// Unix seconds now.
pub(in crate::node) fn now_secs() -> u64 {
    since_epoch().as_secs()
}

/// How long until Unix second `at` begins.
fn until(at: u64) -> Duration {
    Duration::from_secs(at).saturating_sub(since_epoch())
}
