//! Explorer fields on both backends: confirmations, raw bytes, header bytes, merkle proofs and
//! transaction status, checked against the chain's own rules.

use futures::StreamExt;
use pocket_chain::chain::merkle::root_from_proof;
use pocket_chain::chain::{BlockHeader, Transaction, Txid, hash::sha256d};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::app::{TestApp, code, spawn_app};
use pocket_testkit::{Backend, PoolRows, dump_tables, next_json, on_both_backends, subscribe};

on_both_backends!(
    mined_transactions_prove_themselves,
    transaction_status_follows_a_transaction,
    any_address_has_totals_history_and_pending,
    address_activity_follows_pool_blocks_and_reverts,
    transaction_status_is_pushed_on_every_change,
    the_lab_explains_what_a_change_breaks,
    spent_outputs_read_from_undo_data_match_the_blocks,
);

const TX: &str = "query($id: String!) { transaction(id: $id) { id position confirmations rawHex merkleProof { index siblings root } block { hash height headerHex merkleRoot txCount } } }";

fn bytes32(text: &Value) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text.as_str().unwrap(), &mut out).unwrap();
    out
}

async fn mined_transactions_prove_themselves(backend: Backend) {
    let app = spawn_app(backend).await;
    app.reset().await;
    let blocks = app
        .data(
            "{ blocks(first: 20) { nodes { height transactions { id } } } }",
            json!({}),
        )
        .await;
    let mut checked = 0;
    for block in blocks["blocks"]["nodes"].as_array().unwrap() {
        for tx in block["transactions"].as_array().unwrap() {
            let found = app.data(TX, json!({ "id": tx["id"] })).await["transaction"].clone();
            let height = found["block"]["height"].as_u64().unwrap();
            assert_eq!(found["confirmations"], 9 - height + 1, "tip is 9");
            // The raw bytes decode to a transaction with this id.
            let raw = hex::decode(found["rawHex"].as_str().unwrap()).unwrap();
            let decoded = Transaction::decode(&raw).unwrap();
            assert_eq!(decoded.txid().to_string(), found["id"]);
            // The header bytes hash to the block's hash and hold its merkle root.
            let header = hex::decode(found["block"]["headerHex"].as_str().unwrap()).unwrap();
            assert_eq!(header.len(), 88);
            assert_eq!(hex::encode(sha256d(&header)), found["block"]["hash"]);
            let parsed = BlockHeader::decode(&header).unwrap();
            assert_eq!(parsed.merkle_root.to_string(), found["block"]["merkleRoot"]);
            // The proof leads from the txid to that root.
            let proof = &found["merkleProof"];
            assert_eq!(proof["index"], found["position"]);
            assert_eq!(proof["root"], found["block"]["merkleRoot"]);
            let siblings: Vec<[u8; 32]> = proof["siblings"]
                .as_array()
                .unwrap()
                .iter()
                .map(bytes32)
                .collect();
            let txid = Txid(bytes32(&found["id"]));
            let index = proof["index"].as_u64().unwrap() as usize;
            assert_eq!(
                root_from_proof(&txid, index, &siblings).to_string(),
                found["block"]["merkleRoot"]
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        10 + 7 + 5,
        "every transaction of the training chain"
    );
}

const STATUS: &str = "query($id: String!) { transactionStatus(txId: $id) { state blockHash height confirmations poolPosition } }";

async fn transaction_status_follows_a_transaction(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let pool = app
        .data("{ pool(first: 10) { nodes { txId } } }", json!({}))
        .await;
    let pending: Vec<Value> = pool["pool"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["txId"].clone())
        .collect();
    assert_eq!(pending.len(), 2);
    for (place, txid) in pending.iter().enumerate() {
        let status = app.data(STATUS, json!({ "id": txid })).await["transactionStatus"].clone();
        assert_eq!(
            status,
            json!({ "state": "PENDING", "blockHash": null, "height": null, "confirmations": 0, "poolPosition": place + 1 })
        );
    }
    let mined = app.mine(&a[0], Some(1)).await["data"]["mineBlock"].clone();
    let first = app.data(STATUS, json!({ "id": pending[0] })).await["transactionStatus"].clone();
    assert_eq!(
        first,
        json!({ "state": "MINED", "blockHash": mined["hash"], "height": 10, "confirmations": 1, "poolPosition": null })
    );
    let second = app.data(STATUS, json!({ "id": pending[1] })).await["transactionStatus"].clone();
    assert_eq!(second["poolPosition"], 1, "now first in line");
    app.mine(&a[0], Some(0)).await;
    let first = app.data(STATUS, json!({ "id": pending[0] })).await["transactionStatus"].clone();
    assert_eq!(first["confirmations"], 2);
    let unknown = app.data(STATUS, json!({ "id": "00".repeat(32) })).await;
    assert_eq!(unknown["transactionStatus"], Value::Null);
    assert_eq!(
        code(&app.gql(STATUS, json!({ "id": "xyz" })).await),
        "BAD_REQUEST"
    );
}

const ADDRESS: &str = "query($a: String!, $first: Int, $after: String) { address(address: $a) { address balance received sent txCount utxos(first: 100) { totalCount nodes { value } } transactions(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { netAmount transaction { id block { height } } } } pending { txId from to amount status } } }";

async fn any_address_has_totals_history_and_pending(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    for (n, address) in a.iter().enumerate() {
        let info = app
            .data(ADDRESS, json!({ "a": address, "first": 100 }))
            .await["address"]
            .clone();
        let balance = info["balance"].as_i64().unwrap();
        assert_eq!(balance, [75, 22, 1, 0, 0, 0, 1, 1][n]);
        assert_eq!(
            info["received"].as_i64().unwrap() - info["sent"].as_i64().unwrap(),
            balance
        );
        assert_eq!(
            info["utxos"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["value"].as_i64().unwrap())
                .sum::<i64>(),
            balance
        );
        let history = info["transactions"]["nodes"].as_array().unwrap();
        assert_eq!(history.len() as u64, info["txCount"].as_u64().unwrap());
        assert_eq!(info["transactions"]["totalCount"], info["txCount"]);
        // What every transaction did to the address adds up to what it holds.
        let net: i64 = history
            .iter()
            .map(|t| t["netAmount"].as_i64().unwrap())
            .sum();
        assert_eq!(net, balance, "address {n}");
        let heights: Vec<u64> = history
            .iter()
            .map(|t| t["transaction"]["block"]["height"].as_u64().unwrap())
            .collect();
        assert!(
            heights.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {heights:?}"
        );
    }
    // The first wallet: genesis 10 and 7 rounds of 10, minus what it paid; 7 ones came back,
    // 2 of them still pending.
    let first = app.data(ADDRESS, json!({ "a": a[0], "first": 100 })).await["address"].clone();
    assert_eq!(first["pending"].as_array().unwrap().len(), 2);
    assert!(
        first["pending"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["to"] == a[0] && p["status"] == "PENDING")
    );

    paging_with_cursors_gives_the_same_list(&app, &a[0], &first).await;
    an_unseen_address_is_zeros_a_malformed_one_refused(&app).await;
}

/// Paging `address`'s history with cursors, three at a time, gives the list `first` (its whole
/// history in one page) has.
async fn paging_with_cursors_gives_the_same_list(app: &TestApp, address: &str, first: &Value) {
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .data(ADDRESS, json!({ "a": address, "first": 3, "after": after }))
            .await;
        let transactions = &page["address"]["transactions"];
        paged.extend(
            transactions["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["transaction"]["id"].clone()),
        );
        if transactions["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = transactions["pageInfo"]["endCursor"].clone();
    }
    let all: Vec<Value> = first["transactions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["transaction"]["id"].clone())
        .collect();
    assert_eq!(paged, all);
}

/// An address never seen is all zeros; a malformed one is refused with its code.
async fn an_unseen_address_is_zeros_a_malformed_one_refused(app: &TestApp) {
    let unseen = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    let info = app.data(ADDRESS, json!({ "a": unseen })).await["address"].clone();
    assert_eq!(
        (
            info["balance"].clone(),
            info["received"].clone(),
            info["sent"].clone(),
            info["txCount"].clone()
        ),
        (json!(0), json!(0), json!(0), json!(0))
    );
    assert_eq!(info["transactions"]["nodes"], json!([]));
    assert_eq!(info["pending"], json!([]));
    assert_eq!(
        code(
            &app.gql(
                ADDRESS,
                json!({ "a": "1BoatSLRHtKNngkdXEeobR76b53LETtpyU" })
            )
            .await
        ),
        "INVALID_ADDRESS"
    );
}

fn activity(message: &Value) -> (String, String, String) {
    let event = &message["payload"]["data"]["addressActivity"];
    assert!(event.is_object(), "not an activity: {message}");
    (
        event["kind"].as_str().unwrap().to_owned(),
        event["address"].as_str().unwrap().to_owned(),
        event["txId"].as_str().unwrap().to_owned(),
    )
}

async fn address_activity_follows_pool_blocks_and_reverts(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    app.mine(&a[0], None).await; // the two pending sends, so the pool is empty
    let snapshot =
        app.data("mutation { snapshot { id } }", json!({})).await["snapshot"]["id"].clone();
    let query = format!(
        "subscription {{ addressActivity(addresses: [\"{}\", \"{}\"]) {{ kind address txId height blockHash }} }}",
        a[4], a[5]
    );
    let mut ws = subscribe(&app.base, "graphql-transport-ws", &query).await;
    // No client can tell when a subscription is in place: mine blocks paying the other watched
    // address until one is announced, then act.
    let probe = loop {
        app.mine(&a[4], Some(0)).await;
        let heard = tokio::time::timeout(std::time::Duration::from_millis(300), ws.next()).await;
        if let Ok(Some(Ok(Message::Text(text)))) = heard {
            let message: Value = serde_json::from_str(&text).unwrap();
            let (kind, address, txid) = activity(&message);
            assert_eq!((kind.as_str(), &address), ("MINED", &a[4]));
            break txid;
        }
    };
    let sent = app.send(&a[0], &a[5], 3).await;
    let txid = sent["data"]["send"]["txId"].as_str().unwrap().to_owned();
    assert_eq!(
        activity(&next_json(&mut ws).await),
        ("PENDING".into(), a[5].clone(), txid.clone())
    );
    let mined = app.mine(&a[1], None).await["data"]["mineBlock"].clone();
    let message = next_json(&mut ws).await;
    assert_eq!(
        activity(&message),
        ("MINED".into(), a[5].clone(), txid.clone())
    );
    assert_eq!(
        message["payload"]["data"]["addressActivity"]["height"],
        mined["height"]
    );
    assert_eq!(
        message["payload"]["data"]["addressActivity"]["blockHash"],
        mined["hash"]
    );
    // A block touching neither address says nothing; a revert takes the payment away.
    app.mine(&a[1], Some(0)).await;
    app.data(
        "mutation($id: ID!) { revert(id: $id) { height } }",
        json!({ "id": snapshot }),
    )
    .await;
    // Both blocks the subscriber heard of came after the snapshot: both transactions are gone.
    let mut gone = vec![
        activity(&next_json(&mut ws).await),
        activity(&next_json(&mut ws).await),
    ];
    gone.sort();
    let mut expected = vec![
        ("DISAPPEARED".to_owned(), a[5].clone(), txid),
        ("DISAPPEARED".to_owned(), a[4].clone(), probe),
    ];
    expected.sort();
    assert_eq!(gone, expected);

    for bad in [json!([]), json!(vec![a[0].clone(); 101])] {
        let query = format!("subscription {{ addressActivity(addresses: {bad}) {{ kind }} }}");
        let mut ws = subscribe(&app.base, "graphql-transport-ws", &query).await;
        let refused = next_json(&mut ws).await;
        assert_eq!(
            refused["payload"][0]["extensions"]["code"], "BAD_REQUEST",
            "{refused}"
        );
    }
    let mut ws = subscribe(
        &app.base,
        "graphql-transport-ws",
        "subscription { addressActivity(addresses: [\"1nope\"]) { kind } }",
    )
    .await;
    let refused = next_json(&mut ws).await;
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "INVALID_ADDRESS",
        "{refused}"
    );
}

fn pushed(message: &Value) -> Value {
    message["payload"]["data"]["transactionStatus"].clone()
}

async fn transaction_status_is_pushed_on_every_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let pool = app
        .data("{ pool(first: 10) { nodes { txId } } }", json!({}))
        .await;
    let second = pool["pool"]["nodes"][1]["txId"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = format!(
        "subscription {{ transactionStatus(txId: \"{second}\") {{ state height confirmations poolPosition }} }}"
    );
    let mut ws = subscribe(&app.base, "graphql-transport-ws", &query).await;
    assert_eq!(
        pushed(&next_json(&mut ws).await),
        json!({ "state": "PENDING", "height": null, "confirmations": 0, "poolPosition": 2 })
    );
    app.mine(&a[0], Some(1)).await;
    assert_eq!(pushed(&next_json(&mut ws).await)["poolPosition"], 1);
    app.mine(&a[0], Some(1)).await;
    assert_eq!(
        pushed(&next_json(&mut ws).await),
        json!({ "state": "MINED", "height": 11, "confirmations": 1, "poolPosition": null })
    );
    app.mine(&a[0], Some(0)).await;
    assert_eq!(pushed(&next_json(&mut ws).await)["confirmations"], 2);
    // An unknown transaction is null at once.
    let query = format!(
        "subscription {{ transactionStatus(txId: \"{}\") {{ state }} }}",
        "ab".repeat(32)
    );
    let mut unknown = subscribe(&app.base, "graphql-transport-ws", &query).await;
    assert_eq!(pushed(&next_json(&mut unknown).await), Value::Null);
}

const EXPLAIN: &str = "query($h: String!, $p: BlockPatch) { explainBlock(hash: $h, patch: $p) { height storedHash hash merkleRoot valid checks { rule status detail } brokenLink { height hash } laterBlocks } }";

fn statuses(check: &Value) -> Vec<(String, String)> {
    check["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["rule"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn failed(check: &Value) -> Vec<String> {
    statuses(check)
        .into_iter()
        .filter(|(_, s)| s == "FAILED")
        .map(|(r, _)| r)
        .collect()
}

async fn the_lab_explains_what_a_change_breaks(backend: Backend) {
    let app = spawn_app(backend).await;
    app.reset().await;
    let before = dump_tables(app.db.store().await.db(), PoolRows::All).await;
    let block = app
        .data(
            "{ block(height: 5) { hash nonce merkleRoot } next: block(height: 6) { hash } }",
            json!({}),
        )
        .await;
    let hash = block["block"]["hash"].clone();
    let explain = async |patch: Value| {
        app.data(EXPLAIN, json!({ "h": hash, "p": patch })).await["explainBlock"].clone()
    };

    let untouched = explain(Value::Null).await;
    assert_eq!(untouched["valid"], true);
    assert_eq!(untouched["hash"], hash);
    assert_eq!(untouched["merkleRoot"], block["block"]["merkleRoot"]);
    assert_eq!(statuses(&untouched).len(), 12);
    assert!(statuses(&untouched).iter().all(|(_, s)| s == "PASSED"));
    assert_eq!(untouched["brokenLink"], Value::Null);
    assert_eq!(untouched["laterBlocks"], 4);

    // Another nonce: another hash, so the next block's link breaks; the work holds only if the
    // new hash happens to have 12 leading zero bits.
    let nonce: u64 = block["block"]["nonce"].as_str().unwrap().parse().unwrap();
    let renonced = explain(json!({ "nonce": (nonce + 1).to_string() })).await;
    assert_ne!(renonced["hash"], hash);
    let work = statuses(&renonced)
        .into_iter()
        .find(|(r, _)| r == "proof of work")
        .unwrap()
        .1;
    assert_eq!(
        work == "PASSED",
        renonced["hash"].as_str().unwrap().starts_with("000")
    );
    assert_eq!(
        renonced["brokenLink"],
        json!({ "height": 6, "hash": block["next"]["hash"] })
    );

    // More paid out than spent: the txid changes (merkle root) and value is not conserved;
    // the header, so the hash and the link, stay.
    let inflated = explain(json!({ "output": { "tx": 1, "vout": 0, "value": 50 } })).await;
    assert_eq!(failed(&inflated), ["merkle root", "inputs and values"]);
    assert_eq!(inflated["hash"], hash);
    assert_ne!(inflated["merkleRoot"], block["block"]["merkleRoot"]);
    assert_eq!(inflated["brokenLink"], Value::Null);
    let detail = inflated["checks"][10]["detail"].as_str().unwrap();
    assert!(detail.contains("transaction 1"), "{detail}");
    // Fixing the header's root too: the root holds, the hash changes, the link breaks.
    let rerooted = explain(json!({ "output": { "tx": 1, "vout": 0, "value": 50 }, "merkleRoot": inflated["merkleRoot"] })).await;
    assert!(!failed(&rerooted).contains(&"merkle root".to_owned()));
    assert_eq!(rerooted["brokenLink"]["height"], 6);
    // Another owner is fine by the value rules, but the signature covered the outputs.
    let stolen = explain(json!({ "output": { "tx": 1, "vout": 0, "address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT" } })).await;
    assert_eq!(failed(&stolen), ["merkle root", "signatures"]);
    let relinked = explain(json!({ "prevHash": "00".repeat(32) })).await;
    assert!(failed(&relinked).contains(&"link to the previous block".to_owned()));

    // Bad patches and unknown blocks; nothing was ever written.
    let bad = app
        .gql(
            EXPLAIN,
            json!({ "h": hash, "p": { "output": { "tx": 99, "vout": 0 } } }),
        )
        .await;
    assert_eq!(code(&bad), "BAD_REQUEST");
    let bad = app
        .gql(EXPLAIN, json!({ "h": hash, "p": { "nonce": "-1" } }))
        .await;
    assert_eq!(code(&bad), "BAD_REQUEST");
    let unknown = app.data(EXPLAIN, json!({ "h": "ab".repeat(32) })).await;
    assert_eq!(unknown["explainBlock"], Value::Null);
    assert_eq!(
        code(&app.gql(EXPLAIN, json!({ "h": "zz" })).await),
        "BAD_REQUEST"
    );
    assert_eq!(
        dump_tables(app.db.store().await.db(), PoolRows::All).await,
        before
    );
}

/// `miningProgress` on a `pocket` binary at 20 bits, where a search takes long enough to sample.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mining_progress_is_sampled_while_a_block_is_mined() {
    let db = pocket_testkit::TestDb::new(Backend::Sqlite).await;
    let node = pocket_testkit::Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--difficulty", "20", "--mining-threads", "2"],
    )
    .await;
    let query = "subscription { miningProgress { height bits attempts bestHash bestZeroBits hashesPerSecond expectedAttempts elapsedMs done } }";
    let mut ws = subscribe(&node.base, "graphql-transport-ws", query).await;
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", node.base);
    let miner = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    // Mine until one search was long enough to be sampled while running, then ended.
    let (running, last) = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no search was sampled"
        );
        let mined = pocket_testkit::graphql(
            &http,
            &url,
            "mutation($a: String!) { mineBlock(address: $a, txCount: 0) { height hash } }",
            json!({ "a": miner }),
        )
        .await;
        assert!(mined.get("errors").is_none(), "{mined}");
        // The samples of that search, if it lasted long enough to be sampled, end with `done`.
        let mut samples: Vec<Value> = Vec::new();
        while let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(std::time::Duration::from_secs(1), ws.next()).await
        {
            let message: Value = serde_json::from_str(&text).unwrap();
            let sample = message["payload"]["data"]["miningProgress"].clone();
            let done = sample["done"] == true;
            samples.push(sample);
            if done {
                break;
            }
        }
        // The latest sample while it ran, once a round of nonces had been counted (a sample
        // taken as a search starts has none yet).
        let running = samples
            .iter()
            .rev()
            .find(|s| s["done"] == false && s["attempts"].as_u64().unwrap_or(0) > 0);
        if let (Some(running), Some(last)) = (running, samples.last()) {
            break (running.clone(), last.clone());
        }
    };
    assert_eq!(running["done"], false);
    assert_eq!(running["bits"], 20);
    assert_eq!(running["expectedAttempts"], 1_048_576.0);
    assert!(running["attempts"].as_u64().unwrap() > 0);
    assert!(running["hashesPerSecond"].as_f64().unwrap() > 0.0);
    let best = running["bestHash"].as_str().unwrap();
    let zero_bits = running["bestZeroBits"].as_u64().unwrap();
    let leading = best.chars().take_while(|c| *c == '0').count() as u64 * 4;
    assert!(
        zero_bits >= leading && zero_bits < leading + 4,
        "{best} has {zero_bits} zero bits?"
    );
    assert_eq!(last["done"], true);
    assert!(last["attempts"].as_u64().unwrap() >= running["attempts"].as_u64().unwrap());
}

/// Pages read the outputs their inputs spend from undo data; without it (a database from before
/// undo data) they read the blocks that created them, and say the same.
async fn spent_outputs_read_from_undo_data_match_the_blocks(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let page = "query($a: String!) { blocks(first: 20) { nodes { transactions { inputs { address value } } } } address(address: $a) { transactions(first: 50) { nodes { netAmount } } } }";
    let from_undo = app.data(page, json!({ "a": a[0] })).await;
    let values: Vec<&Value> = from_undo["blocks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["transactions"].as_array().unwrap())
        .flat_map(|t| t["inputs"].as_array().unwrap())
        .map(|i| &i["value"])
        .collect();
    assert!(
        values.iter().filter(|v| v.is_u64()).count() >= 12,
        "inputs resolved: {values:?}"
    );
    app.db.execute("DELETE FROM u").await;
    // Written behind the node's back: the state version moves as the node's commits move it, so
    // the page is not the response cache's copy.
    app.db
        .execute(r#"UPDATE "v" SET "n" = "n" + 1 WHERE "id" = 1"#)
        .await;
    assert_eq!(app.data(page, json!({ "a": a[0] })).await, from_undo);
}
