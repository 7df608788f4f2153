//! The SQLite writer's own connection. sqlx runs each SQLite statement on the connection's own
//! thread, and the hand-off there and back costs far more than the statement (see
//! docs/performance.md, "The writer's own connection"). The writer's statements are few and short,
//! so this connection (rusqlite) runs them on the calling task's thread instead: a point read or
//! write takes microseconds. Two steps can wait, and leave the task's thread for it: `BEGIN
//! IMMEDIATE` when another process holds the database's write lock, and `COMMIT`, which syncs the
//! disk (in place, the runtime handing this thread's other tasks on meanwhile). A statement that
//! took long yields to the runtime before the next runs.
//!
//! Reads outside the writer's transaction run the same way on connections of their own
//! ([`super::readers`]).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use sea_orm::{
    DatabaseBackend, DatabaseConnection, DbErr, ExecResult, ProxyDatabaseConnector,
    ProxyDatabaseTrait, ProxyExecResult, ProxyRow, QueryResult, Statement,
};
use tokio::runtime::RuntimeFlavor;
use tokio::sync::OwnedMutexGuard;

use super::error::StoreResult;
use super::sqlite_values::{self, exec_err};

/// How long `BEGIN IMMEDIATE` waits for another process's writer, as the pool's busy timeout.
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// A statement that ran longer than this yields before the next, so that the writer's turn does
/// not keep the runtime's thread from other tasks.
const YIELD_AFTER: Duration = Duration::from_millis(1);

/// Prepared statements kept for reuse: the store's statements, each with every batch size the
/// writer uses.
const CACHED_STATEMENTS: usize = 256;

/// The connection, shared by a transaction and its savepoints.
#[derive(Debug)]
struct Shared {
    conn: Mutex<Connection>,
    /// The store's count of statements (see [`super::Store::statement_count`]).
    statements: Arc<AtomicU64>,
}

