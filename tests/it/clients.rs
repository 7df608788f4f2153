//! The server driven by GraphQL clients its users bring, none of them ours: graphql-js
//! (introspection, against `schema.graphql`), Apollo Client (with its persisted-queries link),
//! urql, graphql-ws, subscriptions-transport-ws, graphql-sse and graphql-request, in Node's test
//! runner (tests/clients/).

use std::path::{Path, PathBuf};

use crate::app::spawn_app;
use pocket_testkit::Backend;

fn clients() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn third_party_clients_work_against_a_real_server() {
    let dir = clients();
    assert!(
        dir.join("node_modules/@apollo/client").exists(),
        "the client suite's npm packages are missing: run `npm ci --prefix tests/clients` \
         (or `scripts/test`, which installs everything)"
    );
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/clients")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".test.mjs"))
        .collect();
    files.sort();
    let app = spawn_app(Backend::Sqlite).await;
    // Each test has two minutes, and the runner exits when they are done even if a client left
    // a socket open: a stuck client fails the suite rather than hanging it.
    let run = tokio::process::Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "--test-timeout=120000",
            "--test-force-exit",
        ])
        .args(&files)
        .env("POCKET_URL", &app.base)
        .env(
            "POCKET_SCHEMA",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql"),
        )
        .current_dir(&dir)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(900), run)
        .await
        .expect("the client suite ends within 15 minutes")
        .expect("node runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{log}");
    assert!(output.status.success(), "client suite failed:\n{log}");
    let count = |label: &str| {
        log.lines()
            .find_map(|line| line.strip_prefix(&format!("ℹ {label} ")))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or_else(|| panic!("no `{label}` count in:\n{log}"))
    };
    assert_eq!(count("fail"), 0);
    assert!(
        count("pass") >= files.len(),
        "every client's file ran its tests: {files:?}\n{log}"
    );
}
