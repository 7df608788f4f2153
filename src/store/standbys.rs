//! Hot standbys: PostgreSQL streaming replicas of the primary that serve reads.
//!
//! A monitor polls every standby (its state version and how far its replay is behind) every
//! [`POLL`]. A request's reads go to a standby that is up and either has reached the version the
//! request presents (read-your-writes, see [`ReadScope`]) or, with none presented, is at most
//! the configured lag behind; otherwise to the primary. A read that fails on a standby is marked
//! down and runs again on the primary: a standby that goes away never fails a read. Writes, and
//! reads inside a write, never come here.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, SqlxPostgresConnector, Statement,
};

use tokio::task::AbortHandle;

use super::error::{StoreError, StoreResult};
use super::redact;

/// How often each standby's version and lag are read.
pub const POLL: Duration = Duration::from_millis(100);
/// Longest a poll or a first connection may take before the standby counts as down.
const POLL_TIMEOUT: Duration = Duration::from_secs(1);

/// Which standbys to read from, and how far behind one may be.
#[derive(Debug, Clone)]
pub struct ReadConfig {
    /// The standbys' URLs.
    pub urls: Vec<String>,
    /// Without a presented version, a standby further behind than this is skipped.
    pub max_lag: Duration,
}

impl Default for ReadConfig {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            max_lag: Duration::from_secs(1),
        }
    }
}

/// The reads of one request: the state version they must see (the client's own last write),
/// and the source the first of them chose, which the others keep, so that one answer never
/// mixes two standbys' states.
#[derive(Debug)]
pub struct ReadScope {
    floor: Option<i64>,
    /// 0: nothing chosen yet; 1: the primary; 2 + i: standby i.
    source: AtomicUsize,
}

const UNCHOSEN: usize = 0;
const PRIMARY: usize = 1;

impl ReadScope {
    /// A scope whose reads see at least state version `floor`.
    pub fn new(floor: Option<i64>) -> Arc<Self> {
        Arc::new(Self {
            floor,
            source: AtomicUsize::new(UNCHOSEN),
        })
    }

    /// A scope whose reads all go to the primary: a live feed's, which read what an
    /// announcement just told them is committed.
    pub fn primary() -> Arc<Self> {
        Arc::new(Self {
            floor: None,
            source: AtomicUsize::new(PRIMARY),
        })
    }
}

tokio::task_local! {
    static SCOPE: Arc<ReadScope>;
}

/// Runs `reads` in `scope` (see [`ReadScope`]).
pub async fn within<F: Future>(scope: Arc<ReadScope>, reads: F) -> F::Output {
    SCOPE.scope(scope, reads).await
}

/// The scope of the reads running now, to carry into tasks they spawn.
pub fn current_scope() -> Option<Arc<ReadScope>> {
    SCOPE.try_with(Arc::clone).ok()
}

/// What `/metrics` shows of one standby.
#[derive(Debug, Clone)]
pub struct StandbyStatus {
    /// `host:port/database`, without credentials.
    pub name: String,
    /// Whether its last poll answered.
    pub up: bool,
    /// How far its replay is behind the primary (zero once it has the primary's version).
    pub lag: Option<Duration>,
    /// Reads it served.
    pub reads: u64,
}

/// The standbys, their monitor, and who served what.
#[derive(Debug)]
pub(super) struct Standbys {
    list: Arc<Vec<Standby>>,
    max_lag: Duration,
    next: AtomicUsize,
    primary_reads: AtomicU64,
    monitor: AbortHandle,
}

#[derive(Debug)]
struct Standby {
    name: String,
    db: DatabaseConnection,
    up: AtomicBool,
    /// Its state version at the last poll (-1 before the first).
    version: AtomicI64,
    /// Milliseconds behind at the last poll.
    lag_ms: AtomicU64,
    reads: AtomicU64,
}

impl Drop for Standbys {
    fn drop(&mut self) {
        self.monitor.abort();
    }
}

impl Standbys {
    /// Connects (lazily: a standby down at start is polled until it answers) and starts the
    /// monitor, which compares each standby with `primary`.
    pub(super) async fn start(
        config: &ReadConfig,
        primary: DatabaseConnection,
    ) -> StoreResult<Self> {
        let mut list = Vec::with_capacity(config.urls.len());
        for url in &config.urls {
            let options: PgConnectOptions = url.parse().map_err(|e| StoreError::Unreachable {
                target: redact(url),
                reason: format!("the standby's URL does not parse: {e}"),
            })?;
            let name = super::reachable::target(&options);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(POLL_TIMEOUT)
                .connect_lazy_with(options);
            list.push(Standby {
                name,
                db: SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
                up: AtomicBool::new(false),
                version: AtomicI64::new(-1),
                lag_ms: AtomicU64::new(u64::MAX),
                reads: AtomicU64::new(0),
            });
        }
        let list = Arc::new(list);
        let version = super::version::current(&primary).await?;
        futures::future::join_all(list.iter().map(|s| s.poll(version))).await;
        for standby in list.iter() {
            if standby.up.load(Ordering::Relaxed) {
                tracing::info!(standby = %standby.name, "reading from a hot standby");
            } else {
                tracing::warn!(standby = %standby.name, "the standby does not answer yet; reads go to the primary until it does");
            }
        }
        let monitor = tokio::spawn(monitor(list.clone(), primary)).abort_handle();
        Ok(Self {
            list,
            max_lag: config.max_lag,
            next: AtomicUsize::new(0),
            primary_reads: AtomicU64::new(0),
            monitor,
        })
    }

