//! Peers that lie cheaply, over real sockets, against the binary: one that announces blocks and
//! transactions it never serves, one that answers every `submitBlock` with `HELD`. Each is banned
//! within seconds, costs a bounded number of requests, and gets none while banned; the node keeps
//! answering others meanwhile, and `pocket verify` passes after.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::routing::{get, post};
use axum::{Json, Router};
use pocket_chain::chain::BlockHash;
use pocket_testkit::{Backend, Replica, TestDb, connect_block, graphql, network_builder, tip_of};
use serde_json::{Value, json};

use crate::network::BITS;

/// What the liar does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lie {
    /// Announces random block hashes.
    Blocks,
    /// Announces random transaction ids.
    Transactions,
    /// Answers `submitBlock` and `submitBlocks` with `HELD`, whatever it is sent.
    AlwaysHeld,
}

#[derive(Clone)]
struct Liar {
    lie: Lie,
    /// The chain it claims: the node's genesis, and nothing after it.
    genesis: Option<BlockHash>,
    requests: Arc<AtomicU64>,
    /// Requests announcing blocks to it.
    submits: Arc<AtomicU64>,
}

async fn answer(State(liar): State<Liar>, Json(request): Json<Value>) -> Json<Value> {
    liar.requests.fetch_add(1, Ordering::SeqCst);
    let query = request["query"].as_str().unwrap_or_default();
    let genesis = liar.genesis.map(|h| h.to_string());
    if query.contains("chain {") {
        return Json(json!({ "data": { "chain": {
            "height": genesis.as_ref().map(|_| 0), "tipHash": genesis, "genesisHash": genesis,
            "difficultyBits": BITS.parse::<u32>().unwrap(), "reward": 10, "maxBlockTxs": 10_000,
        } } }));
    }
    if query.contains("headers(") {
        // Its chain is the node's genesis alone: nothing after it.
        let run = json!({ "commonHash": genesis, "commonHeight": genesis.as_ref().map(|_| 0), "rawHeaders": "" });
        return Json(json!({ "data": { "headers": run } }));
    }
    if query.contains("commonBlock") {
        let common = genesis.map(|hash| json!({ "height": 0, "hash": hash }));
        return Json(json!({ "data": { "commonBlock": common } }));
    }
    if query.contains("rawBlocks") {
        return Json(json!({ "data": { "rawBlocks": [] } }));
    }
    if query.contains("submitBlocks") {
        liar.submits.fetch_add(1, Ordering::SeqCst);
        let sent = request["variables"]["r"].as_array().map_or(0, Vec::len);
        let held = vec![json!({ "status": "HELD" }); sent];
        return Json(json!({ "data": { "submitBlocks": held } }));
    }
    if query.contains("submitBlock") {
        liar.submits.fetch_add(1, Ordering::SeqCst);
        return Json(json!({ "data": { "submitBlock": { "status": "HELD" } } }));
    }
    Json(json!({ "data": { "rawTransaction": null } }))
}

