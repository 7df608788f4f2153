//! Persistence: the only layer that speaks SQL. Functions take `&impl ConnectionTrait` so the node
//! composes them inside one database transaction, and return domain types.
//!
//! One database URL selects the backend: `sqlite://…` (the default, a file) or `postgres://…`.

pub mod address_totals;
pub mod balances;
pub mod blocks;
pub mod chainstate;
pub mod connect;
mod convert;
mod error;
pub mod mining;
pub mod notify;
pub mod params;
pub mod pool;
mod pool_inputs;
mod pool_outputs;
mod reachable;
mod readers;
pub mod side_blocks;
pub mod snapshots;
mod sqlite_values;
pub mod standbys;
pub mod tx_index;
mod txn;
pub mod undo;
pub mod version;
pub mod wallets;
mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    EntityTrait, IsolationLevel, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

pub use error::{StoreError, StoreResult};
pub use standbys::{ReadConfig, ReadScope, StandbyStatus};
pub use txn::{Txn, commit, rollback, savepoint};

/// A connection the store's functions run on: the pool (reads) or a transaction. The node names
/// this, never the driver's types, and composes store functions inside one transaction.
pub trait Db: ConnectionTrait {}
impl<T: ConnectionTrait> Db for T {}

/// Key of the PostgreSQL advisory lock that makes writers take turns across processes.
const WRITER_LOCK_KEY: i64 = 0x706f_636b_6574; // "pocket"

/// How long a first connection to PostgreSQL may take before the server is called unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection pool to one chain's database.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    statements: Arc<AtomicU64>,
    url: Arc<str>,
    /// Hot standbys that serve reads (PostgreSQL only).
    standbys: Option<Arc<standbys::Standbys>>,
    /// The writer's own connection (a SQLite file opened for writing).
    writer: Option<Arc<writer::Writer>>,
    /// Read connections run on the task's thread (with the writer's), for [`Store::read`].
    readers: Option<DatabaseConnection>,
}

