//! Subscriptions that resume: `blockMined(afterHeight:)` replays what a client missed while it was
//! away, then continues live, with no gap and no duplicate (also while blocks are being mined,
//! and on a replica other than the one mining); `poolChanged(afterId:)` likewise for the pool.

use std::time::Duration;

use serde_json::{Value, json};

use crate::app::spawn_app;
use pocket_testkit::{Backend, Replica, TestDb, graphql, next_json, on_both_backends, subscribe};

on_both_backends!(
    a_reconnecting_subscriber_gets_exactly_the_missed_blocks,
    a_replay_during_mining_has_no_gap_and_no_duplicate,
    pool_changes_resume_after_an_id,
);

fn height(message: &Value) -> u64 {
    message["payload"]["data"]["blockMined"]["height"]
        .as_u64()
        .unwrap_or_else(|| panic!("not a block: {message}"))
}

async fn a_reconnecting_subscriber_gets_exactly_the_missed_blocks(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let query = "subscription { blockMined { height } }";
    let before = app.node.subscriber_count();
    let mut ws = subscribe(&app.base, "graphql-transport-ws", query).await;
    // A live subscription sees only blocks mined once it is in place.
    app.await_subscribers(before, 1).await;
    app.mine(&a[0], None).await;
    let seen = height(&next_json(&mut ws).await);
    assert_eq!(seen, 10);
    drop(ws);
    for _ in 0..3 {
        app.mine(&a[0], None).await;
    }
    let resumed = format!("subscription {{ blockMined(afterHeight: {seen}) {{ height }} }}");
    let mut ws = subscribe(&app.base, "graphql-transport-ws", &resumed).await;
    for expected in 11..=13 {
        assert_eq!(height(&next_json(&mut ws).await), expected);
    }
    app.mine(&a[1], None).await;
    assert_eq!(height(&next_json(&mut ws).await), 14, "then live");
    // From genesis, on the legacy protocol too.
    let mut all = subscribe(
        &app.base,
        "graphql-ws",
        "subscription { blockMined(afterHeight: -1) { height } }",
    )
    .await;
    for expected in 0..=14 {
        assert_eq!(height(&next_json(&mut all).await), expected);
    }
    let mut bad = subscribe(
        &app.base,
        "graphql-transport-ws",
        "subscription { blockMined(afterHeight: -2) { height } }",
    )
    .await;
    let refused = next_json(&mut bad).await;
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "BAD_REQUEST",
        "{refused}"
    );
}

async fn a_replay_during_mining_has_no_gap_and_no_duplicate(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let mining = {
        let (http, url, miner) = (
            app.http.clone(),
            format!("{}/graphql", app.base),
            a[2].clone(),
        );
        tokio::spawn(async move {
            graphql(
                &http,
                &url,
                "mutation($a: String!) { mineBlocks(address: $a, count: 30, txCount: 0) { height } }",
                json!({ "a": miner }),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut ws = subscribe(
        &app.base,
        "graphql-transport-ws",
        "subscription { blockMined(afterHeight: 3) { height } }",
    )
    .await;
    let mined = mining.await.unwrap();
    assert!(mined.get("errors").is_none(), "{mined}");
    for expected in 4..=39 {
        assert_eq!(height(&next_json(&mut ws).await), expected);
    }
}

async fn pool_changes_resume_after_an_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let pool = app
        .data("{ pool(first: 10) { nodes { id } } }", json!({}))
        .await;
    let ids: Vec<i64> = pool["pool"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    // A refusal after them, in the log.
    app.send(&a[3], &a[1], 1_000).await;
    let query = format!(
        "subscription {{ poolChanged(afterId: {}) {{ id status }} }}",
        ids[0] - 1
    );
    let mut ws = subscribe(&app.base, "graphql-transport-ws", &query).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let message = next_json(&mut ws).await;
        let entry = &message["payload"]["data"]["poolChanged"];
        got.push((
            entry["id"].as_i64().unwrap(),
            entry["status"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(
        got,
        vec![
            (ids[0], "PENDING".to_owned()),
            (ids[1], "PENDING".to_owned()),
            (ids[1] + 1, "REJECTED".to_owned()),
        ]
    );
    // Then live: mining both pending entries, then a new send.
    app.mine(&a[0], None).await;
    for id in &ids {
        let message = next_json(&mut ws).await;
        assert_eq!(
            message["payload"]["data"]["poolChanged"],
            json!({ "id": id, "status": "MINED" })
        );
    }
    let sent = app.send(&a[0], &a[4], 2).await;
    let message = next_json(&mut ws).await;
    assert_eq!(
        message["payload"]["data"]["poolChanged"]["id"],
        sent["data"]["send"]["id"]
    );
}

/// Two replicas on one PostgreSQL: a subscriber on one resumes while the other mines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_resumes_on_another_replica() {
    let bin = env!("CARGO_BIN_EXE_pocket");
    let db = TestDb::new(Backend::Postgres).await;
    let writer = Replica::start(bin, &db.url, &[]).await;
    let reader = Replica::start(bin, &db.url, &[]).await;
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", writer.base);
    let reset = graphql(
        &http,
        &url,
        "mutation { resetSystem { address } }",
        json!({}),
    )
    .await;
    let miner = reset["data"]["resetSystem"][0]["address"].clone();
    let mine = "mutation($a: String!) { mineBlocks(address: $a, count: 5, txCount: 0) { height } }";
    graphql(&http, &url, mine, json!({ "a": miner })).await;
    let mut ws = subscribe(
        &reader.base,
        "graphql-transport-ws",
        "subscription { blockMined(afterHeight: 7) { height } }",
    )
    .await;
    for expected in 8..=14 {
        assert_eq!(height(&next_json(&mut ws).await), expected);
    }
    graphql(&http, &url, mine, json!({ "a": miner })).await;
    for expected in 15..=19 {
        assert_eq!(height(&next_json(&mut ws).await), expected);
    }
}
