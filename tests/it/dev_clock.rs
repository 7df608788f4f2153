//! The dev clock through the binary: `increaseTime` and `setNextBlockTimestamp` move block
//! timestamps, refuse time going back, and are stored (a restart keeps them).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use pocket_testkit::{Backend, Replica, TestDb, graphql, on_both_backends};

on_both_backends!(the_dev_clock_moves_block_timestamps_and_is_stored);

const MINING: &str = "{ mining { timeOffsetSeconds nextBlockTimestamp } }";
const MINE: &str = "mutation($a: String!) { mineBlock(address: $a) { height timestamp } }";
const INCREASE: &str =
    "mutation($s: Int!) { increaseTime(seconds: $s) { timeOffsetSeconds nextBlockTimestamp } }";
const SET_NEXT: &str = "mutation($t: Int!) { setNextBlockTimestamp(timestamp: $t) { timeOffsetSeconds nextBlockTimestamp } }";

fn wall_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

struct Node {
    http: reqwest::Client,
    url: String,
}

impl Node {
    async fn call(&self, query: &str, variables: Value) -> Value {
        graphql(&self.http, &self.url, query, variables).await
    }

    async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.call(query, variables).await;
        assert_eq!(body["errors"], Value::Null, "{body}");
        body["data"].clone()
    }

    /// Mines a block to `miner` and returns its timestamp, with the wall clock around it.
    async fn mine(&self, miner: &str) -> (u64, u64, u64) {
        let before = wall_clock();
        let block = self.data(MINE, json!({ "a": miner })).await["mineBlock"].clone();
        (before, block["timestamp"].as_u64().unwrap(), wall_clock())
    }
}

async fn the_dev_clock_moves_block_timestamps_and_is_stored(backend: Backend) {
    let db = TestDb::new(backend).await;
    let bin = env!("CARGO_BIN_EXE_pocket");
    let replica = Replica::start(bin, &db.url, &[]).await;
    let node = Node {
        http: reqwest::Client::new(),
        url: format!("{}/graphql", replica.base),
    };
    let miner = node
        .data("mutation { resetSystem { address } }", json!({}))
        .await["resetSystem"][0]["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let clock = node.data(MINING, json!({})).await["mining"].clone();
    assert_eq!(
        clock,
        json!({ "timeOffsetSeconds": 0, "nextBlockTimestamp": null })
    );

    // An hour ahead: the next block is stamped an hour after the wall clock.
    let ahead = node.data(INCREASE, json!({ "s": 3600 })).await;
    assert_eq!(ahead["increaseTime"]["timeOffsetSeconds"], 3600);
    let (before, stamped, after) = node.mine(&miner).await;
    assert!(
        (before + 3600..=after + 3600).contains(&stamped),
        "{stamped} not an hour after {before}…{after}"
    );

    // A fixed timestamp a day after that block: used once, exactly, and time goes on from there.
    let fixed = stamped + 86_400;
    let set = node.data(SET_NEXT, json!({ "t": fixed })).await;
    assert_eq!(set["setNextBlockTimestamp"]["nextBlockTimestamp"], fixed);
    assert_eq!(node.mine(&miner).await.1, fixed);
    let clock = node.data(MINING, json!({})).await["mining"].clone();
    assert_eq!(clock["nextBlockTimestamp"], Value::Null, "used once");
    let later = node.mine(&miner).await.1;
    assert!(later >= fixed, "{later} went back before {fixed}");

    // Time does not go back: both refusals are typed, and change nothing.
    for (query, variables) in [
        (SET_NEXT, json!({ "t": fixed - 1 })),
        (INCREASE, json!({ "s": -5 })),
        (SET_NEXT, json!({ "t": -1 })),
    ] {
        let refused = node.call(query, variables.clone()).await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "BAD_REQUEST",
            "{variables}: {refused}"
        );
    }
    let unchanged = node.data(MINING, json!({})).await["mining"].clone();
    assert_eq!(unchanged, clock);

    // Stored: a restart keeps the clock.
    drop(replica);
    let replica = Replica::start(bin, &db.url, &[]).await;
    let node = Node {
        http: reqwest::Client::new(),
        url: format!("{}/graphql", replica.base),
    };
    let restarted = node.data(MINING, json!({})).await["mining"].clone();
    assert_eq!(restarted, clock);
    drop(replica);
    pocket_testkit::verify_chain(bin, &db);
}