impl Store {
    /// Connects (creating a SQLite file and its directory when missing) and runs the migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::connect(url, true).await
    }

    /// Connects to a chain database that exists already, never creating one: a SQLite file
    /// that is missing, or a PostgreSQL database without Pocket's tables, is
    /// [`StoreError::Missing`].
    pub async fn open_existing(url: &str) -> StoreResult<Self> {
        Self::connect(url, false).await
    }

    async fn connect(url: &str, create: bool) -> StoreResult<Self> {
        let mut options = ConnectOptions::new(url);
        options
            .sqlx_logging(false)
            .connect_timeout(CONNECT_TIMEOUT)
            .acquire_timeout(Duration::from_secs(30));
        if url.starts_with("sqlite:") {
            match sqlite_path(url) {
                Some(path) if !create && !path.exists() => {
                    return Err(StoreError::Missing(path.display().to_string()));
                }
                _ => create_sqlite_dir(url)?,
            }
            options
                .max_connections(8)
                .min_connections(1)
                .map_sqlx_sqlite_opts(|o| {
                    // WAL lets reads run beside the one writer; FULL makes every acknowledged commit
                    // durable; the busy timeout makes other processes' writers wait, not fail.
                    // Statement journals stay in memory, and a large write (an import, a long
                    // sync) keeps up to 256 MiB of dirty pages before it spills any to the WAL
                    // mid-transaction: spilled pages that change again are written twice.
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .busy_timeout(Duration::from_secs(30))
                        .pragma("temp_store", "memory")
                        .pragma("cache_spill", "65536")
                        .create_if_missing(true)
                });
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            reachable::postgres_reachable(url).await?;
            options
                .max_connections(16)
                .min_connections(1)
                .map_sqlx_postgres_opts(|o| o.application_name(&application_name()));
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let mut db = Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let mut store = Self {
            db,
            statements,
            url: Arc::from(url),
            standbys: None,
            writer: None,
            readers: None,
        };
        if !create && !store.has_tables().await? {
            return Err(StoreError::Missing(redact(url)));
        }
        if let Some(path) = sqlite_path(url).filter(|_| !url.contains("mode=ro")) {
            let writer = writer::Writer::open(&path, store.statements.clone())?;
            store.writer = Some(Arc::new(writer));
            store.readers = Some(readers::Readers::open(&path, store.statements.clone())?);
        }
        // Replicas starting together take turns: the writer's lock covers the migrations.
        let txn = store.begin_write().await?;
        txn.migrate().await?;
        commit(txn).await?;
        Ok(store)
    }

    /// Reads from the hot standbys in `config` as well as from the primary (see [`standbys`]).
    pub async fn with_standbys(mut self, config: &ReadConfig) -> StoreResult<Self> {
        if config.urls.is_empty() {
            return Ok(self);
        }
        if !self.is_postgres() {
            return Err(StoreError::StandbysNeedPostgres);
        }
        self.standbys = Some(Arc::new(
            standbys::Standbys::start(config, self.db.clone()).await?,
        ));
        Ok(self)
    }

    /// The primary's pool, for reads that must see the latest commit (they never wait for a
    /// writer).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs `read` on a hot standby that may answer it, else on the primary (see
    /// [`standbys`]); on a node without standbys, on the pool, or on a SQLite file on the
    /// store's read connections (see [`readers`]). `read` may run twice (when a standby fails),
    /// so it only reads; each of its statements reads the latest commit.
    pub async fn read<T, F, Fut>(&self, read: F) -> StoreResult<T>
    where
        F: Fn(DatabaseConnection) -> Fut,
        Fut: std::future::Future<Output = StoreResult<T>>,
    {
        match (&self.standbys, &self.readers) {
            (Some(standbys), _) => standbys.read(&self.db, read).await,
            (None, Some(readers)) => read(readers.clone()).await,
            (None, None) => read(self.db.clone()).await,
        }
    }

    /// Each standby's state and the reads the primary served, when there are standbys.
    pub fn standby_status(&self) -> Option<(Vec<StandbyStatus>, u64)> {
        self.standbys.as_ref().map(|s| s.status())
    }

    /// The URL it was opened with (for the PostgreSQL listener's own connection).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is PostgreSQL (where replicas relay each other's changes).
    pub fn is_postgres(&self) -> bool {
        self.backend() == DatabaseBackend::Postgres
    }

    /// Which backend this is.
    pub fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    /// Begins the single writer's transaction: it waits for any other writer, in this process or
    /// another, and holds the turn until commit or rollback.
    pub async fn begin_write(&self) -> StoreResult<Txn> {
        if let Some(writer) = &self.writer {
            return Ok(Txn::direct(writer.begin().await?));
        }
        match self.backend() {
            DatabaseBackend::Sqlite => {
                let txn = self
                    .db
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await?;
                Txn::driver_write_sqlite(txn).await
            }
            _ => {
                let txn = self.db.begin().await?;
                txn.execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [WRITER_LOCK_KEY.into()],
                ))
                .await?;
                Ok(Txn::driver(txn))
            }
        }
    }

    /// Begins a read-only transaction that sees one consistent snapshot (for verification).
    pub async fn begin_snapshot(&self) -> StoreResult<Txn> {
        let txn = match self.backend() {
            DatabaseBackend::Sqlite => self.db.begin().await?,
            _ => {
                self.db
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await?
            }
        };
        Ok(Txn::driver(txn))
    }

    /// Statements run so far, on the pool and on the writer's own connection (`BEGIN`, `COMMIT`
    /// and savepoints not counted): for metrics, and for tests that show a page costs a bounded
    /// number.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Whether Pocket's migrations have run on this database.
    async fn has_tables(&self) -> StoreResult<bool> {
        let sql = match self.backend() {
            DatabaseBackend::Sqlite => {
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'"
            }
            _ => {
                "SELECT count(*) FROM pg_tables WHERE tablename = 'seaql_migrations' AND schemaname = current_schema()"
            }
        };
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.backend(), sql))
            .await?;
        let count: i64 = match row {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        };
        Ok(count > 0)
    }

    /// Other Pocket processes connected to this PostgreSQL database, each with its number of
    /// connections (none on SQLite, where one process writes at a time).
    pub async fn attached(&self) -> StoreResult<Vec<(String, i64)>> {
        if self.backend() != DatabaseBackend::Postgres {
            return Ok(Vec::new());
        }
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT application_name, count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND application_name LIKE 'pocket pid %' \
                 AND application_name <> $1 GROUP BY application_name ORDER BY 1",
                [application_name().into()],
            ))
            .await?;
        let mut attached = Vec::with_capacity(rows.len());
        for row in rows {
            attached.push((row.try_get_by_index(0)?, row.try_get_by_index(1)?));
        }
        Ok(attached)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        Ok(self.db.ping().await?)
    }

    /// Closes the pool.
    pub async fn close(self) -> StoreResult<()> {
        Ok(self.db.close().await?)
    }
}

/// Deletes every row of every chain table, snapshots included (they would name blocks that no
/// longer exist): the start of `reset_system`. The mining settings stay.
pub async fn clear_all(db: &impl ConnectionTrait) -> StoreResult<()> {
    entity::blocks::Entity::delete_many().exec(db).await?;
    entity::tip::Entity::delete_many().exec(db).await?;
    entity::utxos::Entity::delete_many().exec(db).await?;
    entity::balances::Entity::delete_many().exec(db).await?;
    entity::pool::Entity::delete_many().exec(db).await?;
    entity::pool_inputs::Entity::delete_many().exec(db).await?;
    entity::wallets::Entity::delete_many().exec(db).await?;
    entity::tx_index::Entity::delete_many().exec(db).await?;
    entity::undo::Entity::delete_many().exec(db).await?;
    entity::snapshots::Entity::delete_many().exec(db).await?;
    entity::snapshot_pool::Entity::delete_many()
        .exec(db)
        .await?;
    entity::side_blocks::Entity::delete_many().exec(db).await?;
    Ok(())
}

/// How this process names its PostgreSQL connections, so `pocket status` can tell who else is
/// attached.
fn application_name() -> String {
    format!("pocket pid {}", std::process::id())
}

/// The file a `sqlite://` URL names (none for an in-memory database or another backend).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite:")?
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

/// The database URL without its password, for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn create_sqlite_dir(url: &str) -> StoreResult<()> {
    let Some(path) = sqlite_path(url) else {
        return Ok(());
    };
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.display().to_string(),
                source,
            })
        }
        _ => Ok(()),
    }
}
