//! Several `pocket serve` processes on one PostgreSQL behave as one node: writes take turns, every
//! replica's subscribers see every block exactly once in order, and killing a replica mid-load
//! loses nothing acknowledged.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use pocket_testkit::{Backend, Replica, TestDb, keystore, subscribe, test_config};

async fn post(http: &reqwest::Client, base: &str, query: &str, variables: Value) -> Option<Value> {
    let response = http
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

/// Subscribes with `query` on a replica; each event's `field.key` number lands in the returned list.
async fn watch(
    base: &str,
    query: &str,
    field: &'static str,
    key: &'static str,
) -> Arc<Mutex<Vec<u64>>> {
    let mut ws = subscribe(base, "graphql-transport-ws", query).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    tokio::spawn(async move {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).unwrap_or_default();
                if let Some(number) = value["payload"]["data"][field][key].as_u64() {
                    sink.lock().unwrap().push(number);
                }
            }
        }
    });
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_on_one_postgres_act_as_one_node() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(
            Replica::start(
                env!("CARGO_BIN_EXE_pocket"),
                &db.url,
                &["--mining-threads", "1"],
            )
            .await,
        );
    }
    let http = reqwest::Client::new();
    let reset = post(
        &http,
        &replicas[0].base,
        "mutation { resetSystem { address } }",
        json!({}),
    )
    .await
    .unwrap();
    let a: Vec<String> = reset["data"]["resetSystem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["address"].as_str().unwrap().to_owned())
        .collect();
    // Give the reset's announcements time to pass, then watch from the tip (height 9) on.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut watchers = Vec::new();
    for replica in &replicas {
        watchers.push(
            watch(
                &replica.base,
                "subscription { blockMined { height } }",
                "blockMined",
                "height",
            )
            .await,
        );
    }
    let pool_on_second = watch(
        &replicas[1].base,
        "subscription { poolChanged { id amount } }",
        "poolChanged",
        "amount",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A send on the first replica reaches a pool subscriber on the second.
    let send = "mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 4) { id } }";
    post(
        &http,
        &replicas[0].base,
        send,
        json!({ "f": a[0], "t": a[1] }),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while !pool_on_second.lock().unwrap().contains(&4) {
        assert!(
            Instant::now() < deadline,
            "the pool change did not reach the other replica"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let bases: Vec<String> = replicas.iter().map(|r| r.base.clone()).collect();
    let acknowledged = Arc::new(Mutex::new(Vec::<(u64, String)>::new()));
    let mut clients = Vec::new();
    for i in 0..6 {
        let (http, bases, a, acknowledged) =
            (http.clone(), bases.clone(), a.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            for round in 0..8 {
                let base = &bases[(i + round) % bases.len()];
                let send = "mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 1) { id } }";
                post(&http, base, send, json!({ "f": a[i], "t": a[(i + 1) % a.len()] })).await;
                let mine = "mutation($a: String!) { mineBlock(address: $a, txCount: 3) { height hash } }";
                if let Some(body) = post(&http, &bases[(i + round + 1) % bases.len()], mine, json!({ "a": a[i] })).await {
                    let block = &body["data"]["mineBlock"];
                    if let (Some(height), Some(hash)) = (block["height"].as_u64(), block["hash"].as_str()) {
                        acknowledged.lock().unwrap().push((height, hash.to_owned()));
                    }
                }
            }
        }));
    }
    // Kill the third replica in the middle of the load.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let killed = replicas.pop().unwrap();
    drop(killed);
    for client in clients {
        client.await.expect("client task");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let node = pocket_chain::node::Node::open(db.store().await, test_config(), keystore())
        .await
        .unwrap();
    let report = node
        .verify_chain(&|_, _| {})
        .await
        .expect("the chain verifies");
    let tip = report.blocks - 1;
    assert!(tip > 15, "the load mined blocks (tip {tip})");
    let acknowledged = acknowledged.lock().unwrap().clone();
    for (height, hash) in &acknowledged {
        let block = node
            .block_by_height(*height)
            .await
            .unwrap()
            .expect("acknowledged block kept");
        assert_eq!(&block.hash.to_string(), hash);
    }
    // The surviving replicas' subscribers saw every block after the reset exactly once, in order,
    // whichever replica mined it.
    for seen in &watchers[..2] {
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen, (10..=tip).collect::<Vec<_>>());
    }
    // Writes keep working through the survivors.
    let more = post(
        &http,
        &replicas[1].base,
        "mutation($a: String!) { mineBlock(address: $a) { height } }",
        json!({ "a": a[0] }),
    )
    .await
    .unwrap();
    assert_eq!(more["data"]["mineBlock"]["height"], tip + 1);
}
