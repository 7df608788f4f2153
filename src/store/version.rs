//! The state version: a counter that every committed change advances (on PostgreSQL triggers on
//! every table; on SQLite the write transaction as it commits, see [`super::Txn`]), so one cheap
//! read tells whether anything changed since the last one.

use sea_orm::{ConnectionTrait, Statement};

use super::Txn;
use super::error::{StoreError, StoreResult};

/// The current state version.
pub async fn current(db: &impl ConnectionTrait) -> StoreResult<i64> {
    let read = Statement::from_string(
        db.get_database_backend(),
        r#"SELECT "n" FROM "v" WHERE "id" = 1"#,
    );
    match db.query_one_raw(read).await? {
        Some(row) => Ok(row.try_get_by_index(0)?),
        None => Err(StoreError::corrupt(
            "state version",
            "the version row is missing",
        )),
    }
}

/// The version `txn`'s commit will leave: on SQLite the transaction advances it first if it
/// changed anything.
pub async fn settle(txn: &Txn) -> StoreResult<i64> {
    txn.advance_version().await?;
    current(txn).await
}

#[cfg(test)]
mod tests {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

    use super::*;
    use crate::store::{Store, commit};

    async fn triggers(db: &impl ConnectionTrait) -> i64 {
        let sql = "SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger'";
        let stmt = Statement::from_string(DatabaseBackend::Sqlite, sql);
        let row = db.query_one_raw(stmt).await.expect("a read");
        row.expect("a row").try_get("", "n").expect("a count")
    }

    /// A SQLite database made before the version moved per commit had a row trigger on every
    /// table for each kind of write; migrating drops them, and the writer's commits still count.
    #[tokio::test]
    async fn a_database_with_the_row_triggers_loses_them_and_still_counts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("pocket.db").display()
        );
        let store = Store::open(&url).await.expect("migrated");
        // Back to before migration 12 (and those after it).
        let steps = Migrator::migrations()
            .iter()
            .rev()
            .position(|m| m.name() == "m20261206_000012_version_per_commit")
            .expect("the migration")
            + 1;
        Migrator::down(store.db(), Some(steps as u32))
            .await
            .expect("undone");
        assert_eq!(triggers(store.db()).await, 33);
        Migrator::up(store.db(), None)
            .await
            .expect("migrated again");
        assert_eq!(triggers(store.db()).await, 0);

        let before = current(store.db()).await.expect("a version");
        let txn = store.begin_write().await.expect("begin");
        crate::store::snapshots::take(&txn, Some("one"))
            .await
            .expect("a snapshot");
        commit(txn).await.expect("commit");
        assert_eq!(current(store.db()).await.expect("a version"), before + 1);
    }
}
