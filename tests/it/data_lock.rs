//! One SQLite database, one writing process: a server holds its database, a second server is
//! refused with the first one's address, and a command that writes while a server holds it is
//! carried out by that server, whose subscribers hear of it. Holding its database, a server knows
//! its state version without reading it, and its cached answers still follow every change (a
//! reorganisation and a reset included).

use std::time::{Duration, Instant};

use pocket_testkit::{
    Backend, NETWORK_BITS, Replica, TestDb, graphql, network_builder, next_json, subscribe, tip_of,
};
use serde_json::{Value, json};

use crate::operator_safety::{pocket, text};

const MINER: &str = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cli_write_beside_a_server_reaches_its_subscribers() {
    let db = TestDb::new(Backend::Sqlite).await;
    let bin = env!("CARGO_BIN_EXE_pocket");
    let server = Replica::start(bin, &db.url, &["--difficulty", "4"]).await;

    // A second server on the same database is refused, naming the first.
    let second = pocket(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db.url,
        ],
        None,
        &[],
    );
    let stderr = text(&second.stderr);
    assert!(!second.status.success());
    assert!(stderr.contains("is held by pocket serve (pid "), "{stderr}");
    assert!(
        stderr.contains(&server.base),
        "names the first server's address: {stderr}"
    );

    let mut blocks = subscribe(
        &server.base,
        "graphql-transport-ws",
        "subscription { blockMined(afterHeight: -1) { height hash } }",
    )
    .await;
    let mined = pocket(
        &["mine", MINER, "--blocks", "2", "--database-url", &db.url],
        None,
        &[],
    );
    let ended = Instant::now();
    assert!(mined.status.success(), "{}", text(&mined.stderr));
    assert!(text(&mined.stderr).contains("its server mines the blocks"));
    let printed: Vec<String> = text(&mined.stdout).lines().map(str::to_owned).collect();
    assert_eq!(printed.len(), 2, "{printed:?}");
    for (height, line) in printed.iter().enumerate() {
        let heard = next_json(&mut blocks).await;
        let block = &heard["payload"]["data"]["blockMined"];
        assert_eq!(
            line,
            &format!("mined {height} {}", block["hash"].as_str().unwrap())
        );
    }
    assert!(
        ended.elapsed() < Duration::from_secs(1),
        "heard within a second of the command's end"
    );

    // Commands that need the database to themselves are refused with the server's address.
    let reindex = pocket(&["reindex", "--database-url", &db.url], None, &[]);
    assert!(!reindex.status.success());
    assert!(
        text(&reindex.stderr).contains(&server.base),
        "{}",
        text(&reindex.stderr)
    );

    // `demo` asks the server: without a terminal it needs --yes, then the server resets.
    let asked = pocket(&["demo", "--database-url", &db.url], None, &[]);
    assert!(
        text(&asked.stderr).contains("would delete the 2 blocks"),
        "{}",
        text(&asked.stderr)
    );
    let reset = pocket(&["demo", "--yes", "--database-url", &db.url], None, &[]);
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert_eq!(text(&reset.stdout).lines().count(), 8);
    let status = pocket(&["status", "--database-url", &db.url], None, &[]);
    assert!(
        text(&status.stdout).contains(&server.base),
        "{}",
        text(&status.stdout)
    );

    // Once the server has stopped, the database is free again.
    drop(server);
    let alone = pocket(
        &["mine", MINER, "--blocks", "1", "--database-url", &db.url],
        None,
        &[],
    );
    assert!(alone.status.success(), "{}", text(&alone.stderr));
    assert!(!text(&alone.stderr).contains("its server"));
}

/// Asks `query` and returns its answer with the response cache's verdict (`hit` or `miss`).
async fn cached(http: &reqwest::Client, base: &str, query: &str) -> (Value, String) {
    let response = http
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let cache = response.headers()["x-pocket-cache"]
        .to_str()
        .unwrap()
        .to_owned();
    (response.json().await.unwrap(), cache)
}

/// Runs a mutation and returns its data and the state version its answer carries.
async fn mutate(http: &reqwest::Client, base: &str, query: &str) -> (Value, i64) {
    let answer = graphql(http, &format!("{base}/graphql"), query, json!({})).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let version = answer["extensions"]["stateVersion"].as_i64().unwrap();
    (answer["data"].clone(), version)
}

