//! Reads of a SQLite file on connections of their own, run on the calling task's thread. sqlx
//! runs each SQLite statement on its connection's thread, and the hand-off there and back costs
//! far more than a point read (docs/performance.md, "Reads on the task's thread"), so the
//! store's reads take one of these rusqlite connections instead, as the writer does. Each
//! statement reads the latest commit (WAL), as a pool connection's would.
//!
//! A statement that took long yields to the runtime before the next runs. A read that finds the
//! database busy (another process recovering the WAL or truncating it) waits off the task's
//! thread, as the pool's statements do.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;
use sea_orm::{
    DatabaseBackend, DatabaseConnection, DbErr, ProxyDatabaseTrait, ProxyExecResult, ProxyRow,
    RuntimeErr, Statement,
};

use super::error::StoreResult;
use super::sqlite_values::{self, exec_err};
use super::writer;

/// Connections kept: one per runtime thread that may read at once, and some to spare.
const CONNECTIONS: usize = 4;

/// How long a read waits, off the task's thread, for a database another process holds.
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// The read connections to one SQLite file.
#[derive(Debug)]
pub(super) struct Readers {
    connections: Vec<Arc<Mutex<Connection>>>,
    /// Which connection the next read that must wait off the task's thread waits for.
    next: AtomicUsize,
    /// The store's count of statements (see [`super::Store::statement_count`]).
    statements: Arc<AtomicU64>,
}

impl Readers {
    /// Opens the read connections to `path` (whose tables exist), as a sea-orm connection that
    /// the store's read functions take as they take the pool.
    pub(super) fn open(path: &Path, statements: Arc<AtomicU64>) -> StoreResult<DatabaseConnection> {
        let connections = (0..CONNECTIONS)
            .map(|_| open_one(path).map(|c| Arc::new(Mutex::new(c))))
            .collect::<Result<_, _>>()?;
        let readers = Self {
            connections,
            next: AtomicUsize::new(0),
            statements,
        };
        let proxy: Arc<Box<dyn ProxyDatabaseTrait>> = Arc::new(Box::new(readers));
        Ok(sea_orm::ProxyDatabaseConnector::connect(
            DatabaseBackend::Sqlite,
            proxy,
        )?)
    }

    /// Runs `stmt` on the first free connection here, or, when every one is busy or the
    /// database is locked, on a blocking thread that waits for them. The first free one, not the
    /// next in turn: reads that do not overlap keep to one connection, whose schema, pages and
    /// prepared statements are loaded already (each connection parses the schema on its first
    /// read, which a server's first requests would otherwise pay once per connection).
    async fn run(&self, stmt: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        let ran = writer::step(|| {
            let conn = self.connections.iter().find_map(|c| c.try_lock().ok())?;
            Some(sqlite_values::query(&conn, &stmt, false))
        })
        .await;
        match ran {
            Some(Err(failure)) if failure.is_busy() => {}
            Some(ran) => return Ok(ran?),
            None => {}
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = self.connections[start % self.connections.len()].clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            conn.busy_timeout(BUSY_WAIT).map_err(exec_err)?;
            let rows = sqlite_values::query(&conn, &stmt, false);
            conn.busy_timeout(Duration::ZERO).map_err(exec_err)?;
            Ok(rows?)
        })
        .await
        .map_err(|e| DbErr::Custom(format!("read: {e}")))?
    }
}

#[async_trait::async_trait]
impl ProxyDatabaseTrait for Readers {
    async fn query(&self, statement: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        self.run(statement).await
    }

    async fn execute(&self, statement: Statement) -> Result<ProxyExecResult, DbErr> {
        Err(DbErr::Exec(RuntimeErr::Internal(format!(
            "a read connection does not write: {}",
            statement.sql
        ))))
    }
}

/// One read connection: it may not write.
fn open_one(path: &Path) -> StoreResult<Connection> {
    writer::open_connection(path, "PRAGMA query_only = ON; PRAGMA temp_store = memory;")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use sea_orm::ConnectionTrait;

    use super::*;

    fn database() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readers.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)",
            )
            .unwrap();
        (dir, path)
    }

    async fn count(db: &DatabaseConnection) -> Result<i64, DbErr> {
        let sql = Statement::from_string(DatabaseBackend::Sqlite, "SELECT count(*) AS n FROM t");
        db.query_one_raw(sql).await?.unwrap().try_get("", "n")
    }

    /// Each statement reads the latest commit, and a read connection writes nothing.
    #[tokio::test]
    async fn reads_see_each_commit_and_never_write() {
        let (_dir, path) = database();
        let readers = Readers::open(&path, Arc::default()).unwrap();
        let writer = Connection::open(&path).unwrap();
        assert_eq!(count(&readers).await.unwrap(), 0);
        writer
            .execute_batch("INSERT INTO t VALUES (1, 10)")
            .unwrap();
        assert_eq!(count(&readers).await.unwrap(), 1);
        let insert =
            Statement::from_string(DatabaseBackend::Sqlite, "INSERT INTO t VALUES (2, 20)");
        assert!(readers.execute_raw(insert.clone()).await.is_err());
        assert!(readers.query_all_raw(insert).await.is_err());
        assert_eq!(count(&readers).await.unwrap(), 1);
    }

    /// Reads from more threads at once than there are connections: those that find none free
    /// wait for one, off the tasks' threads.
    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn more_reads_than_connections_all_answer() {
        let (_dir, path) = database();
        let readers = Readers::open(&path, Arc::default()).unwrap();
        Connection::open(&path)
            .unwrap()
            .execute_batch("INSERT INTO t VALUES (1, 10), (2, 20)")
            .unwrap();
        let reads = (0..64).map(|_| {
            let readers = readers.clone();
            tokio::spawn(async move { count(&readers).await })
        });
        for read in futures::future::join_all(reads).await {
            assert_eq!(read.unwrap().unwrap(), 2);
        }
    }

    /// A database another process holds makes a read wait for it on a blocking thread, while
    /// the task's thread runs other tasks, and then answer.
    #[tokio::test(flavor = "current_thread")]
    async fn a_held_database_is_waited_for_off_the_tasks_thread() {
        let (_dir, path) = database();
        let readers = Readers::open(&path, Arc::default()).unwrap();
        let holder = Connection::open(&path).unwrap();
        holder
            .execute_batch(
                "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO t VALUES (1, 10)",
            )
            .unwrap();
        let ticked = Arc::new(AtomicBool::new(false));
        let ticker = {
            let ticked = ticked.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                ticked.store(true, Ordering::Relaxed);
            })
        };
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            holder.execute_batch("COMMIT").unwrap();
            drop(holder);
        });
        assert_eq!(count(&readers).await.unwrap(), 1);
        assert!(
            ticked.load(Ordering::Relaxed),
            "the read blocked the task's thread"
        );
        ticker.await.unwrap();
        release.join().unwrap();
    }
}
