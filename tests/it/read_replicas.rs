//! Reads past one database: `pocket serve --read-database-url` with a real streaming standby
//! (`pg_basebackup -R`) of a real primary, through the binary. Queries move to the standby;
//! a client that presents its write's state version reads it even while the standby's replay is
//! paused; a stopped standby costs no failed read; subscriptions and resumed streams keep
//! working; `pocket verify` passes on the primary afterwards.

use std::time::{Duration, Instant};

use pocket_testkit::{Replica, StandbyPair, next_json, subscribe};
use serde_json::{Value, json};

const MINER: &str = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    /// POSTs `query`, presenting `version` if given; the body and the answer's state version
    /// header.
    async fn post(&self, query: &str, version: Option<i64>) -> (Value, Option<i64>) {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query }));
        if let Some(version) = version {
            request = request.header("x-pocket-min-state-version", version.to_string());
        }
        let response = request.send().await.expect("POST");
        assert_eq!(response.status(), 200);
        let header = response
            .headers()
            .get("x-pocket-state-version")
            .map(|v| v.to_str().unwrap().parse().unwrap());
        let body: Value = response.json().await.expect("JSON");
        assert!(body["errors"].is_null(), "{query}: {body}");
        (body, header)
    }

    async fn mine(&self) -> (u64, i64) {
        let (body, header) = self
            .post(
                &format!("mutation {{ mineBlock(address: \"{MINER}\") {{ height }} }}"),
                None,
            )
            .await;
        let version = body["extensions"]["stateVersion"]
            .as_i64()
            .expect("stateVersion");
        assert_eq!(header, Some(version), "the header and the extension agree");
        (
            body["data"]["mineBlock"]["height"].as_u64().unwrap(),
            version,
        )
    }

    async fn height(&self, version: Option<i64>) -> Option<u64> {
        self.post("{ chain { height } }", version).await.0["data"]["chain"]["height"].as_u64()
    }

    /// `/metrics`, as text.
    async fn metrics(&self) -> String {
        let response = self.http.get(format!("{}/metrics", self.base)).send().await;
        response.unwrap().text().await.unwrap()
    }

    /// The reads each source served, from `/metrics`.
    async fn reads(&self) -> (u64, u64) {
        let text = self.metrics().await;
        let value = |prefix: &str| -> u64 {
            text.lines()
                .find(|l| l.starts_with("pocket_reads_served{") && l.contains(prefix))
                .and_then(|l| l.rsplit(' ').next()?.parse().ok())
                .unwrap_or(0)
        };
        (value("source=\"primary\""), value(":"))
    }

    async fn standby_up(&self) -> bool {
        self.metrics()
            .await
            .lines()
            .any(|l| l.starts_with("pocket_standby_up{") && l.ends_with(" 1"))
    }
}

async fn until(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queries_read_from_a_streaming_standby_and_never_fail_for_it() {
    let pair = StandbyPair::start().await;
    let server = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &pair.primary_url,
        &[
            "--read-database-url",
            &pair.standby_url,
            "--response-cache",
            "0",
        ],
    )
    .await;
    let client = Client {
        base: server.base.clone(),
        http: reqwest::Client::new(),
    };
    let (mut height, mut version) = client.mine().await;
    for _ in 0..4 {
        (height, version) = client.mine().await;
    }
    assert_eq!(height, 4);

    // Queries move to the standby once it has replayed the writes: its committed transactions
    // grow with them, the primary's barely (the node's polls of its state version).
    until(
        "the standby catches up",
        Duration::from_secs(10),
        async || client.height(None).await == Some(4) && client.reads().await.1 > 0,
    )
    .await;
    let (primary_before, standby_before) = pair.transactions().await;
    let (primary_reads, standby_reads) = client.reads().await;
    // Each query reads the chain's counts as well (six statements): what the standby serves
    // stands well clear of the primary's own background (its polls, the relay).
    for _ in 0..200 {
        let answer = client
            .post(
                "{ chain { height totalSupply utxoCount poolSize sideBlocks genesisHash } }",
                None,
            )
            .await
            .0;
        assert_eq!(answer["data"]["chain"]["height"], 4, "{answer}");
    }
    let (primary_reads_after, standby_reads_after) = client.reads().await;
    assert!(
        standby_reads_after - standby_reads >= 200,
        "{standby_reads} → {standby_reads_after}"
    );
    assert!(
        primary_reads_after - primary_reads < 20,
        "{primary_reads} → {primary_reads_after}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (primary_after, standby_after) = pair.transactions().await;
    assert!(
        standby_after - standby_before >= 200,
        "the standby's pg_stat_database: {standby_before} → {standby_after}"
    );
    assert!(
        primary_after - primary_before < (standby_after - standby_before) / 4,
        "the primary's pg_stat_database: {primary_before} → {primary_after}"
    );

    // Read-your-writes while the standby's replay is paused: the write's version, presented,
    // is answered by the primary; once replay resumes the standby serves again.
    pair.on_standby("SELECT pg_wal_replay_pause()").await;
    let (new_height, new_version) = client.mine().await;
    assert!(new_version > version);
    for _ in 0..20 {
        assert_eq!(client.height(Some(new_version)).await, Some(new_height));
    }
    pair.on_standby("SELECT pg_wal_replay_resume()").await;
    until(
        "queries without a version see the write",
        Duration::from_secs(10),
        async || client.height(None).await == Some(new_height),
    )
    .await;
    let (_, standby_reads) = client.reads().await;
    assert_eq!(client.height(Some(new_version)).await, Some(new_height));
    until(
        "the caught-up standby serves presented versions",
        Duration::from_secs(5),
        async || {
            client.height(Some(new_version)).await;
            client.reads().await.1 > standby_reads
        },
    )
    .await;

    // Subscriptions: live blocks from the primary's announcements, and a resumed stream that
    // replays every block.
    let mut live = subscribe(
        &server.base,
        "graphql-transport-ws",
        "subscription { blockMined { height } }",
    )
    .await;
    let mut resumed = subscribe(
        &server.base,
        "graphql-transport-ws",
        "subscription { blockMined(afterHeight: -1) { height } }",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mined, _) = client.mine().await;
    let message = next_json(&mut live).await;
    assert_eq!(
        message["payload"]["data"]["blockMined"]["height"],
        json!(mined),
        "{message}"
    );
    for expected in 0..=mined {
        let message = next_json(&mut resumed).await;
        assert_eq!(
            message["payload"]["data"]["blockMined"]["height"],
            json!(expected),
            "{message}"
        );
    }

    // A stopped standby costs no failed read; a restarted one is taken back.
    pair.stop_standby();
    for _ in 0..50 {
        assert_eq!(client.height(None).await, Some(mined));
    }
    until(
        "the stopped standby is marked down",
        Duration::from_secs(5),
        async || !client.standby_up().await,
    )
    .await;
    let (again, _) = client.mine().await;
    assert_eq!(client.height(None).await, Some(again));
    pair.restart_standby().await;
    until(
        "the restarted standby is read from again",
        Duration::from_secs(20),
        async || {
            let (_, before) = client.reads().await;
            client.height(None).await == Some(again) && client.reads().await.1 > before
        },
    )
    .await;

    server.terminate();
    let verify = tokio::process::Command::new(env!("CARGO_BIN_EXE_pocket"))
        .args(["verify", "--database-url", &pair.primary_url])
        .output()
        .await
        .expect("pocket verify runs");
    assert!(
        verify.status.success(),
        "pocket verify on the primary: {}",
        String::from_utf8_lossy(&verify.stderr)
    );
}
