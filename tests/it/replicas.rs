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
    let (a, watchers) = a_send_on_one_replica_reaches_another(&http, &replicas).await;
    let acknowledged = load_while_one_replica_dies(&http, &mut replicas, &a).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tip = nothing_acknowledged_is_lost(&db, &acknowledged, &watchers).await;
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

/// Blocks and pool changes each subscriber watches, by height or amount.
type Watched = Arc<Mutex<Vec<u64>>>;

/// Resets the chain through the first replica and watches every replica's blocks from the tip
/// (height 9) on; a send on the first replica reaches a pool subscriber on the second. Returns
/// the training wallets and the block watchers.
async fn a_send_on_one_replica_reaches_another(
    http: &reqwest::Client,
    replicas: &[Replica],
) -> (Vec<String>, Vec<Watched>) {
    let reset = post(
        http,
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
    for replica in replicas {
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
        http,
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

    (a, watchers)
}

/// Six clients send and mine through the replicas in turn while the third replica is killed in
/// the middle of the load. Returns the blocks acknowledged, by height and hash.
async fn load_while_one_replica_dies(
    http: &reqwest::Client,
    replicas: &mut Vec<Replica>,
    a: &[String],
) -> Vec<(u64, String)> {
    let bases: Vec<String> = replicas.iter().map(|r| r.base.clone()).collect();
    let acknowledged = Arc::new(Mutex::new(Vec::<(u64, String)>::new()));
    let mut clients = Vec::new();
    for i in 0..6 {
        let (http, bases, a, acknowledged) = (
            http.clone(),
            bases.clone(),
            a.to_vec(),
            acknowledged.clone(),
        );
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
    acknowledged.lock().unwrap().clone()
}

/// The chain verifies, every acknowledged block is in it, and the surviving replicas'
/// subscribers saw every block after the reset exactly once, in order, whichever replica mined
/// it. Returns the tip's height.
async fn nothing_acknowledged_is_lost(
    db: &TestDb,
    acknowledged: &[(u64, String)],
    watchers: &[Watched],
) -> u64 {
    let node = pocket_chain::node::Node::open(db.store().await, test_config(), keystore())
        .await
        .unwrap();
    let report = node
        .verify_chain(&|_, _| {})
        .await
        .expect("the chain verifies");
    let tip = report.blocks - 1;
    assert!(tip > 15, "the load mined blocks (tip {tip})");
    for (height, hash) in acknowledged {
        let block = node
            .block_by_height(*height)
            .await
            .unwrap()
            .expect("acknowledged block kept");
        assert_eq!(&block.hash.to_string(), hash);
    }
    for seen in &watchers[..2] {
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen, (10..=tip).collect::<Vec<_>>());
    }
    tip
}
