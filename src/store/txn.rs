//! The writer's transaction, and the read-only transactions of verification. On a SQLite file the
//! writer's transaction runs on the writer's own connection ([`super::writer`]); anywhere else
//! (PostgreSQL, an in-memory SQLite database, a read-only one) it is the driver's.

use std::sync::atomic::{AtomicU64, Ordering};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, ExecResult, QueryResult,
    Statement, TransactionTrait,
};

use super::error::StoreResult;
use super::writer::{DirectTxn, step};

/// A database transaction: the writer's ([`super::Store::begin_write`]), a read-only one
/// ([`super::Store::begin_snapshot`]), or a savepoint inside one ([`savepoint`]). Dropped
/// uncommitted, it rolls back.
#[derive(Debug)]
pub struct Txn {
    inner: Inner,
    /// A write transaction on SQLite: the connection's count of changed rows when the state
    /// version last moved (see [`Txn::advance_version`]).
    counted: Option<AtomicU64>,
}

#[derive(Debug)]
enum Inner {
    Driver(DatabaseTransaction),
    Direct(DirectTxn),
}

impl Txn {
    pub(super) fn driver(inner: DatabaseTransaction) -> Self {
        Self {
            inner: Inner::Driver(inner),
            counted: None,
        }
    }

    /// The writer's transaction on its own connection.
    pub(super) fn direct(inner: DirectTxn) -> Self {
        let counted = Some(AtomicU64::new(inner.total_changes()));
        Self {
            inner: Inner::Direct(inner),
            counted,
        }
    }

    /// A write transaction through SQLite's driver (an in-memory database; the migrations).
    pub(super) async fn driver_write_sqlite(inner: DatabaseTransaction) -> StoreResult<Self> {
        let mut txn = Self::driver(inner);
        txn.counted = Some(AtomicU64::new(txn.total_changes().await?));
        Ok(txn)
    }

    /// SQLite's count of rows changed on this transaction's connection since it opened.
    async fn total_changes(&self) -> StoreResult<u64> {
        match &self.inner {
            Inner::Direct(txn) => Ok(txn.total_changes()),
            Inner::Driver(txn) => {
                let row = txn
                    .query_one_raw(Statement::from_string(
                        DatabaseBackend::Sqlite,
                        "SELECT total_changes() AS n",
                    ))
                    .await?;
                let n: i64 = match row {
                    Some(row) => row.try_get("", "n")?,
                    None => 0,
                };
                Ok(u64::try_from(n).unwrap_or(0))
            }
        }
    }

    /// On SQLite, advances the state version once if the transaction changed any row since it
    /// last did (PostgreSQL's statement triggers advance it as each statement runs). Run before
    /// the version is read for the commit, and by [`commit`] for whatever came after.
    pub(super) async fn advance_version(&self) -> StoreResult<()> {
        let Some(counted) = &self.counted else {
            return Ok(());
        };
        if self.total_changes().await? == counted.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.execute_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            r#"UPDATE "v" SET "n" = "n" + 1 WHERE "id" = 1"#,
        ))
        .await?;
        counted.store(self.total_changes().await?, Ordering::Relaxed);
        Ok(())
    }

    /// Runs the migrations still pending, in this transaction. On the writer's own connection
    /// they run there, on the task's thread: through the driver each of their statements (86 on a
    /// new database) is a hand-off to its thread and back.
    pub(super) async fn migrate(&self) -> StoreResult<()> {
        match &self.inner {
            Inner::Driver(txn) => Migrator::up(txn, None).await?,
            Inner::Direct(txn) => Migrator::up(&txn.as_connection()?, None).await?,
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DatabaseBackend {
        match &self.inner {
            Inner::Driver(txn) => txn.get_database_backend(),
            Inner::Direct(_) => DatabaseBackend::Sqlite,
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match &self.inner {
            Inner::Driver(txn) => txn.execute_raw(stmt).await,
            Inner::Direct(txn) => step(|| txn.execute(&stmt)).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match &self.inner {
            Inner::Driver(txn) => txn.execute_unprepared(sql).await,
            Inner::Direct(txn) => step(|| txn.execute_unprepared(sql)).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.inner {
            Inner::Driver(txn) => txn.query_one_raw(stmt).await,
            Inner::Direct(txn) => Ok(step(|| txn.query(&stmt, true)).await?.into_iter().next()),
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.inner {
            Inner::Driver(txn) => txn.query_all_raw(stmt).await,
            Inner::Direct(txn) => step(|| txn.query(&stmt, false)).await,
        }
    }

    fn support_returning(&self) -> bool {
        match &self.inner {
            Inner::Driver(txn) => txn.support_returning(),
            Inner::Direct(_) => true,
        }
    }
}

/// Commits a transaction (or releases a savepoint into its parent); on SQLite a write
/// transaction that changed anything advances the state version first.
pub async fn commit(txn: Txn) -> StoreResult<()> {
    txn.advance_version().await?;
    match txn.inner {
        Inner::Driver(txn) => Ok(txn.commit().await?),
        Inner::Direct(txn) => Ok(txn.commit().await?),
    }
}

/// Rolls a transaction (or a savepoint) back.
pub async fn rollback(txn: Txn) -> StoreResult<()> {
    match txn.inner {
        Inner::Driver(txn) => Ok(txn.rollback().await?),
        Inner::Direct(txn) => Ok(txn.rollback()?),
    }
}

/// A savepoint inside `txn`: what happens in it can be rolled back alone.
pub async fn savepoint(txn: &Txn) -> StoreResult<Txn> {
    match &txn.inner {
        Inner::Driver(txn) => Ok(Txn::driver(txn.begin().await?)),
        Inner::Direct(txn) => Ok(Txn {
            inner: Inner::Direct(txn.savepoint()?),
            counted: None,
        }),
    }
}
