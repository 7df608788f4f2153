//! The writer's transaction, and the read-only transactions of verification. On a SQLite file the
//! writer's transaction runs on the writer's own connection ([`super::writer`]); anywhere else
//! (PostgreSQL, an in-memory SQLite database, a read-only one) it is the driver's.

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
        }
    }

    pub(super) fn direct(inner: DirectTxn) -> Self {
        Self {
            inner: Inner::Direct(inner),
        }
    }

    /// The driver's transaction, for what runs beside the store's functions (migrations); none on
    /// the writer's own connection.
    pub(super) fn driver_txn(&self) -> Option<&DatabaseTransaction> {
        match &self.inner {
            Inner::Driver(txn) => Some(txn),
            Inner::Direct(_) => None,
        }
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

/// Commits a transaction (or releases a savepoint into its parent).
pub async fn commit(txn: Txn) -> StoreResult<()> {
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
        Inner::Direct(txn) => Ok(Txn::direct(txn.savepoint()?)),
    }
}
