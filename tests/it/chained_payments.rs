//! Chained payments over GraphQL: ten sends from one wallet in a row, all pending, then one
//! block holding them parents first; a dropped parent takes its child out of the pool; a
//! client-signed child of a pending parent; and the reference's policy, one pending send per
//! wallet, on request.

use pocket_chain::chain::{Block, Transaction};
use serde_json::{Value, json};

use crate::app::{TestApp, code, spawn_app};
use pocket_testkit::{Backend, Replica, TestDb, graphql, on_both_backends};

on_both_backends!(
    ten_sends_in_a_row_are_mined_in_one_block_in_order,
    a_dropped_parent_takes_its_children_along,
    the_reference_policy_locks_a_wallet_with_a_pending_send,
);

const POOL: &str = "{ pool(includeRejected: true) { nodes { txId status error } } }";

/// Raw hex of the mined block at `height`.
async fn raw_block(app: &TestApp, height: u64) -> Block {
    let data = app
        .data(
            "query($h: Int!) { rawBlocks(fromHeight: $h, count: 1) }",
            json!({ "h": height }),
        )
        .await;
    let hex_text = data["rawBlocks"][0].as_str().unwrap();
    Block::decode(&hex::decode(hex_text).unwrap()).unwrap()
}

fn tx_id(sent: &Value) -> String {
    sent["data"]["send"]["txId"]
        .as_str()
        .unwrap_or_else(|| panic!("sent: {sent}"))
        .to_owned()
}

async fn ten_sends_in_a_row_are_mined_in_one_block_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    // Wallet 0 holds 75 in several coins; each send of 7 spends the previous one's change once
    // the mined coins are used up.
    let mut sent = Vec::new();
    for _ in 0..10 {
        sent.push(tx_id(&app.send(&a[0], &a[1], 7).await));
    }
    let pool = app.data("{ chain { poolSize } }", json!({})).await;
    assert_eq!(
        pool["chain"]["poolSize"], 12,
        "two from the scenario, ten new"
    );
    let mined = app.mine(&a[2], Some(12)).await;
    let height = mined["data"]["mineBlock"]["height"].as_u64().unwrap();
    let block = raw_block(&app, height).await;
    let ids: Vec<String> = block.transactions[1..]
        .iter()
        .map(|tx| tx.txid().to_string())
        .collect();
    let ours: Vec<&String> = ids.iter().filter(|id| sent.contains(id)).collect();
    assert_eq!(ours.len(), 10, "all ten in one block");
    assert!(
        ours.iter().zip(&sent).all(|(got, want)| *got == want),
        "in the order sent"
    );
    assert_parents_first(&block.transactions);
    let balance = app
        .data(
            "query($a: String!) { address(address: $a) { balance } }",
            json!({ "a": a[0] }),
        )
        .await;
    // 75 + 2 (the scenario's two pending sends of 1 to it) - 70.
    assert_eq!(balance["address"]["balance"], 7);
}

/// Every input of the block spends an output of an earlier transaction or of the chain.
fn assert_parents_first(txs: &[Transaction]) {
    for (index, tx) in txs.iter().enumerate() {
        for input in &tx.inputs {
            if let Some(parent) = txs
                .iter()
                .position(|t| t.txid() == input.previous_output.txid)
            {
                assert!(parent < index, "transaction {index} spends a later one");
            }
        }
    }
}

async fn a_dropped_parent_takes_its_children_along(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    // Wallet 1 holds 22: a send of 21 spends all its coins and leaves 1 in change, which the
    // second send spends.
    let parent = tx_id(&app.send(&a[1], &a[3], 21).await);
    let child = tx_id(&app.send(&a[1], &a[4], 1).await);
    assert_ne!(parent, child);
    let dropped = app
        .data(
            "mutation($t: String!) { dropTransaction(txId: $t) }",
            json!({ "t": parent }),
        )
        .await;
    assert_eq!(dropped["dropTransaction"], true);
    let pool = app.data(POOL, json!({})).await;
    let nodes = pool["pool"]["nodes"].as_array().unwrap();
    let pending: Vec<&str> = nodes
        .iter()
        .filter(|n| n["status"] == "PENDING")
        .filter_map(|n| n["txId"].as_str())
        .collect();
    assert!(!pending.contains(&parent.as_str()) && !pending.contains(&child.as_str()));
    let errors: Vec<&str> = nodes.iter().filter_map(|n| n["error"].as_str()).collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("left the pool") && e.contains("dropTransaction")),
        "{errors:?}"
    );
    // Wallet 1's coins are free again: the same 21 can be sent.
    let again = app.send(&a[1], &a[3], 21).await;
    assert_eq!(again["data"]["send"]["status"], "PENDING", "{again}");
}

async fn the_reference_policy_locks_a_wallet_with_a_pending_send(backend: Backend) {
    let db = TestDb::new(backend).await;
    let bin = env!("CARGO_BIN_EXE_pocket");
    let replica = Replica::start(bin, &db.url, &["--pool-policy", "reference"]).await;
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", replica.base);
    let reset = graphql(
        &http,
        &url,
        "mutation { resetSystem { address } }",
        json!({}),
    )
    .await;
    let a: Vec<String> = reset["data"]["resetSystem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["address"].as_str().unwrap().to_owned())
        .collect();
    let send =
        "mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 5) { status } }";
    let vars = json!({ "f": a[0], "t": a[1] });
    let first = graphql(&http, &url, send, vars.clone()).await;
    assert_eq!(first["data"]["send"]["status"], "PENDING", "{first}");
    let second = graphql(&http, &url, send, vars).await;
    assert_eq!(code(&second), "WALLET_LOCKED", "{second}");
}
