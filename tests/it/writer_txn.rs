//! The writer's transaction (`store::Txn`): on a SQLite file it runs on the writer's own
//! connection, beside the pool, and hands its rows to sea-orm itself. What a caller sees must be
//! what the driver's transaction shows: its own writes are read back, a commit keeps them, a
//! rollback, a failing write or a drop keeps none, a savepoint rolled back keeps what came before
//! it, rows read by position keep the query's order, and another writer (another process) waits
//! its turn; a commit that changed rows advances the state version. Each on both backends.

use pocket_chain::store::{self, Store, Txn};
use pocket_testkit::{Backend, TestDb, on_both_backends};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

on_both_backends!(
    own_writes_are_read_back_and_committed,
    a_failing_write_or_a_rollback_keeps_nothing,
    a_savepoint_rolled_back_keeps_what_came_before,
    the_stores_counted_deletes_still_count,
    rows_read_by_position_keep_the_querys_order,
    another_writer_waits_for_the_commit,
    a_writer_that_stops_waiting_leaves_the_next_one_a_clean_turn,
    a_commit_that_changed_rows_advances_the_state_version,
);

async fn scratch(backend: Backend) -> (TestDb, Store) {
    let db = TestDb::new(backend).await;
    db.execute("CREATE TABLE scratch (id BIGINT PRIMARY KEY, note TEXT NOT NULL)")
        .await;
    let store = db.store().await;
    (db, store)
}

/// `INSERT` of one row, written with numbered parameters as the store's raw SQL is.
async fn insert(txn: &Txn, id: i64, note: &str) -> Result<(), sea_orm::DbErr> {
    let backend = txn.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "INSERT INTO scratch (id, note) VALUES ($1, $2)",
        _ => "INSERT INTO scratch (id, note) VALUES (?1, ?2)",
    };
    let values: [Value; 2] = [id.into(), note.into()];
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map(drop)
}

/// The notes in `scratch`, by id, as `db` sees them.
async fn notes(db: &impl ConnectionTrait) -> Vec<(i64, String)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, note FROM scratch ORDER BY id",
        ))
        .await
        .expect("a read");
    rows.iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("an id"),
                row.try_get_by_index(1).expect("a note"),
            )
        })
        .collect()
}

fn rows(expected: &[(i64, &str)]) -> Vec<(i64, String)> {
    expected
        .iter()
        .map(|(i, n)| (*i, (*n).to_owned()))
        .collect()
}

async fn own_writes_are_read_back_and_committed(backend: Backend) {
    let (_db, store) = scratch(backend).await;
    let txn = store.begin_write().await.expect("begin");
    insert(&txn, 1, "one").await.expect("insert");
    insert(&txn, 2, "two").await.expect("insert");
    // Parameter signs inside quoted text are text.
    txn.execute_unprepared("UPDATE scratch SET note = 'it''s $1 ?' WHERE id = 2")
        .await
        .expect("update");
    assert_eq!(notes(&txn).await, rows(&[(1, "one"), (2, "it's $1 ?")]));
    insert(&txn, 3, "three").await.expect("insert");
    assert!(
        notes(store.db()).await.is_empty(),
        "nothing is seen before the commit"
    );
    store::commit(txn).await.expect("commit");
    assert_eq!(
        notes(store.db()).await,
        rows(&[(1, "one"), (2, "it's $1 ?"), (3, "three")])
    );
}

async fn a_failing_write_or_a_rollback_keeps_nothing(backend: Backend) {
    let (_db, store) = scratch(backend).await;
    let txn = store.begin_write().await.expect("begin");
    insert(&txn, 1, "one").await.expect("insert");
    store::rollback(txn).await.expect("rollback");
    assert!(notes(store.db()).await.is_empty());

    // A duplicate key fails at once; the transaction, dropped, keeps nothing.
    let txn = store.begin_write().await.expect("begin");
    insert(&txn, 1, "one").await.expect("insert");
    assert!(
        insert(&txn, 1, "again").await.is_err(),
        "a duplicate key fails"
    );
    drop(txn);
    assert!(notes(store.db()).await.is_empty());

    // The writer's turn is free again, and a good transaction commits.
    let txn = store.begin_write().await.expect("begin");
    insert(&txn, 7, "seven").await.expect("insert");
    store::commit(txn).await.expect("commit");
    assert_eq!(notes(store.db()).await, rows(&[(7, "seven")]));
}