/// Acknowledges, then announces what the lie says, every few milliseconds, until closed.
async fn socket(State(liar): State<Liar>, upgrade: WebSocketUpgrade) -> axum::response::Response {
    upgrade
        .protocols(["graphql-transport-ws"])
        .on_upgrade(move |mut socket| async move {
            while let Some(Ok(Message::Text(text))) = socket.recv().await {
                if text.contains("connection_init") {
                    let ack = json!({ "type": "connection_ack" }).to_string();
                    if socket.send(Message::text(ack)).await.is_err() {
                        return;
                    }
                    break;
                }
            }
            let mut n = 0u64;
            loop {
                n += 1;
                let random = format!("{:064x}", u128::from(n) * 0x9e37_79b9_7f4a_7c15 + 7);
                let message = match liar.lie {
                    Lie::Blocks => json!({ "id": "blocks", "type": "next", "payload": { "data": {
                        "blockMined": { "height": n, "hash": random } } } }),
                    Lie::Transactions => {
                        json!({ "id": "pool", "type": "next", "payload": { "data": {
                        "poolChanged": { "status": "PENDING", "txId": random } } } })
                    }
                    Lie::AlwaysHeld => {
                        // Quiet: the lie is in its answers.
                        if socket.recv().await.is_none() {
                            return;
                        }
                        continue;
                    }
                };
                if socket
                    .send(Message::text(message.to_string()))
                    .await
                    .is_err()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
}

async fn serve(liar: Liar) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/graphql", post(answer))
        .route("/graphql/blocks", post(answer))
        .route("/graphql/ws", get(socket))
        .with_state(liar);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Waits until the node bans the liar (bystander queries timed on the way); the peer's row.
async fn banned(http: &reqwest::Client, node: &Replica, within: Duration) -> Value {
    let url = format!("{}/graphql", node.base);
    let deadline = Instant::now() + within;
    let mut slowest = Duration::ZERO;
    loop {
        let asked = Instant::now();
        let answer = graphql(
            http,
            &url,
            "{ peers { state lastError bannedUntil } chain { height } }",
            json!({}),
        )
        .await;
        slowest = slowest.max(asked.elapsed());
        let peer = answer["data"]["peers"][0].clone();
        if peer["state"] == "BANNED" {
            assert!(
                slowest < Duration::from_secs(1),
                "a bystander query took {slowest:?}"
            );
            return peer;
        }
        assert!(
            Instant::now() < deadline,
            "not banned within {within:?}: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// While banned the liar is asked nothing.
async fn nothing_asked_while_banned(liar: &Liar) {
    let before = liar.requests.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        liar.requests.load(Ordering::SeqCst),
        before,
        "requests to a banned peer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_announcements_end_banned_within_seconds() {
    let http = reqwest::Client::new();
    for (lie, says) in [
        (Lie::Blocks, "announced block"),
        (Lie::Transactions, "announced transaction"),
    ] {
        let liar = Liar {
            lie,
            genesis: None,
            requests: Arc::default(),
            submits: Arc::default(),
        };
        let base = serve(liar.clone()).await;
        let db = TestDb::new(Backend::Sqlite).await;
        let node = Replica::start(
            env!("CARGO_BIN_EXE_pocket"),
            &db.url,
            &["--difficulty", BITS, "--peer", &base],
        )
        .await;
        let peer = banned(&http, &node, Duration::from_secs(10)).await;
        let error = peer["lastError"].as_str().unwrap();
        assert!(
            error.starts_with("misbehaved") && error.contains(says),
            "{error}"
        );
        assert!(peer["bannedUntil"].as_i64().is_some());
        // Each fake costs one or two requests; the ban came after a handful.
        let spent = liar.requests.load(Ordering::SeqCst);
        println!("{says}: banned after {spent} requests: {error}");
        assert!(spent < 40, "{spent} requests before the ban");
        nothing_asked_while_banned(&liar).await;
        drop(node);
        crate::network::verify(&db);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_always_answers_held_is_banned_after_a_bounded_number_of_blocks() {
    let http = reqwest::Client::new();
    let build = network_builder();
    let genesis = build.block(None, vec![], 1_700_000_000);
    let mut chain = vec![genesis];
    for height in 1..30u64 {
        let parent = tip_of(chain.last().unwrap(), height - 1);
        chain.push(build.block(Some(&parent), vec![], 1_700_000_000 + height));
    }
    let db = TestDb::new(Backend::Sqlite).await;
    let node = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--difficulty", BITS],
    )
    .await;
    for block in &chain {
        connect_block(&http, &node.base, block).await;
    }
    let liar = Liar {
        lie: Lie::AlwaysHeld,
        genesis: Some(chain[0].hash()),
        requests: Arc::default(),
        submits: Arc::default(),
    };
    let base = serve(liar.clone()).await;
    let url = format!("{}/graphql", node.base);
    let added = graphql(
        &http,
        &url,
        "mutation($u: String!) { addPeer(url: $u) { url } }",
        json!({ "u": base }),
    )
    .await;
    assert!(added["errors"].is_null(), "{added}");
    let peer = banned(&http, &node, Duration::from_secs(15)).await;
    let error = peer["lastError"].as_str().unwrap();
    assert!(error.contains("answered HELD"), "{error}");
    // A 30-block chain; the liar was sent one batch, not a request per block.
    let submits = liar.submits.load(Ordering::SeqCst);
    println!("always HELD: banned after {submits} announcing requests: {error}");
    assert!(submits <= 2, "{submits} announcing requests to the liar");
    // New blocks while it is banned are not sent to it.
    let tip = tip_of(chain.last().unwrap(), chain.len() as u64 - 1);
    connect_block(
        &http,
        &node.base,
        &build.block(Some(&tip), vec![], 1_700_000_100),
    )
    .await;
    nothing_asked_while_banned(&liar).await;
    assert_eq!(liar.submits.load(Ordering::SeqCst), submits);
    drop(node);
    crate::network::verify(&db);
}