/// The writer's connection to a SQLite file, taken by one transaction at a time.
#[derive(Debug)]
pub(super) struct Writer {
    shared: Arc<Shared>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl Writer {
    /// Opens `path` as the pool opens it.
    pub(super) fn open(path: &Path, statements: Arc<AtomicU64>) -> StoreResult<Self> {
        let conn = open_connection(
            path,
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA temp_store = memory; PRAGMA cache_spill = 65536;",
        )?;
        Ok(Self {
            shared: Arc::new(Shared {
                conn: Mutex::new(conn),
                statements,
            }),
            turn: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Begins the writer's transaction, waiting for this process's other transaction and, off the
    /// task's thread, for another process's writer.
    pub(super) async fn begin(&self) -> StoreResult<DirectTxn> {
        let mut turn = self.turn.clone().lock_owned().await;
        let begun = {
            let conn = self.shared.lock();
            if !conn.is_autocommit() {
                // A transaction whose commit failed, or whose wait for the lock was given up,
                // left it open.
                conn.execute_batch("ROLLBACK").map_err(exec_err)?;
            }
            match conn.execute_batch("BEGIN IMMEDIATE") {
                Ok(()) => true,
                Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => false,
                Err(e) => return Err(exec_err(e).into()),
            }
        };
        if !begun {
            // The wait holds the turn, so nothing else in this process waits on the connection
            // meanwhile, even when the caller gives up.
            let shared = self.shared.clone();
            let (begun, back) = tokio::task::spawn_blocking(move || {
                let conn = shared.lock();
                let begun = conn
                    .busy_timeout(BUSY_WAIT)
                    .and_then(|()| conn.execute_batch("BEGIN IMMEDIATE"))
                    .map_err(exec_err);
                let reset = conn.busy_timeout(Duration::ZERO).map_err(exec_err);
                (begun.and(reset), turn)
            })
            .await
            .map_err(|e| DbErr::Custom(format!("waiting for the write lock: {e}")))?;
            begun?;
            turn = back;
        }
        Ok(DirectTxn {
            shared: self.shared.clone(),
            depth: 0,
            turn: Some(turn),
            open: true,
        })
    }
}

/// Runs `work`, which waits on the disk, without holding up the runtime's other tasks. On a
/// multi-thread runtime it runs in place, and the runtime hands this thread's other tasks to
/// another thread meanwhile: a commit then costs no hand-off to a blocking thread and back (two
/// thread wake-ups, a measurable part of a commit on a small machine, docs/performance.md). A
/// current-thread runtime cannot hand its tasks over, so there it goes to a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    match tokio::runtime::Handle::current().runtime_flavor() {
        RuntimeFlavor::MultiThread => Ok(tokio::task::block_in_place(work)),
        _ => tokio::task::spawn_blocking(work).await,
    }
}

impl Shared {
    /// The connection. A panic while it was held leaves it usable: SQLite's state is its own,
    /// and the next transaction rolls back whatever was left open.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The writer's transaction on its own connection (depth 0), or a savepoint inside it. Dropped
/// while open, it rolls back.
#[derive(Debug)]
pub(super) struct DirectTxn {
    shared: Arc<Shared>,
    depth: u32,
    /// The writer's turn, held by the transaction (not by its savepoints) until it ends.
    turn: Option<OwnedMutexGuard<()>>,
    open: bool,
}

impl DirectTxn {
    /// A savepoint inside this transaction.
    pub(super) fn savepoint(&self) -> Result<Self, DbErr> {
        let depth = self.depth + 1;
        self.shared
            .lock()
            .execute_batch(&format!("SAVEPOINT s{depth}"))
            .map_err(exec_err)?;
        Ok(Self {
            shared: self.shared.clone(),
            depth,
            turn: None,
            open: true,
        })
    }

    /// Commits (a savepoint: releases it into its parent). The transaction's `COMMIT` syncs the
    /// disk, so it runs where waiting holds up no other task ([`blocking`]), holding the
    /// writer's turn until it is done: a caller that stops waiting leaves it to finish (or roll
    /// back) before the next transaction.
    pub(super) async fn commit(mut self) -> Result<(), DbErr> {
        if self.depth > 0 {
            return self.end(&format!("RELEASE s{}", self.depth));
        }
        self.open = false;
        let shared = self.shared.clone();
        let turn = self.turn.take();
        blocking(move || {
            let _turn = turn;
            let conn = shared.lock();
            conn.execute_batch("COMMIT")
                .map_err(exec_err)
                .inspect_err(|_| {
                    if !conn.is_autocommit() {
                        let _ = conn.execute_batch("ROLLBACK");
                    }
                })
        })
        .await
        .map_err(|e| DbErr::Custom(format!("commit: {e}")))?
    }

    /// The count of rows changed on the connection since it opened.
    pub(super) fn total_changes(&self) -> u64 {
        self.shared.lock().total_changes()
    }

    /// Rolls back (a savepoint: to where it began).
    pub(super) fn rollback(mut self) -> Result<(), DbErr> {
        let sql = self.rollback_sql();
        self.end(&sql)
    }

    fn rollback_sql(&self) -> String {
        match self.depth {
            0 => "ROLLBACK".to_owned(),
            n => format!("ROLLBACK TO s{n}; RELEASE s{n}"),
        }
    }

    fn end(&mut self, sql: &str) -> Result<(), DbErr> {
        self.open = false;
        self.shared.lock().execute_batch(sql).map_err(exec_err)
    }

    /// Runs `stmt`, answering its rows (the first alone when `first_only`).
    pub(super) fn query(
        &self,
        stmt: &Statement,
        first_only: bool,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let conn = self.shared.lock();
        self.shared.statements.fetch_add(1, Ordering::Relaxed);
        let rows = sqlite_values::query(&conn, stmt, first_only)?;
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }

    /// Runs `stmt` for its effect (any rows it answers are passed over).
    pub(super) fn execute(&self, stmt: &Statement) -> Result<ExecResult, DbErr> {
        let conn = self.shared.lock();
        let mut prepared = conn.prepare_cached(&stmt.sql).map_err(exec_err)?;
        self.shared.statements.fetch_add(1, Ordering::Relaxed);
        run(&mut prepared, stmt)?;
        Ok(changes(&conn).into())
    }

    /// Runs `sql`, which may be several statements, without parameters.
    pub(super) fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let conn = self.shared.lock();
        self.shared.statements.fetch_add(1, Ordering::Relaxed);
        conn.execute_batch(sql).map_err(exec_err)?;
        Ok(changes(&conn).into())
    }

    /// This transaction as a sea-orm connection (see [`InTransaction`]); valid while it is open.
    pub(super) fn as_connection(&self) -> Result<DatabaseConnection, DbErr> {
        let proxy: Arc<Box<dyn ProxyDatabaseTrait>> =
            Arc::new(Box::new(InTransaction(self.shared.clone())));
        ProxyDatabaseConnector::connect(DatabaseBackend::Sqlite, proxy)
    }
}

/// A transaction's connection as sea-orm's, for code that takes a connection rather than a
/// transaction (the migrations). It runs each statement in the transaction, on the task's thread,
/// prepared anew: schema changes would only crowd the writer's cache of prepared statements.
#[derive(Debug)]
struct InTransaction(Arc<Shared>);

#[async_trait::async_trait]
impl ProxyDatabaseTrait for InTransaction {
    async fn query(&self, stmt: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        let conn = self.0.lock();
        self.0.statements.fetch_add(1, Ordering::Relaxed);
        let mut prepared = conn.prepare(&stmt.sql).map_err(exec_err)?;
        Ok(sqlite_values::rows(&mut prepared, &stmt, false)?)
    }

    /// A statement without values may be a script of several (as a migration's can be): it runs
    /// whole, each statement prepared after the one before it ran, as the driver runs one.
    async fn execute(&self, stmt: Statement) -> Result<ProxyExecResult, DbErr> {
        let conn = self.0.lock();
        self.0.statements.fetch_add(1, Ordering::Relaxed);
        if stmt.values.is_none() {
            conn.execute_batch(&stmt.sql).map_err(exec_err)?;
        } else {
            let mut prepared = conn.prepare(&stmt.sql).map_err(exec_err)?;
            run(&mut prepared, &stmt)?;
        }
        Ok(changes(&conn))
    }
}

impl Drop for DirectTxn {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let sql = self.rollback_sql();
        let conn = self.shared.lock();
        // A transaction whose commit failed may be over already; a savepoint never is.
        if (self.depth > 0 || !conn.is_autocommit())
            && let Err(e) = conn.execute_batch(&sql)
        {
            tracing::warn!(error = %e, "rolling back the writer's transaction");
        }
    }
}

/// One of the store's own connections to `path`, set up by `pragmas`: it never waits for a lock
/// on the task's thread (a busy database is the caller's to wait for), and it keeps up to
/// [`CACHED_STATEMENTS`] prepared statements, each planned once whatever values are bound.
/// Without that guarantee SQLite parses and plans a cached statement again on every run whose
/// `LIMIT ?` (sea-orm binds it) got a new binding, which cost more than running it.
pub(super) fn open_connection(path: &Path, pragmas: &str) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(exec_err)?;
    conn.execute_batch(pragmas).map_err(exec_err)?;
    conn.busy_timeout(Duration::ZERO).map_err(exec_err)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(exec_err)?;
    conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
    Ok(conn)
}

