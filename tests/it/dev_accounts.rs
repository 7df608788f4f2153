//! Dev accounts through the binary: the same flags give the same accounts and genesis on any
//! machine, `fund` pays any address (spent afterwards with a client-signed transaction), resets
//! start empty or funded again, and a chain with another premine is refused by a restart, by
//! import and by a peer.

use std::process::Command;

use pocket_chain::chain::{SecretKey, SigningRequest};
use serde_json::{Value, json};

use pocket_testkit::{Backend, Replica, TestDb, graphql, on_both_backends};

on_both_backends!(
    dev_accounts_are_fixed_funded_and_reset,
    another_premine_is_refused_by_import_and_by_a_peer,
);

const ACCOUNTS: &str = "{ chain { height genesisHash } devAccounts { index address secretKey balance faucet } mining { mode address } }";
const FUND: &str = "mutation($a: String!, $n: Int!) { fund(address: $a, amount: $n) { status txId block { height } } }";
const BUILD: &str = "query($f: String!, $t: String!, $a: Int!) { buildTransaction(from: $f, to: $t, amount: $a) { signingRequest } }";
const SUBMIT: &str = "mutation($h: String!) { submitTransaction(rawHex: $h) { status } }";
const RESET: &str = "mutation($to: ResetTarget!) { resetSystem(to: $to) { address balance } }";

struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    fn of(replica: &Replica) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: format!("{}/graphql", replica.base),
        }
    }

    async fn call(&self, query: &str, variables: Value) -> Value {
        graphql(&self.http, &self.url, query, variables).await
    }

    async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.call(query, variables).await;
        assert_eq!(body["errors"], Value::Null, "{body}");
        body["data"].clone()
    }

    async fn code(&self, query: &str, variables: Value) -> String {
        let body = self.call(query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("refused: {body}"))
            .to_owned()
    }
}

fn pocket(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pocket"))
        .args(args)
        .output()
        .expect("pocket runs")
}

async fn dev_accounts_are_fixed_funded_and_reset(backend: Backend) {
    let bin = env!("CARGO_BIN_EXE_pocket");
    let (one, two) = (TestDb::new(backend).await, TestDb::new(backend).await);
    let flags = ["--accounts", "10"];
    let first = Replica::start(bin, &one.url, &flags).await;
    let second = Replica::start(bin, &two.url, &flags).await;
    let (a, b) = (Api::of(&first), Api::of(&second));
    let accounts = a.data(ACCOUNTS, json!({})).await;
    assert_eq!(
        accounts,
        b.data(ACCOUNTS, json!({})).await,
        "two machines agree"
    );
    assert_eq!(accounts["chain"]["height"], 0);
    let list = accounts["devAccounts"].as_array().unwrap();
    assert_eq!(list.len(), 10);
    assert!(list.iter().all(|a| a["balance"] == 10_000));
    let faucet = list[9]["address"].as_str().unwrap();
    assert_eq!(list[9]["faucet"], true);
    assert_eq!(
        accounts["mining"],
        json!({ "mode": "AUTO", "address": faucet })
    );

    // The CLI derives the same keys.
    let derived = pocket(&["key", "derive", "3"]);
    let line = String::from_utf8_lossy(&derived.stdout);
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        [
            list[3]["address"].as_str().unwrap(),
            list[3]["secretKey"].as_str().unwrap()
        ]
    );

    fund_and_spend(&a).await;
    resets(&a, &accounts).await;
    drop(first);
    // The same database started with another premine is refused before anything is written.
    let refused = Command::new(bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &one.url,
        ])
        .args(["--keystore-key", &"07".repeat(32), "--accounts", "3"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("premine of 3 outputs"), "{stderr}");
}

