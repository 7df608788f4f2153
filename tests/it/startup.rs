//! What a server says and does at start and at its edges, through the binary: a dead
//! PostgreSQL URL fails fast with its reason, `--listen` takes a host name and `--peer` an
//! address without a scheme, log lines are plain off a terminal, a body over the limit is
//! refused readably every time, and subscription answers list fields in selection order.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pocket_testkit::{Backend, Replica, TestDb, graphql, next_json, subscribe};
use serde_json::json;

use crate::operator_safety::{pocket, text};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_postgres_url_fails_fast_naming_the_server_and_reason() {
    let missing = TestDb::new(Backend::Postgres).await.url;
    let (base, _) = missing.rsplit_once('/').unwrap();
    let missing_db = format!("{base}/no_such_database");
    let refused_port = format!("postgres://pocket@127.0.0.1:{}/pocket", free_port());
    for (url, reason) in [
        (refused_port.as_str(), "connection refused"),
        (missing_db.as_str(), "the database does not exist"),
    ] {
        let started = Instant::now();
        let out = pocket(&["status", "--database-url", url], None, &[]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success());
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
        assert!(
            stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:"),
            "{stderr}"
        );
        assert!(stderr.contains(reason), "{reason}: {stderr}");
    }
}

/// Starts `pocket serve ARGS` on a new SQLite chain with standard error piped.
fn serve(dir: &std::path::Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pocket"))
        .env("POCKET_ACCOUNTS", "0")
        .arg("serve")
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(args)
        .env_remove("POCKET_LOG")
        .env_remove("NO_COLOR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pocket serve starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_takes_a_host_name_and_peer_an_address_without_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let peer_port = free_port();
    let mut child = serve(
        dir.path(),
        &[
            "--listen",
            &format!("localhost:{port}"),
            "--peer",
            &format!("127.0.0.1:{peer_port}"),
        ],
    );
    // The first lines: a new chain, then where it serves; no colour codes in a pipe.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("pocket serving on") {
            break;
        }
    }
    assert!(seen[0].contains("a new chain in sqlite://"), "{seen:?}");
    assert!(seen.iter().all(|l| !l.contains('\u{1b}')), "{seen:?}");
    let http = reqwest::Client::new();
    let answer = graphql(
        &http,
        &format!("http://127.0.0.1:{port}/graphql"),
        "{ peers { url } }",
        json!({}),
    )
    .await;
    assert_eq!(
        answer["data"]["peers"][0]["url"],
        format!("http://127.0.0.1:{peer_port}")
    );
    let _ = child.kill();
    let _ = child.wait();

    // A peer that is no URL stops the start before anything is served.
    let out = pocket(
        &[
            "serve",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--peer",
            "ftp://x",
        ],
        None,
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--peer"),
        "{}",
        text(&out.stderr)
    );
    let out = pocket(&["serve", "--listen", "no-port"], None, &[]);
    assert!(
        text(&out.stderr).contains("--listen no-port"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_body_over_the_limit_is_refused_readably_every_time() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = Replica::start(env!("CARGO_BIN_EXE_pocket"), &db.url, &[]).await;
    let http = reqwest::Client::new();
    let huge = vec![b' '; 17 << 20];
    let large = vec![b' '; 1 << 20];
    for (route, body) in [("graphql/blocks", &huge), ("graphql", &large)] {
        for run in 0..50 {
            let answer = http
                .post(format!("{}/{route}", server.base))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("run {run} at /{route}: {e:?}"));
            assert_eq!(answer.status(), 413, "run {run} at /{route}");
            let refusal: serde_json::Value = answer.json().await.unwrap();
            assert_eq!(refusal["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscription_answers_list_fields_in_selection_order() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--difficulty", "4"],
    )
    .await;
    let query = "subscription { blockMined(afterHeight: -1) { txCount height hash } }";
    let mut feeds = Vec::new();
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        feeds.push(subscribe(&server.base, protocol, query).await);
    }
    let http = reqwest::Client::new();
    graphql(
        &http,
        &format!("{}/graphql", server.base),
        r#"mutation { mineBlocks(address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", count: 1) { height } }"#,
        json!({}),
    )
    .await;
    for mut feed in feeds {
        let answer = next_json(&mut feed).await;
        let block = answer["payload"]["data"]["blockMined"].as_object().unwrap();
        let fields: Vec<&str> = block.keys().map(String::as_str).collect();
        assert_eq!(fields, ["txCount", "height", "hash"], "{answer}");
    }
}
