//! The store's own durable commit rate, which benchmarks set write paths beside: one single-row
//! insert per transaction, each on disk before the next begins.

use pocket_chain::store::Store;
use sea_orm::ConnectionTrait;

use crate::TestDb;

/// Commits one row at a time into a table of its own in a test database.
pub struct CommitProbe {
    store: Store,
    next_id: i64,
}

impl CommitProbe {
    /// Creates the probe's table in `db`.
    pub async fn new(db: &TestDb) -> Self {
        let store = db.store().await;
        store
            .db()
            .execute_unprepared("CREATE TABLE bench_commit (id BIGINT PRIMARY KEY, note TEXT)")
            .await
            .expect("probe table");
        Self { store, next_id: 0 }
    }

    /// Begins as the node's writer does, inserts one row, commits.
    pub async fn commit_one(&mut self) {
        let txn = self.store.begin_write().await.expect("begin");
        self.next_id += 1;
        txn.execute_unprepared(&format!(
            "INSERT INTO bench_commit VALUES ({}, 'x')",
            self.next_id
        ))
        .await
        .expect("insert");
        pocket_chain::store::commit(txn).await.expect("commit");
    }
}
