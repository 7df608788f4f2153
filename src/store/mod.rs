//! Persistence: the only layer that speaks SQL. Functions take `&impl ConnectionTrait` so the node
//! composes them inside one database transaction, and return domain types.
//!
//! One database URL selects the backend: `sqlite://…` (the default, a file) or `postgres://…`.

pub mod balances;
pub mod blocks;
pub mod chainstate;
mod convert;
mod error;
pub mod mining;
pub mod notify;
pub mod pool;
pub mod side_blocks;
pub mod snapshots;
pub mod undo;
pub mod version;
pub mod wallets;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IsolationLevel, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};

pub use error::{StoreError, StoreResult};

/// Key of the PostgreSQL advisory lock that makes writers take turns across processes.
const WRITER_LOCK_KEY: i64 = 0x706f_636b_6574; // "pocket"

/// A connection pool to one chain's database.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    statements: Arc<AtomicU64>,
    url: Arc<str>,
}

impl Store {
    /// Connects (creating a SQLite file and its directory when missing) and runs the migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let mut options = ConnectOptions::new(url);
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        if url.starts_with("sqlite:") {
            create_sqlite_dir(url)?;
            options
                .max_connections(8)
                .min_connections(1)
                .map_sqlx_sqlite_opts(|o| {
                    // WAL lets reads run beside the one writer; FULL makes every acknowledged commit
                    // durable; the busy timeout makes other processes' writers wait, not fail.
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .busy_timeout(Duration::from_secs(30))
                        .create_if_missing(true)
                });
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            options.max_connections(16).min_connections(1);
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let mut db = Database::connect(options).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let store = Self {
            db,
            statements,
            url: Arc::from(url),
        };
        // Replicas starting together take turns: the writer's lock covers the migrations.
        let txn = store.begin_write().await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await?;
        Ok(store)
    }

    /// The pool, for reads (they never wait for a writer).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The URL it was opened with (for the PostgreSQL listener's own connection).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which backend this is.
    pub fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    /// Begins the single writer's transaction: it waits for any other writer, in this process or
    /// another, and holds the turn until commit or rollback.
    pub async fn begin_write(&self) -> StoreResult<DatabaseTransaction> {
        match self.backend() {
            DatabaseBackend::Sqlite => Ok(self
                .db
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?),
            _ => {
                let txn = self.db.begin().await?;
                txn.execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [WRITER_LOCK_KEY.into()],
                ))
                .await?;
                Ok(txn)
            }
        }
    }

    /// Begins a read-only transaction that sees one consistent snapshot (for verification).
    pub async fn begin_snapshot(&self) -> StoreResult<DatabaseTransaction> {
        match self.backend() {
            DatabaseBackend::Sqlite => Ok(self.db.begin().await?),
            _ => Ok(self
                .db
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?),
        }
    }

    /// SQL statements run through this pool so far (for metrics, and for tests that show a page
    /// costs a bounded number of statements).
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
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

fn create_sqlite_dir(url: &str) -> StoreResult<()> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return Ok(());
    }
    match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.display().to_string(),
                source,
            })
        }
        _ => Ok(()),
    }
}