/// `fund` pays an address no node holds a key for; its owner spends it with a client-signed
/// transaction; a faucet asked for more than it has refuses with its balance.
async fn fund_and_spend(api: &Api) {
    let key = SecretKey::generate().unwrap();
    let owner = key.public_key().address().to_string();
    let funded = api.data(FUND, json!({ "a": owner, "n": 250 })).await;
    assert_eq!(funded["fund"]["status"], "MINED", "{funded}");
    let built = api
        .data(
            BUILD,
            json!({ "f": owner, "t": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "a": 100 }),
        )
        .await;
    let hex_text = built["buildTransaction"]["signingRequest"]
        .as_str()
        .unwrap();
    let mut request = SigningRequest::decode(&hex::decode(hex_text).unwrap()).unwrap();
    request.sign_with(&key).unwrap();
    let raw = hex::encode(request.tx.encode());
    let spent = api.data(SUBMIT, json!({ "h": raw })).await;
    assert_eq!(spent["submitTransaction"]["status"], "MINED");
    let balance = api
        .data(
            "query($a: String!) { address(address: $a) { balance } }",
            json!({ "a": owner }),
        )
        .await;
    assert_eq!(balance["address"]["balance"], 150);
    let code = api.code(FUND, json!({ "a": owner, "n": 1_000_000 })).await;
    assert_eq!(code, "FAUCET_EMPTY");
}

/// EMPTY leaves nothing (and no faucet); ACCOUNTS brings back the same genesis and accounts.
async fn resets(api: &Api, started: &Value) {
    let empty = api.data(RESET, json!({ "to": "EMPTY" })).await;
    assert_eq!(empty["resetSystem"], json!([]));
    let now = api.data(ACCOUNTS, json!({})).await;
    assert_eq!(now["chain"], json!({ "height": null, "genesisHash": null }));
    assert_eq!(now["devAccounts"], json!([]));
    let code = api
        .code(
            FUND,
            json!({ "a": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "n": 1 }),
        )
        .await;
    assert_eq!(code, "NO_FAUCET");
    let wallets = api.data("{ wallets { totalCount } }", json!({})).await;
    assert_eq!(wallets["wallets"]["totalCount"], 0);

    let again = api.data(RESET, json!({ "to": "ACCOUNTS" })).await;
    assert_eq!(again["resetSystem"].as_array().unwrap().len(), 10);
    assert_eq!(api.data(ACCOUNTS, json!({})).await, *started);
}

async fn another_premine_is_refused_by_import_and_by_a_peer(backend: Backend) {
    let bin = env!("CARGO_BIN_EXE_pocket");
    let source = TestDb::new(backend).await;
    let server = Replica::start(bin, &source.url, &["--accounts", "10"]).await;
    let api = Api::of(&server);
    let miner = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    api.data(
        "mutation($a: String!) { mineBlocks(address: $a, count: 3) { height } }",
        json!({ "a": miner }),
    )
    .await;

    // An archive of the premined chain: refused by an import asking for another premine, taken
    // (premine and all) by one that asks for nothing.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chain.pocket");
    let file = file.to_str().unwrap();
    let export = pocket(&["export", file, "--database-url", &source.url]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let target = TestDb::new(backend).await;
    let other = target.url.clone();
    let refused = pocket(&["import", file, "--database-url", &other, "--accounts", "3"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("premine"), "{stderr}");
    let taken = pocket(&["import", file, "--database-url", &other]);
    assert!(
        taken.status.success(),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    let verify = pocket(&["verify", "--database-url", &other]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    // `verify` checks the genesis against the premine recorded with the chain.
    target.execute(r#"UPDATE "cp" SET "premine" = NULL"#).await;
    let verify = pocket(&["verify", "--database-url", &other]);
    assert!(!verify.status.success());
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(stderr.contains("coinbase pays 100000"), "{stderr}");

    // A node without the premine never takes the chain from a peer: its genesis breaks the
    // node's coinbase rule.
    let empty = TestDb::new(backend).await;
    let follower = Replica::start(bin, &empty.url, &["--accounts", "0"]).await;
    let peer = Api::of(&follower);
    peer.data(
        "mutation($u: String!) { addPeer(url: $u) { url } }",
        json!({ "u": server.base }),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let error = loop {
        let peers = peer.data("{ peers { state lastError } }", json!({})).await;
        if let Some(error) = peers["peers"][0]["lastError"].as_str() {
            break error.to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "{peers}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(error.contains("coinbase"), "{error}");
    let chain = peer.data("{ chain { height } }", json!({})).await;
    assert_eq!(chain["chain"]["height"], Value::Null);
}