/// Runs one statement on one of the store's own connections (the writer's or a reader's), then
/// lets other tasks run if it took long.
pub(super) async fn step<T>(run: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = run();
    if started.elapsed() > YIELD_AFTER {
        tokio::task::yield_now().await;
    }
    result
}

/// Binds `stmt`'s values to `prepared` and runs it for its effect (any rows it answers are
/// passed over).
fn run(prepared: &mut rusqlite::Statement<'_>, stmt: &Statement) -> Result<(), DbErr> {
    sqlite_values::bind(prepared, stmt)?;
    let mut rows = prepared.raw_query();
    while rows.next().map_err(exec_err)?.is_some() {}
    Ok(())
}

/// The result of a write just run on `conn`.
fn changes(conn: &Connection) -> ProxyExecResult {
    ProxyExecResult::new(
        u64::try_from(conn.last_insert_rowid()).unwrap_or(0),
        conn.changes(),
    )
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;
    use sea_orm::{DbBackend, Statement};

    use super::*;

    /// The pool's connections (sqlx's) cannot be configured one by one, so SQLite is built with
    /// the guarantee on for every connection (`.cargo/config.toml`); a build without it would
    /// plan the pool's reads again on every run.
    #[test]
    fn sqlite_is_built_to_keep_plans() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let built_with: bool = conn
            .query_row(
                "SELECT count(*) FROM pragma_compile_options WHERE compile_options = 'ENABLE_QPSG'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert!(built_with, "SQLite was built without SQLITE_ENABLE_QPSG");
    }

    /// The connection the migrations take runs inside the writer's transaction: what it did goes
    /// with a rollback and stays with a commit.
    #[tokio::test]
    async fn a_transactions_connection_runs_inside_it() {
        use sea_orm::ConnectionTrait;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("writer.db");
        let rows_of_t = |path: &Path| -> Option<i64> {
            rusqlite::Connection::open(path)
                .unwrap()
                .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
                .ok()
        };
        rusqlite::Connection::open(&path).unwrap();
        let writer = Writer::open(&path, Arc::default()).unwrap();
        for commit in [false, true] {
            let txn = writer.begin().await.unwrap();
            let conn = txn.as_connection().unwrap();
            conn.execute_unprepared("CREATE TABLE t (n INTEGER)")
                .await
                .unwrap();
            let insert = "INSERT INTO t VALUES (?)";
            let stmt = Statement::from_sql_and_values(DbBackend::Sqlite, insert, [7.into()]);
            assert_eq!(conn.execute_raw(stmt).await.unwrap().rows_affected(), 1);
            let read = Statement::from_string(DbBackend::Sqlite, "SELECT n FROM t");
            let row = conn.query_one_raw(read).await.unwrap().unwrap();
            assert_eq!(row.try_get::<i64>("", "n").unwrap(), 7);
            // Another connection sees none of it before the commit.
            assert_eq!(rows_of_t(&path), None);
            if commit {
                txn.commit().await.unwrap();
            } else {
                txn.rollback().unwrap();
            }
            assert_eq!(rows_of_t(&path), commit.then_some(1));
        }
    }

    /// A statement run again with other values keeps its plan: with a bound `LIMIT ?` SQLite
    /// would otherwise parse and plan it again on every run.
    #[tokio::test]
    async fn a_cached_statement_keeps_its_plan_across_bindings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("writer.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)")
            .unwrap();
        let writer = Writer::open(&path, Arc::default()).unwrap();
        let txn = writer.begin().await.unwrap();
        txn.execute_unprepared("INSERT INTO t VALUES (1, 10), (2, 20)")
            .unwrap();
        let sql = "SELECT id, n FROM t WHERE id = ? LIMIT ?";
        for id in 1..=2_i64 {
            let values = [id.into(), id.into()];
            let stmt = Statement::from_sql_and_values(DbBackend::Sqlite, sql, values);
            assert_eq!(txn.query(&stmt, false).unwrap().len(), 1);
        }
        {
            let conn = writer.shared.lock();
            let stmt = conn.prepare_cached(sql).unwrap();
            assert_eq!(stmt.get_status(StatementStatus::Run), 2);
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
        }
        txn.rollback().unwrap();
    }
}
