//! Mining modes: AUTO mines each accepted send in its own commit, INTERVAL paces blocks from the
//! previous one (across restarts, and with exactly one miner among replicas), and a mode that
//! cannot work is a typed error, never a silent default.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::app::{code, spawn_app};
use pocket_testkit::{Backend, Replica, TestDb, graphql, next_json, on_both_backends, subscribe};

on_both_backends!(
    auto_mining_mines_each_send_and_names_its_block,
    mining_settings_are_checked_and_typed,
    interval_mining_paces_blocks_and_survives_a_restart,
    auto_mining_and_a_revert_through_the_binary,
    auto_mining_with_small_blocks_mines_every_entry_in_one_commit,
    auto_sends_mined_straight_keep_pool_ids_and_announcements,
    a_straight_blocks_early_search_keeps_the_clock,
);

const SET: &str = "mutation($m: MiningMode!, $a: String, $i: Int, $t: Int) { setMining(mode: $m, address: $a, intervalSeconds: $i, txCount: $t) { mode address intervalSeconds txCount nextBlockAt } }";
const SEND: &str = "mutation($f: String!, $t: String!, $a: Int!) { send(from: $f, to: $t, amount: $a) { status txId block { height transactions { id } } } }";

async fn auto_mining_mines_each_send_and_names_its_block(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let status = app.data(SET, json!({ "m": "AUTO", "a": a[7] })).await;
    assert_eq!(status["setMining"]["mode"], "AUTO");
    assert_eq!(status["setMining"]["nextBlockAt"], Value::Null);
    let sent = app
        .data(SEND, json!({ "f": a[0], "t": a[5], "a": 4 }))
        .await["send"]
        .clone();
    assert_eq!(sent["status"], "MINED");
    assert_eq!(sent["block"]["height"], 10);
    // The two transactions pending since the reset are older: they went first, in the same block.
    let txids: Vec<&Value> = sent["block"]["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(txids.len(), 4);
    assert_eq!(txids[3], &sent["txId"]);
    let chain = app.data("{ chain { height poolSize } }", json!({})).await;
    assert_eq!(chain["chain"], json!({ "height": 10, "poolSize": 0 }));
    // A refused send mines nothing.
    assert_eq!(
        code(&app.send(&a[3], &a[1], 1_000).await),
        "INSUFFICIENT_FUNDS"
    );
    let next = app
        .data(SEND, json!({ "f": a[0], "t": a[5], "a": 1 }))
        .await["send"]
        .clone();
    assert_eq!(next["block"]["height"], 11);
    // Back to manual: a send waits in the pool again.
    app.data(SET, json!({ "m": "MANUAL" })).await;
    let pending = app
        .data(SEND, json!({ "f": a[0], "t": a[5], "a": 1 }))
        .await["send"]
        .clone();
    assert_eq!(pending["status"], "PENDING");
    assert_eq!(pending["block"], Value::Null);
    app.node
        .verify_chain(&|_, _| {})
        .await
        .expect("chain verifies");
}

/// AUTO with nothing else pending mines a send without writing it to the pool's rows. Its entry
/// still takes the pool's next id, on a pool that never held a row too, so entries that rest in
/// the pool later continue after it; and subscribers see it arrive and leave like any other.
async fn auto_sends_mined_straight_keep_pool_ids_and_announcements(backend: Backend) {
    let app = spawn_app(backend).await;
    let miner = app.new_wallet().await;
    let payee = app.new_wallet().await;
    app.data(
        "mutation($a: String!) { mineBlock(address: $a) { height } }",
        json!({ "a": miner }),
    )
    .await;
    app.data(SET, json!({ "m": "AUTO", "a": miner })).await;
    let before = app.node.subscriber_count();
    let mut ws = subscribe(
        &app.base,
        "graphql-transport-ws",
        "subscription { poolChanged { id txId status } }",
    )
    .await;
    app.await_subscribers(before, 1).await;

    let mut sent = Vec::new();
    for amount in 1..=2 {
        let answer = app.send(&miner, &payee, amount).await;
        assert_eq!(answer["data"]["send"]["status"], "MINED", "{answer}");
        sent.push(answer["data"]["send"].clone());
    }
    app.data(SET, json!({ "m": "MANUAL" })).await;
    let answer = app.send(&miner, &payee, 3).await;
    assert_eq!(answer["data"]["send"]["status"], "PENDING", "{answer}");
    sent.push(answer["data"]["send"].clone());

    let ids: Vec<i64> = sent.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids {ids:?}");
    let pool = app
        .data(
            "{ chain { height poolSize } pool { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        pool,
        json!({ "chain": { "height": 2, "poolSize": 1 }, "pool": { "nodes": [{ "id": ids[2] }] } })
    );
    let mut seen = Vec::new();
    while seen.len() < 5 {
        let message = next_json(&mut ws).await;
        let change = message["payload"]["data"]["poolChanged"].clone();
        seen.push((change["id"].as_i64().unwrap(), change["status"].clone()));
    }
    let expected: Vec<(i64, Value)> = vec![
        (ids[0], json!("PENDING")),
        (ids[0], json!("MINED")),
        (ids[1], json!("PENDING")),
        (ids[1], json!("MINED")),
        (ids[2], json!("PENDING")),
    ];
    assert_eq!(seen, expected);
    app.node
        .verify_chain(&|_, _| {})
        .await
        .expect("chain verifies");
}

/// A block mined straight has its nonce searched from before its transaction is signed, on the
/// timestamp the clock gives then: a pinned next timestamp is still the block's, and used up.
/// (Should the clock's second turn before the block is built, it searches anew.)
async fn a_straight_blocks_early_search_keeps_the_clock(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    app.data(SET, json!({ "m": "AUTO", "a": a[7] })).await;
    // The reset left two sends pending: the first AUTO send takes them through the pool.
    let send = |amount: i64| app.data(SEND, json!({ "f": a[0], "t": a[5], "a": amount }));
    assert_eq!(send(1).await["send"]["block"]["height"], 10);
    let block_time = "query($h: Int!) { block(height: $h) { timestamp } }";

    let pinned = 2_100_000_000_i64;
    app.data(
        "mutation($t: Int!) { setNextBlockTimestamp(timestamp: $t) { nextBlockTimestamp } }",
        json!({ "t": pinned }),
    )
    .await;
    let sent = send(2).await["send"].clone();
    assert_eq!(sent["status"], "MINED");
    let height = sent["block"]["height"].as_i64().unwrap();
    let stamped = app.data(block_time, json!({ "h": height })).await;
    assert_eq!(stamped["block"]["timestamp"], pinned);
    let clock = app
        .data("{ mining { nextBlockTimestamp } }", json!({}))
        .await;
    assert_eq!(clock["mining"]["nextBlockTimestamp"], Value::Null);

    // Time goes on from there.
    let sent = send(3).await["send"].clone();
    let height = sent["block"]["height"].as_i64().unwrap();
    let stamped = app.data(block_time, json!({ "h": height })).await;
    assert!(stamped["block"]["timestamp"].as_i64().unwrap() >= pinned);
    app.node
        .verify_chain(&|_, _| {})
        .await
        .expect("chain verifies");
}

/// AUTO with one transaction per block mines everything pending in the send's commit, a block
/// per entry, oldest first; a timestamp fixed for the next block goes to the first of them only,
/// and the others follow the dev clock from there.
async fn auto_mining_with_small_blocks_mines_every_entry_in_one_commit(backend: Backend) {
    const BLOCK: &str = "query($h: Int!) { block(height: $h) { timestamp transactions { id } } }";
    const SET_NEXT: &str =
        "mutation($t: Int!) { setNextBlockTimestamp(timestamp: $t) { nextBlockTimestamp } }";
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    // The reset leaves two payments pending on a chain of height 9.
    let tip = app.data(BLOCK, json!({ "h": 9 })).await["block"]["timestamp"]
        .as_i64()
        .unwrap();
    let fixed = tip + 1_000;
    app.data(SET_NEXT, json!({ "t": fixed })).await;
    app.data(SET, json!({ "m": "AUTO", "a": a[7], "t": 1 }))
        .await;
    let sent = app
        .data(SEND, json!({ "f": a[0], "t": a[5], "a": 4 }))
        .await["send"]
        .clone();
    assert_eq!(sent["status"], "MINED");
    assert_eq!(sent["block"]["height"], 12);
    let mut previous = 0;
    for height in 10..=12 {
        let block = app.data(BLOCK, json!({ "h": height })).await["block"].clone();
        assert_eq!(
            block["transactions"].as_array().unwrap().len(),
            2,
            "{block}"
        );
        let timestamp = block["timestamp"].as_i64().unwrap();
        match height {
            10 => assert_eq!(timestamp, fixed),
            _ => assert!(timestamp >= previous, "{timestamp} after {previous}"),
        }
        previous = timestamp;
    }
    let last = app.data(BLOCK, json!({ "h": 12 })).await["block"]["transactions"][1]["id"].clone();
    assert_eq!(last, sent["txId"]);
    let chain = app
        .data(
            "{ chain { height poolSize } mining { nextBlockTimestamp } }",
            json!({}),
        )
        .await;
    assert_eq!(
        chain,
        json!({ "chain": { "height": 12, "poolSize": 0 }, "mining": { "nextBlockTimestamp": null } })
    );
}

async fn mining_settings_are_checked_and_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let initial = app
        .data(
            "{ mining { mode address intervalSeconds txCount nextBlockAt } }",
            json!({}),
        )
        .await;
    assert_eq!(
        initial["mining"],
        json!({ "mode": "MANUAL", "address": null, "intervalSeconds": null, "txCount": 5, "nextBlockAt": null })
    );
    for (variables, expected) in [
        (json!({ "m": "AUTO" }), "MINER_ADDRESS_REQUIRED"),
        (json!({ "m": "INTERVAL", "i": 5 }), "MINER_ADDRESS_REQUIRED"),
        (json!({ "m": "AUTO", "a": "1nope" }), "INVALID_ADDRESS"),
        (json!({ "m": "INTERVAL", "a": a[0] }), "BAD_REQUEST"),
        (json!({ "m": "INTERVAL", "a": a[0], "i": 0 }), "BAD_REQUEST"),
        (
            json!({ "m": "INTERVAL", "a": a[0], "i": 86_401 }),
            "BAD_REQUEST",
        ),
        (json!({ "m": "AUTO", "a": a[0], "t": 0 }), "BAD_REQUEST"),
        (
            json!({ "m": "AUTO", "a": a[0], "t": 10_000 }),
            "BAD_REQUEST",
        ),
        (json!({ "m": "SOMETIMES", "a": a[0] }), "BAD_REQUEST"),
    ] {
        let body = app.gql(SET, variables.clone()).await;
        assert_eq!(code(&body), expected, "{variables}: {body}");
    }
    // Nothing was stored by the refusals.
    let after = app
        .data(
            "{ mining { mode address intervalSeconds txCount nextBlockAt } }",
            json!({}),
        )
        .await;
    assert_eq!(after, initial);
    // Values not given stay: an interval set once is kept through a mode change.
    let set = app
        .data(
            SET,
            json!({ "m": "INTERVAL", "a": a[1], "i": 3600, "t": 2 }),
        )
        .await;
    let tip_time = app.node.blocks_from(9, 1).await.unwrap()[0]
        .block
        .header
        .timestamp;
    assert_eq!(set["setMining"]["nextBlockAt"], tip_time + 3600);
    let manual = app.data(SET, json!({ "m": "MANUAL" })).await;
    assert_eq!(
        manual["setMining"],
        json!({ "mode": "MANUAL", "address": a[1], "intervalSeconds": 3600, "txCount": 2, "nextBlockAt": null })
    );
    // Without a token, setMining is refused like every mutation (tested with a token elsewhere).
    assert!(app.token.is_none());
}

