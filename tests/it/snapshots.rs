//! Snapshots: take, list, revert, delete, through the API on both backends. A revert puts every
//! table back exactly, survives a restart, and subscribers follow it.

use serde_json::{Value, json};

use crate::app::{code, spawn_app};
use pocket_testkit::{Backend, PoolRows, dump_tables, next_json, on_both_backends, subscribe};

on_both_backends!(
    revert_restores_every_table_exactly,
    snapshots_survive_a_restart_and_resets_delete_them,
    revert_to_an_empty_chain_and_bad_ids,
    subscribers_follow_a_revert,
    undo_data_is_verified_and_rebuilt,
);

const SNAPSHOT: &str =
    "mutation($n: String) { snapshot(name: $n) { id name height tipHash createdAt } }";
const REVERT: &str = "mutation($id: ID!) { revert(id: $id) { height tipHash poolSize } }";

async fn revert_restores_every_table_exactly(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    // A refusal in the log, so that the snapshot must keep it too.
    assert_eq!(
        code(&app.send(&a[3], &a[1], 1_000).await),
        "INSUFFICIENT_FUNDS"
    );
    let taken = app.data(SNAPSHOT, json!({ "n": "lesson 1" })).await["snapshot"].clone();
    assert_eq!(taken["name"], "lesson 1");
    assert_eq!(taken["height"], 9);
    // Points in time are Unix seconds, like block timestamps (and fit GraphQL's 32-bit Int).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let created = taken["createdAt"].as_i64().unwrap();
    assert!(
        (now - 60..=now + 1).contains(&created),
        "createdAt {created}, now {now}"
    );
    let refused = app
        .data(
            "{ pool(includeRejected: true) { nodes { createdAt } } }",
            json!({}),
        )
        .await;
    let arrived = refused["pool"]["nodes"][0]["createdAt"].as_i64().unwrap();
    assert!(
        (now - 60..=now + 1).contains(&arrived),
        "createdAt {arrived}, now {now}"
    );
    let store = app.db.store().await;
    let db = store.db();
    let before = dump_tables(db, PoolRows::All).await;

    // Change every table: blocks, chainstate, pool (mined, added, refused), keystore, index.
    app.mine(&a[2], None).await;
    let fresh = app.new_wallet().await;
    assert_eq!(
        app.send(&a[0], &fresh, 7).await["data"]["send"]["status"],
        "PENDING"
    );
    assert_eq!(
        code(&app.send(&fresh, &a[0], 1_000).await),
        "INSUFFICIENT_FUNDS"
    );
    let later = app.data(SNAPSHOT, json!({})).await["snapshot"]["id"].clone();
    app.mine(&a[1], None).await;
    app.data(
        "mutation($a: String!) { mineBlocks(address: $a, count: 3) { height } }",
        json!({ "a": a[4] }),
    )
    .await;
    assert_ne!(dump_tables(db, PoolRows::All).await, before);

    let chain = app.data(REVERT, json!({ "id": taken["id"] })).await["revert"].clone();
    assert_eq!(chain["height"], 9);
    assert_eq!(chain["tipHash"], taken["tipHash"]);
    assert_eq!(chain["poolSize"], 2);
    assert_eq!(dump_tables(db, PoolRows::All).await, before);
    // The snapshot stays; the one taken after it named blocks that are gone.
    let listed = app.data("{ snapshots { id } }", json!({})).await["snapshots"].clone();
    assert_eq!(listed, json!([{ "id": taken["id"] }]));
    assert_ne!(listed[0]["id"], later);
    app.node
        .verify_chain(&|_, _| {})
        .await
        .expect("chain verifies");

    // The chain goes on from the snapshot, and can go back again.
    assert_eq!(
        app.mine(&a[0], None).await["data"]["mineBlock"]["height"],
        10
    );
    app.data(REVERT, json!({ "id": taken["id"] })).await;
    assert_eq!(dump_tables(db, PoolRows::All).await, before);
}