async fn a_savepoint_rolled_back_keeps_what_came_before(backend: Backend) {
    let (_db, store) = scratch(backend).await;
    let txn = store.begin_write().await.expect("begin");
    insert(&txn, 1, "before").await.expect("insert");
    let attempt = store::savepoint(&txn).await.expect("savepoint");
    insert(&attempt, 2, "inside").await.expect("insert");
    assert_eq!(notes(&attempt).await, rows(&[(1, "before"), (2, "inside")]));
    store::rollback(attempt)
        .await
        .expect("rollback to the savepoint");
    let kept = store::savepoint(&txn).await.expect("savepoint");
    insert(&kept, 3, "released").await.expect("insert");
    store::commit(kept).await.expect("release");
    store::commit(txn).await.expect("commit");
    assert_eq!(
        notes(store.db()).await,
        rows(&[(1, "before"), (3, "released")])
    );
}

async fn the_stores_counted_deletes_still_count(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let snapshot = node.snapshot(Some("kept")).await.expect("a snapshot");
    assert!(node.delete_snapshot(snapshot.id).await.expect("a delete"));
    assert!(!node.delete_snapshot(snapshot.id).await.expect("a delete"));
    assert!(!node.delete_snapshot(9_999).await.expect("a delete"));
}

async fn rows_read_by_position_keep_the_querys_order(backend: Backend) {
    let (_db, store) = scratch(backend).await;
    let txn = store.begin_write().await.expect("begin");
    insert(&txn, 5, "five").await.expect("insert");
    let sql = "SELECT note, id, CAST(id * 2 AS BIGINT) AS double_id FROM scratch";
    let row = txn
        .query_one_raw(Statement::from_string(backend_of(&txn), sql))
        .await
        .expect("a read")
        .expect("a row");
    let by_position: (String, i64, i64) = (
        row.try_get_by_index(0).expect("note"),
        row.try_get_by_index(1).expect("id"),
        row.try_get_by_index(2).expect("double"),
    );
    assert_eq!(by_position, ("five".to_owned(), 5, 10));
    let by_name: i64 = row.try_get("", "double_id").expect("by name");
    assert_eq!(by_name, 10);

    // An expression that is NULL reads as a missing number.
    let sql = "SELECT max(id) AS top FROM scratch WHERE id > 100";
    let row = txn
        .query_one_raw(Statement::from_string(backend_of(&txn), sql))
        .await
        .expect("a read")
        .expect("a row");
    assert_eq!(row.try_get::<Option<i64>>("", "top").expect("top"), None);
    store::commit(txn).await.expect("commit");
}

