//! A database with a chain on it, made before a migration, upgrades in place: the rows a migration
//! derives come from the data as it stands, and the node goes on from them.

use migration::{Migrator, MigratorTrait};
use pocket_chain::store::Store;
use pocket_testkit::{Backend, TestDb, addr, on_both_backends};
use sea_orm::{ConnectionTrait, Statement};

on_both_backends!(undo_keyed_by_height_and_spent_totals_fill_from_the_undo_rows);

/// Runs the count `sql` on `store` (opening another store would migrate the database up).
async fn count(store: &Store, sql: &str) -> i64 {
    let stmt = Statement::from_string(store.db().get_database_backend(), sql);
    let row = store.db().query_one_raw(stmt).await.unwrap().unwrap();
    row.try_get_by_index(0).unwrap()
}

/// Migration 14 on a chain whose first address spent everything it had: before it, that
/// address has no balance row; after it, a row with what it spent, which `verify` checks against
/// the undo data, and blocks still come off and go on.
async fn undo_keyed_by_height_and_spent_totals_fill_from_the_undo_rows(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let a = [
        node.new_wallet().await.unwrap().address.to_string(),
        node.new_wallet().await.unwrap().address.to_string(),
    ];
    node.init_system(&addr(&a[0])).await.unwrap();
    let genesis = node.balance(&addr(&a[0])).await.unwrap();
    let start = node.snapshot(None).await.unwrap();
    node.send(&a[0], &a[1], genesis as i64).await.unwrap();
    node.mine_block(&addr(&a[1]), None).await.unwrap();

    let store = db.store().await;
    Migrator::down(store.db(), Some(1)).await.unwrap();
    // As before the migration: a row only for an address holding coins.
    assert_eq!(count(&store, r#"SELECT COUNT(*) FROM "ab""#).await, 1);
    Migrator::up(store.db(), None).await.unwrap();

    let sql = format!(r#"SELECT "spent" FROM "ab" WHERE "address" = '{}'"#, a[0]);
    assert_eq!(count(&store, &sql).await, genesis as i64);
    let summary = node.address_summary(&addr(&a[0])).await.unwrap();
    assert_eq!((summary.balance, summary.sent), (0, genesis));
    node.verify_chain(&|_, _| {}).await.unwrap();

    node.send(&a[1], &a[0], 1).await.unwrap();
    node.mine_block(&addr(&a[1]), None).await.unwrap();
    node.verify_chain(&|_, _| {}).await.unwrap();
    node.revert(start.id).await.unwrap();
    assert_eq!(count(&store, r#"SELECT COUNT(*) FROM "u""#).await, 0);
    assert_eq!(count(&store, r#"SELECT COUNT(*) FROM "ab""#).await, 1);
    node.verify_chain(&|_, _| {}).await.unwrap();
}