async fn snapshots_survive_a_restart_and_resets_delete_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let id = app.data(SNAPSHOT, json!({ "n": "kept" })).await["snapshot"]["id"].clone();
    app.mine(&a[0], None).await;
    // Another node over the same database: a restart, as far as the data knows.
    let restarted = app.db.node().await;
    let listed = restarted.snapshots().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name.as_deref(), Some("kept"));
    let tip = restarted
        .revert(id.as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    assert_eq!(tip.map(|t| t.height), Some(9));
    // A reset starts a new chain: every snapshot named blocks of the old one, so all go.
    app.reset().await;
    assert_eq!(
        app.data("{ snapshots { id } }", json!({})).await["snapshots"],
        json!([])
    );
    let deleted = app
        .data(
            "mutation($id: ID!) { deleteSnapshot(id: $id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["deleteSnapshot"], false);
}

async fn revert_to_an_empty_chain_and_bad_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = app.db.store().await;
    let db = store.db();
    let empty = app.data(SNAPSHOT, json!({})).await["snapshot"].clone();
    assert_eq!(empty["height"], Value::Null);
    assert_eq!(empty["tipHash"], Value::Null);
    let before = dump_tables(db, PoolRows::All).await;
    let w = app.new_wallet().await;
    assert_eq!(app.mine(&w, None).await["data"]["mineBlock"]["height"], 0);
    app.mine(&w, None).await;
    let chain = app.data(REVERT, json!({ "id": empty["id"] })).await["revert"].clone();
    assert_eq!(chain["height"], Value::Null);
    assert_eq!(dump_tables(db, PoolRows::All).await, before);
    assert_eq!(
        app.data("{ wallets(first: 5) { nodes { address } } }", json!({}))
            .await["wallets"]["nodes"],
        json!([])
    );
    for bad in ["x", "-1", "99999999999999999999", "12345"] {
        let body = app.gql(REVERT, json!({ "id": bad })).await;
        assert!(
            ["BAD_REQUEST", "NOT_FOUND"].contains(&code(&body)),
            "{bad}: {body}"
        );
        assert_eq!(dump_tables(db, PoolRows::All).await, before);
    }
    let delete = "mutation($id: ID!) { deleteSnapshot(id: $id) }";
    let deleted = app.data(delete, json!({ "id": empty["id"] })).await;
    assert_eq!(deleted["deleteSnapshot"], true);
    let again = app.data(delete, json!({ "id": empty["id"] })).await;
    assert_eq!(again["deleteSnapshot"], false);
}

async fn subscribers_follow_a_revert(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let id = app.data(SNAPSHOT, json!({})).await["snapshot"]["id"].clone();
    let mut blocks = subscribe(
        &app.base,
        "graphql-transport-ws",
        "subscription { blockMined { height } }",
    )
    .await;
    let mut resets = subscribe(
        &app.base,
        "graphql-ws",
        "subscription { chainReset { cause height tipHash snapshotId } }",
    )
    .await;
    // Subscriptions are live once they deliver; mine until the first block arrives.
    app.mine(&a[0], None).await;
    assert_eq!(
        next_json(&mut blocks).await["payload"]["data"]["blockMined"]["height"],
        10
    );
    app.mine(&a[0], None).await;
    assert_eq!(
        next_json(&mut blocks).await["payload"]["data"]["blockMined"]["height"],
        11
    );
    app.data(REVERT, json!({ "id": id })).await;
    let reset = next_json(&mut resets).await;
    let event = &reset["payload"]["data"]["chainReset"];
    assert_eq!(event["cause"], "REVERT");
    assert_eq!(event["height"], 9);
    assert_eq!(event["snapshotId"], id);
    // blockMined continues from the restored tip: height 10 again, a different block.
    app.mine(&a[1], None).await;
    assert_eq!(
        next_json(&mut blocks).await["payload"]["data"]["blockMined"]["height"],
        10
    );
    app.reset().await;
    let reset = next_json(&mut resets).await;
    assert_eq!(reset["payload"]["data"]["chainReset"]["cause"], "RESET");
    assert_eq!(reset["payload"]["data"]["chainReset"]["height"], 0);
}

async fn undo_data_is_verified_and_rebuilt(backend: Backend) {
    let app = spawn_app(backend).await;
    app.reset().await;
    let before = dump_tables(app.db.store().await.db(), PoolRows::All).await;
    // A database from before undo data was kept looks like this.
    app.db.execute("DELETE FROM u").await;
    let err = app.node.verify_chain(&|_, _| {}).await.unwrap_err();
    assert!(err.to_string().contains("pocket reindex"), "{err}");
    app.node.reindex(&|_, _| {}).await.unwrap();
    app.node.verify_chain(&|_, _| {}).await.unwrap();
    assert_eq!(
        dump_tables(app.db.store().await.db(), PoolRows::All).await,
        before
    );
}