/// A second store on the same database is another process's writer: its transaction waits for
/// the first one's commit, without holding up the first process's runtime, then sees its rows.
async fn another_writer_waits_for_the_commit(backend: Backend) {
    let (db, store) = scratch(backend).await;
    let other = db.store().await;
    let txn = store.begin_write().await.expect("begin");
    insert(&txn, 1, "first").await.expect("insert");
    let waiting = tokio::spawn(async move {
        let txn = other.begin_write().await.expect("the other begins");
        let seen = notes(&txn).await;
        insert(&txn, 2, "second").await.expect("insert");
        store::commit(txn).await.expect("the other commits");
        seen
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the other writer waits its turn");
    store::commit(txn).await.expect("commit");
    let seen = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
        .await
        .expect("the other writer goes on after the commit")
        .expect("no panic");
    assert_eq!(seen, rows(&[(1, "first")]));
    assert_eq!(
        notes(store.db()).await,
        rows(&[(1, "first"), (2, "second")])
    );
}

/// A caller may stop waiting (its request is dropped) while its transaction waits for another
/// process's lock, or while its commit syncs: the next transaction still begins, clean.
async fn a_writer_that_stops_waiting_leaves_the_next_one_a_clean_turn(backend: Backend) {
    let (db, store) = scratch(backend).await;
    let wait = std::time::Duration::from_millis(200);

    // Given up while another process's writer holds the lock.
    let other = db.store().await;
    let held = other.begin_write().await.expect("the other begins");
    insert(&held, 1, "other").await.expect("insert");
    let gave_up = tokio::time::timeout(wait, store.begin_write()).await;
    assert!(gave_up.is_err(), "the first writer waits for the other");
    store::commit(held).await.expect("the other commits");
    let txn = tokio::time::timeout(std::time::Duration::from_secs(10), store.begin_write())
        .await
        .expect("the next transaction begins")
        .expect("begin");
    assert_eq!(notes(&txn).await, rows(&[(1, "other")]));
    insert(&txn, 2, "mine").await.expect("insert");

    // Given up while its commit runs.
    let stopped = tokio::time::timeout(std::time::Duration::ZERO, store::commit(txn)).await;
    let next = tokio::time::timeout(std::time::Duration::from_secs(10), store.begin_write())
        .await
        .expect("the next transaction begins")
        .expect("begin");
    let seen = notes(&next).await;
    if stopped.is_ok() || backend == Backend::Sqlite {
        // SQLite's commit, once started, runs to its end.
        assert_eq!(seen, rows(&[(1, "other"), (2, "mine")]));
    } else {
        assert!(seen.len() == 1 || seen.len() == 2, "{seen:?}");
    }
    insert(&next, 3, "next").await.expect("insert");
    store::commit(next).await.expect("commit");
    assert_eq!(
        notes(store.db()).await.last(),
        Some(&(3, "next".to_owned()))
    );
}

/// The state version moves with every committed change, so the response cache never answers
/// from before it: on SQLite once per transaction that changed rows (savepoints released into it
/// included), on PostgreSQL once per statement. A commit that changed nothing, and a rollback,
/// leave it. SQLite keeps no row triggers for it.
async fn a_commit_that_changed_rows_advances_the_state_version(backend: Backend) {
    let (_db, store) = scratch(backend).await;
    let version = async || {
        store::version::current(store.db())
            .await
            .expect("a version")
    };
    let snapshot_rows = async |txn: &Txn| {
        for name in ["a", "b"] {
            store::snapshots::take(txn, Some(name))
                .await
                .expect("a snapshot");
        }
    };
    let start = version().await;

    let txn = store.begin_write().await.expect("begin");
    insert(&txn, 1, "not a chain table").await.expect("insert");
    let inner = store::savepoint(&txn).await.expect("savepoint");
    snapshot_rows(&inner).await;
    store::commit(inner).await.expect("release");
    let settled = store::version::settle(&txn).await.expect("the version");
    store::commit(txn).await.expect("commit");
    let committed = version().await;
    assert_eq!(
        committed, settled,
        "the version read before the commit is the one it left"
    );
    match backend {
        Backend::Postgres => assert!(committed > start, "{start} → {committed}"),
        Backend::Sqlite => assert_eq!(committed, start + 1),
    }

    let txn = store.begin_write().await.expect("begin");
    txn.execute_raw(Statement::from_string(
        backend_of(&txn),
        "DELETE FROM scratch WHERE id > 100",
    ))
    .await
    .expect("a delete of nothing");
    store::commit(txn).await.expect("commit");
    assert_eq!(version().await, committed, "nothing changed");

    let txn = store.begin_write().await.expect("begin");
    snapshot_rows(&txn).await;
    store::rollback(txn).await.expect("rollback");
    assert_eq!(version().await, committed, "rolled back");

    if backend == Backend::Sqlite {
        let triggers = store
            .db()
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger'",
            ))
            .await
            .expect("a read")
            .expect("a row");
        assert_eq!(triggers.try_get::<i64>("", "n").expect("a count"), 0);
    }
}

fn backend_of(txn: &Txn) -> DatabaseBackend {
    txn.get_database_backend()
}