/// A server holding its SQLite database knows its state version without reading it (every change
/// is its own): cached answers still change with every kind of change, the CLI's writes through
/// the server included, and each mutation's answer names a version that only grows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_holding_its_database_keeps_cached_answers_current() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--difficulty", "4"],
    )
    .await;
    let http = reqwest::Client::new();
    let (reset, mut version) =
        mutate(&http, &server.base, "mutation { resetSystem { address } }").await;
    let a: Vec<String> = reset["resetSystem"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["address"].as_str().unwrap().to_owned())
        .collect();
    let query = format!(
        r#"{{ wallet(address: "{}") {{ balance pending {{ amount }} }} chain {{ height poolSize }} wallets {{ totalCount }} }}"#,
        a[1]
    );
    let (first, cache) = cached(&http, &server.base, &query).await;
    assert_eq!(cache, "miss");
    assert_eq!(
        cached(&http, &server.base, &query).await,
        (first.clone(), "hit".to_owned())
    );

    // Each change is seen by the very next read, and moves the version on.
    let (_, after) = mutate(&http, &server.base, "mutation { snapshot { id } }").await;
    assert!(after > version);
    version = after;
    let mut seen = first.clone();
    let changes = [
        format!(
            r#"mutation {{ send(from: "{}", to: "{}", amount: 5) {{ txId }} }}"#,
            a[1], a[2]
        ),
        format!(
            r#"mutation {{ mineBlock(address: "{}") {{ height }} }}"#,
            a[0]
        ),
        "mutation { newWallet { address } }".to_owned(),
        "mutation { revert(id: \"1\") { height } }".to_owned(),
    ];
    for change in &changes {
        let (_, after) = mutate(&http, &server.base, change).await;
        assert!(after > version, "{change}: version {after} after {version}");
        version = after;
        let (now, cache) = cached(&http, &server.base, &query).await;
        assert_eq!(cache, "miss", "after {change}");
        assert_ne!(now, seen, "{change} changed what the query answers");
        seen = now;
    }
    // The revert took back the send, the block and the wallet.
    assert_eq!(seen, first);
    assert_eq!(cached(&http, &server.base, &query).await.1, "hit");

    // A command's write reaches the server, and so its cache.
    let mined = pocket(
        &["mine", MINER, "--blocks", "1", "--database-url", &db.url],
        None,
        &[],
    );
    assert!(mined.status.success(), "{}", text(&mined.stderr));
    let (after_cli, cache) = cached(&http, &server.base, &query).await;
    assert_eq!(cache, "miss");
    assert_eq!(
        after_cli["data"]["chain"]["height"].as_i64(),
        seen["data"]["chain"]["height"].as_i64().map(|h| h + 1)
    );
}

/// The same for the changes a block tree makes and a reset: blocks submitted by hand connect, a
/// branch with more work reorganises the chain, and `resetSystem` empties it; after each, the
/// next read of a cached query is answered anew and shows the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reorganisation_and_a_reset_reach_a_sole_writers_cache() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--difficulty", NETWORK_BITS],
    )
    .await;
    let http = reqwest::Client::new();
    let query = "{ chain { height tipHash } }";
    let build = network_builder();
    let genesis = build.block(None, vec![], 1_700_000_000);
    let one = build.block(Some(&tip_of(&genesis, 0)), vec![], 1_700_000_001);
    let side_one = build.block(Some(&tip_of(&genesis, 0)), vec![], 1_700_000_101);
    let side_two = build.block(Some(&tip_of(&side_one, 1)), vec![], 1_700_000_102);
    let (empty, cache) = cached(&http, &server.base, query).await;
    assert_eq!(
        (empty["data"]["chain"]["height"].clone(), cache.as_str()),
        (Value::Null, "miss")
    );
    assert_eq!(cached(&http, &server.base, query).await.1, "hit");

    let mut version = 0;
    let steps = [
        (&genesis, "CONNECTED", 0, &genesis),
        (&one, "CONNECTED", 1, &one),
        (&side_one, "SIDE_BRANCH", 1, &one),
        (&side_two, "REORGANIZED", 2, &side_two),
    ];
    for (block, status, height, tip) in steps {
        let (answer, after) = mutate(
            &http,
            &server.base,
            &format!(
                r#"mutation {{ submitBlock(rawHex: "{}") {{ status }} }}"#,
                hex::encode(block.encode())
            ),
        )
        .await;
        assert_eq!(answer["submitBlock"]["status"], status);
        assert!(after > version, "{status}: version {after} after {version}");
        version = after;
        let (now, cache) = cached(&http, &server.base, query).await;
        assert_eq!(cache, "miss", "after {status}");
        assert_eq!(now["data"]["chain"]["height"], height, "after {status}");
        assert_eq!(now["data"]["chain"]["tipHash"], tip.hash().to_string());
        assert_eq!(cached(&http, &server.base, query).await.1, "hit");
    }

    let (_, after) = mutate(
        &http,
        &server.base,
        "mutation { resetSystem(to: EMPTY) { address } }",
    )
    .await;
    assert!(after > version);
    let (reset, cache) = cached(&http, &server.base, query).await;
    assert_eq!((reset, cache.as_str()), (empty, "miss"));
}