/// `pocket serve` with `extra` flags over `url`, and its answer to `query`.
async fn ask(replica: &Replica, query: &str) -> Value {
    let http = reqwest::Client::new();
    graphql(
        &http,
        &format!("{}/graphql", replica.base),
        query,
        json!({}),
    )
    .await
}

/// Block heights and timestamps, oldest first.
async fn timestamps(replica: &Replica) -> Vec<(u64, u64)> {
    let body = ask(
        replica,
        "{ blocks(first: 100) { nodes { height timestamp } } }",
    )
    .await;
    let mut out: Vec<(u64, u64)> = body["data"]["blocks"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|b| {
            (
                b["height"].as_u64().unwrap(),
                b["timestamp"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

async fn interval_mining_paces_blocks_and_survives_a_restart(backend: Backend) {
    let bin = env!("CARGO_BIN_EXE_pocket");
    let db = TestDb::new(backend).await;
    // A mode that cannot work stops the start with its error.
    let refused = Command::new(bin)
        .env("POCKET_ACCOUNTS", "0")
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db.url,
        ])
        .args([
            "--keystore-key",
            &"07".repeat(32),
            "--mining",
            "interval",
            "--block-time",
            "1",
        ])
        .output()
        .expect("pocket runs");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("miner address"), "{stderr}");

    let miner = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    let mut replica = Replica::start(
        bin,
        &db.url,
        &[
            "--mining",
            "interval",
            "--block-time",
            "1",
            "--miner-address",
            miner,
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let mining = ask(&replica, "{ mining { mode intervalSeconds address } }").await;
    assert_eq!(
        mining["data"]["mining"],
        json!({ "mode": "INTERVAL", "intervalSeconds": 1, "address": miner })
    );
    let first = timestamps(&replica).await;
    assert!(first.len() >= 3, "about a block a second: {first:?}");
    replica.terminate();
    replica.exited(Duration::from_secs(15)).await;

    // Restarted without flags: the stored mode goes on, paced from the last block.
    let replica = Replica::start(bin, &db.url, &[]).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let all = timestamps(&replica).await;
    assert!(all.len() > first.len(), "mining resumed: {all:?}");
    assert_paced(&all, 1);
    assert_eq!(all[0].0, 0, "the first interval block is the genesis block");
}

/// Heights run without gaps and each block comes at least `interval` seconds after the one
/// before it.
fn assert_paced(blocks: &[(u64, u64)], interval: u64) {
    for pair in blocks.windows(2) {
        assert_eq!(pair[1].0, pair[0].0 + 1, "{blocks:?}");
        assert!(pair[1].1 >= pair[0].1 + interval, "too soon: {blocks:?}");
    }
}

/// Two replicas on one PostgreSQL, both in INTERVAL mode: exactly one block per interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_mine_one_block_per_interval() {
    let bin = env!("CARGO_BIN_EXE_pocket");
    let db = TestDb::new(Backend::Postgres).await;
    let flags = [
        "--mining",
        "interval",
        "--block-time",
        "1",
        "--miner-address",
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    ];
    let a = Replica::start(bin, &db.url, &flags).await;
    let b = Replica::start(bin, &db.url, &flags).await;
    let started = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let blocks = timestamps(&b).await;
    // Both replicas see one chain (which may have grown by a block between the two reads).
    let later = timestamps(&a).await;
    assert!(later.starts_with(&blocks), "{blocks:?} then {later:?}");
    assert_paced(&later, 1);
    let elapsed = started.elapsed().as_secs() + 2;
    assert!(
        (blocks.len() as u64) <= elapsed + 1,
        "{} blocks in about {elapsed} s: two miners per interval? {blocks:?}",
        blocks.len()
    );
}

/// The `pocket` binary itself: AUTO set by flag at start, a snapshot, sends mined at once, a
/// revert, over real HTTP.
async fn auto_mining_and_a_revert_through_the_binary(backend: Backend) {
    let db = TestDb::new(backend).await;
    let miner = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    let node = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--mining", "auto", "--miner-address", miner],
    )
    .await;
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", node.base);
    let call = async |query: &str, variables: Value| {
        let body = graphql(&http, &url, query, variables).await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    };
    let a: Vec<String> =
        call("mutation { resetSystem { address } }", json!({})).await["resetSystem"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["address"].as_str().unwrap().to_owned())
            .collect();
    let mining = call("{ mining { mode address } }", json!({})).await;
    assert_eq!(
        mining["mining"],
        json!({ "mode": "AUTO", "address": miner })
    );
    let snapshot = call("mutation { snapshot { id height } }", json!({})).await["snapshot"].clone();
    let sent = call(SEND, json!({ "f": a[0], "t": a[2], "a": 5 })).await;
    assert_eq!(sent["send"]["status"], "MINED");
    assert_eq!(sent["send"]["block"]["height"], 10);
    let reverted = call(
        "mutation($id: ID!) { revert(id: $id) { height poolSize } }",
        json!({ "id": snapshot["id"] }),
    )
    .await;
    assert_eq!(reverted["revert"], json!({ "height": 9, "poolSize": 2 }));
}