    /// Runs `read` on a standby that may answer it, or on the primary `primary`.
    pub(super) async fn read<T, F, Fut>(
        &self,
        primary: &DatabaseConnection,
        read: F,
    ) -> StoreResult<T>
    where
        F: Fn(DatabaseConnection) -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        if let Some(standby) = self.source() {
            match read(standby.db.clone()).await {
                Ok(answer) => {
                    standby.reads.fetch_add(1, Ordering::Relaxed);
                    return Ok(answer);
                }
                Err(err) => {
                    tracing::warn!(standby = %standby.name, error = %err, "a read failed on the standby; reading from the primary");
                    standby.up.store(false, Ordering::Relaxed);
                }
            }
        }
        self.primary_reads.fetch_add(1, Ordering::Relaxed);
        read(primary.clone()).await
    }

    /// The standby this read goes to (`None`: the primary): the one its scope chose already
    /// while it is up, else a new choice, kept for the scope's later reads. Only reads in a
    /// request's scope go to a standby.
    fn source(&self) -> Option<&Standby> {
        // Reads outside a request's scope are the node's own (its decisions, its feeds): they
        // must see every commit.
        let scope = current_scope()?;
        match scope.source.load(Ordering::Relaxed) {
            UNCHOSEN => {}
            PRIMARY => return None,
            chosen => {
                let standby = self.list.get(chosen - 2)?;
                return standby.up.load(Ordering::Relaxed).then_some(standby);
            }
        }
        let choice = self.choose(scope.floor);
        let source = choice.map_or(PRIMARY, |(i, _)| i + 2);
        match scope
            .source
            .compare_exchange(UNCHOSEN, source, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => choice.map(|(_, standby)| standby),
            // Another read of the scope chose first (a loader task): follow it.
            Err(PRIMARY) => None,
            Err(chosen) => self
                .list
                .get(chosen - 2)
                .filter(|s| s.up.load(Ordering::Relaxed)),
        }
    }

    /// The next standby (round robin) that is up and recent enough, with its index.
    fn choose(&self, floor: Option<i64>) -> Option<(usize, &Standby)> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let max_lag = u64::try_from(self.max_lag.as_millis()).unwrap_or(u64::MAX);
        (0..self.list.len())
            .map(|i| (start + i) % self.list.len())
            .map(|i| (i, &self.list[i]))
            .find(|(_, standby)| {
                standby.up.load(Ordering::Relaxed)
                    && match floor {
                        Some(floor) => standby.version.load(Ordering::Relaxed) >= floor,
                        None => standby.lag_ms.load(Ordering::Relaxed) <= max_lag,
                    }
            })
    }

    /// Each standby's state, and the reads the primary served.
    pub(super) fn status(&self) -> (Vec<StandbyStatus>, u64) {
        let standbys = self
            .list
            .iter()
            .map(|s| {
                let lag = s.lag_ms.load(Ordering::Relaxed);
                StandbyStatus {
                    name: s.name.clone(),
                    up: s.up.load(Ordering::Relaxed),
                    lag: (lag != u64::MAX).then(|| Duration::from_millis(lag)),
                    reads: s.reads.load(Ordering::Relaxed),
                }
            })
            .collect();
        (standbys, self.primary_reads.load(Ordering::Relaxed))
    }
}

impl Standby {
    /// Reads its version and replay delay; marks it down when it does not answer in time.
    async fn poll(&self, primary_version: i64) {
        let sql = "SELECT (SELECT n FROM v WHERE id = 1), pg_is_in_recovery(), \
                   COALESCE(EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())), 0)::float8";
        let answer = tokio::time::timeout(
            POLL_TIMEOUT,
            self.db
                .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql)),
        )
        .await;
        let row = match answer {
            Ok(Ok(Some(row))) => row,
            Ok(Ok(None)) | Ok(Err(_)) | Err(_) => {
                if self.up.swap(false, Ordering::Relaxed) {
                    tracing::warn!(standby = %self.name, "the standby stopped answering; reads go elsewhere");
                }
                return;
            }
        };
        let parsed: Result<(Option<i64>, bool, f64), _> = (|| {
            Ok::<_, sea_orm::DbErr>((
                row.try_get_by_index(0)?,
                row.try_get_by_index(1)?,
                row.try_get_by_index(2)?,
            ))
        })();
        let Ok((Some(version), in_recovery, behind)) = parsed else {
            self.up.store(false, Ordering::Relaxed);
            return;
        };
        if !in_recovery {
            // Not a standby (a promoted one, or the primary named by mistake): reading from it
            // would be reading from a database the primary does not write.
            if self.up.swap(false, Ordering::Relaxed) {
                tracing::warn!(standby = %self.name, "no longer in recovery: not read from");
            }
            return;
        }
        let lag = if version >= primary_version {
            0
        } else {
            // Whole milliseconds, at least one: behind is behind.
            ((behind.max(0.0) * 1000.0) as u64).max(1)
        };
        self.version.store(version, Ordering::Relaxed);
        self.lag_ms.store(lag, Ordering::Relaxed);
        if !self.up.swap(true, Ordering::Relaxed) {
            tracing::info!(standby = %self.name, "the standby answers; reading from it");
        }
    }
}

async fn monitor(list: Arc<Vec<Standby>>, primary: DatabaseConnection) {
    let mut ticks = tokio::time::interval(POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Ok(primary_version) = super::version::current(&primary).await else {
            continue;
        };
        futures::future::join_all(list.iter().map(|s| s.poll(primary_version))).await;
    }
}
