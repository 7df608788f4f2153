//! A fork deeper than anything the node holds in memory (10,000 blocks): two nodes share a
//! genesis, then mine 20,000 and 20,010 blocks apart. When the first follows the second, it
//! fetches the peer's headers, sees the branch has more work, writes its 20,010 blocks as side
//! blocks as they arrive and reorganises onto them; its own 20,000 stay as side blocks. Real
//! `pocket` processes on loopback, on both backends; `pocket verify` passes on both after.

use std::time::{Duration, Instant};

use pocket_testkit::on_both_backends;
use pocket_testkit::{Backend, Replica, TestDb, graphql, next_json, subscribe};
use serde_json::{Value, json};

use crate::network::{BITS, verify};

on_both_backends!(a_fork_deeper_than_the_held_bound_is_synced_headers_first);

/// Blocks each side mines apart (the peer's side ten more).
const DEPTH: u32 = 20_000;
/// Blocks one `mineBlocks` call mines at most.
const PER_CALL: u32 = 1000;

async fn ok(http: &reqwest::Client, node: &Replica, query: &str, variables: Value) -> Value {
    let answer = graphql(http, &format!("{}/graphql", node.base), query, variables).await;
    assert!(answer["errors"].is_null(), "{query}: {answer}");
    answer["data"].clone()
}

async fn mine(http: &reqwest::Client, node: &Replica, mut count: u32, miner: &str) {
    while count > 0 {
        let n = count.min(PER_CALL);
        ok(
            http,
            node,
            "mutation($n: Int!, $a: String!) { mineBlocks(count: $n, address: $a) { height } }",
            json!({ "n": n, "a": miner }),
        )
        .await;
        count -= n;
    }
}

async fn start(db: &TestDb) -> Replica {
    Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--difficulty", BITS],
    )
    .await
}

async fn a_fork_deeper_than_the_held_bound_is_synced_headers_first(backend: Backend) {
    let http = reqwest::Client::new();
    let (db_a, db_b) = (TestDb::new(backend).await, TestDb::new(backend).await);
    let (a, b) = (start(&db_a).await, start(&db_b).await);
    mine(&http, &a, 1, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT").await;
    // B takes A's genesis from A, then goes its own way.
    ok(
        &http,
        &b,
        "mutation($u: String!) { addPeer(url: $u) { url } }",
        json!({ "u": a.base }),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while ok(&http, &b, "{ chain { height } }", json!({})).await["chain"]["height"] != 0 {
        assert!(Instant::now() < deadline, "B never took A's genesis");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ok(
        &http,
        &b,
        "mutation($u: String!) { removePeer(url: $u) }",
        json!({ "u": a.base }),
    )
    .await;
    tokio::join!(
        mine(&http, &a, DEPTH, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        mine(&http, &b, DEPTH + 10, "1CounterpartyXXXXXXXXXXXXXXXUWLpVr"),
    );
    let b_tip = ok(&http, &b, "{ chain { height tipHash } }", json!({})).await;
    assert_eq!(b_tip["chain"]["height"], DEPTH + 10);

    let mut reorgs = subscribe(
        &a.base,
        "graphql-transport-ws",
        "subscription { chainReorganized { forkHeight oldHeight newHeight } }",
    )
    .await;
    ok(
        &http,
        &a,
        "mutation($u: String!) { addPeer(url: $u) { url } }",
        json!({ "u": b.base }),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(240);
    let state = loop {
        let state = ok(
            &http,
            &a,
            "{ chain { height tipHash sideBlocks } peers { state lastError blocksReceived } }",
            json!({}),
        )
        .await;
        if state["chain"]["tipHash"] == b_tip["chain"]["tipHash"]
            && state["peers"][0]["state"] == "FOLLOWING"
        {
            break state;
        }
        assert!(Instant::now() < deadline, "A never took B's chain: {state}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // Announced, though thousands of blocks were connected in the same commit.
    let event = tokio::time::timeout(Duration::from_secs(10), next_json(&mut reorgs))
        .await
        .expect("the reorganisation is announced");
    let reorg = &event["payload"]["data"]["chainReorganized"];
    assert_eq!(reorg["forkHeight"], 0, "{event}");
    assert_eq!(reorg["oldHeight"], DEPTH, "{event}");
    // Each of B's blocks came once; A's own branch, reorganised away, stays beside the main
    // chain.
    assert_eq!(state["peers"][0]["blocksReceived"], DEPTH + 10, "{state}");
    assert_eq!(state["peers"][0]["lastError"], Value::Null, "{state}");
    assert_eq!(state["chain"]["sideBlocks"], DEPTH, "{state}");
    drop((a, b));
    verify(&db_a);
    verify(&db_b);
}
