//! `--fork-url` through the binary: a copy of another node's chain up to a height, its dev
//! accounts usable, local blocks that never reach the source, and a height beyond the source's
//! tip refused.

use std::process::Command;

use serde_json::{Value, json};

use pocket_testkit::{Backend, Replica, TestDb, graphql, on_both_backends};

on_both_backends!(a_fork_copies_the_chain_then_goes_its_own_way);

const TIP: &str = "{ chain { height tipHash genesisHash } peers { url } }";
const FUND: &str = "mutation($a: String!, $n: Int!) { fund(address: $a, amount: $n) { status block { height hash } } }";
const BLOCK: &str = "query($h: Int!) { block(height: $h) { hash } }";

async fn data(base: &str, query: &str, variables: Value) -> Value {
    let body = graphql(
        &reqwest::Client::new(),
        &format!("{base}/graphql"),
        query,
        variables,
    )
    .await;
    assert_eq!(body["errors"], Value::Null, "{body}");
    body["data"].clone()
}

async fn a_fork_copies_the_chain_then_goes_its_own_way(backend: Backend) {
    let bin = env!("CARGO_BIN_EXE_pocket");
    let (source_db, fork_db) = (TestDb::new(backend).await, TestDb::new(backend).await);
    let source = Replica::start(bin, &source_db.url, &["--accounts", "10"]).await;
    let payee = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    for _ in 0..3 {
        data(&source.base, FUND, json!({ "a": payee, "n": 5 })).await;
    }
    let before = data(&source.base, TIP, json!({})).await;
    assert_eq!(before["chain"]["height"], 3);
    let block_2 = data(&source.base, BLOCK, json!({ "h": 2 })).await;

    let fork = Replica::start(
        bin,
        &fork_db.url,
        &["--fork-url", &source.base, "--fork-height", "2"],
    )
    .await;
    let copied = data(&fork.base, TIP, json!({})).await;
    assert_eq!(copied["chain"]["height"], 2);
    assert_eq!(
        copied["chain"]["genesisHash"],
        before["chain"]["genesisHash"]
    );
    assert_eq!(copied["chain"]["tipHash"], block_2["block"]["hash"]);
    assert_eq!(copied["peers"], json!([]), "the source is not followed");

    // The fork's dev accounts are its own wallets: a local payment is mined at once, locally.
    // (Another amount than the source's third payment: the same payment in the same second
    // would make the same block.)
    let local = data(&fork.base, FUND, json!({ "a": payee, "n": 6 })).await;
    assert_eq!(local["fund"]["block"]["height"], 3);
    assert_ne!(local["fund"]["block"]["hash"], before["chain"]["tipHash"]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let after = data(&source.base, TIP, json!({})).await;
    assert_eq!(after, before, "the source never hears of the fork's blocks");

    // Past the source's tip: refused before serving.
    let other = TestDb::new(backend).await;
    let refused = Command::new(bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &other.url,
        ])
        .args(["--fork-url", &source.base, "--fork-height", "9"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("its tip is at height 3, below 9"),
        "{stderr}"
    );
}
