//! The front end: its operation types against the schema (graphql-codegen), its type check, its
//! unit tests (Vitest), and an end-to-end run of the test stand and GraphiQL in headless Chromium
//! against a real server (playground/e2e/run.mjs).

use std::path::{Path, PathBuf};
use std::process::Command;

use pocket_chain::graphql::QueryLimits;
use pocket_chain::server::ServerConfig;

use crate::app::{spawn_app, spawn_app_with};
use pocket_testkit::{Backend, Replica, TestDb};

fn playground() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("playground")
}

/// The front end's packages, or a failure that says how to install them.
fn require_node_modules() {
    let modules = playground().join("node_modules");
    assert!(
        modules.join("playwright-core").exists() && modules.join("vitest").exists(),
        "the playground's npm packages are missing: run `npm ci --prefix playground` (Node.js 20+)"
    );
}

fn chromium() -> String {
    let path = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&path).exists(),
        "Chromium not found at {path}: install Debian's `chromium` package (apt-get install chromium) \
         or set CHROMIUM_PATH"
    );
    path
}

/// Runs a node script of the playground's packages; its output, or a failure with the output.
fn run_node(args: &[&str], what: &str) -> String {
    require_node_modules();
    let output = Command::new("node")
        .args(args)
        .current_dir(playground())
        .output()
        .expect("node runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what} failed:\n{log}");
    log
}

#[test]
fn front_end_operation_types_match_the_schema() {
    // `--check` fails when regenerating would change src/generated/operations.ts: after a schema
    // or operation change, run `npm run codegen --prefix playground` and commit the result.
    run_node(
        &[
            "node_modules/@graphql-codegen/cli/cjs/bin.js",
            "--config",
            "codegen.yml",
            "--check",
        ],
        "graphql-codegen --check (run `npm run codegen --prefix playground`)",
    );
    run_node(
        &["node_modules/typescript/bin/tsc", "--noEmit"],
        "tsc --noEmit",
    );
}

#[test]
fn front_end_unit_tests() {
    let log = run_node(&["node_modules/vitest/vitest.mjs", "run"], "vitest");
    assert!(log.contains("passed"), "vitest ran no test:\n{log}");
}

/// One browser at a time: two Chromiums beside the other tests would crowd a small machine.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `e2e/run.mjs` against `base`: its token tour when given a token, its network tour with
/// `POCKET_PEER` (a second server) in `env`, the README's quickstart with `POCKET_QUICKSTART`.
async fn run_e2e(base: &str, token: Option<&str>, env: &[(&str, &str)]) {
    require_node_modules();
    let chromium = chromium();
    let _turn = ONE_BROWSER.lock().await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("playground-screenshots");
    let output = tokio::process::Command::new("node")
        .arg("e2e/run.mjs")
        .arg(base)
        .arg(&shots)
        .args(token)
        .env("CHROMIUM_PATH", chromium)
        .envs(env.iter().copied())
        .current_dir(playground())
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("browser test screenshots: {}", shots.display());
    assert!(
        output.status.success(),
        "browser test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_stand_and_graphiql_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await;
    run_e2e(&app.base, None, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_stand_with_an_api_token_in_chromium() {
    let token = "e2e-token";
    let config = ServerConfig {
        api_token: Some(token.into()),
        limits: QueryLimits {
            introspection: false,
            ..QueryLimits::default()
        },
        ..ServerConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    run_e2e(&app.base, Some(token), &[]).await;
}

/// Two nodes: the stand adds the second as a peer, drops it, both mine, adds it again, and shows
/// the reorganisation and the stale block in the block tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_stand_shows_peers_a_fork_and_a_reorganisation_in_chromium() {
    let app = spawn_app(Backend::Sqlite).await;
    let peer = spawn_app(Backend::Sqlite).await;
    run_e2e(&app.base, None, &[("POCKET_PEER", &peer.base)]).await;
}

/// The README's quickstart, step by step, on `pocket` started as `cargo run` starts it: a new
/// chain with its ten dev accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_readme_quickstart_in_chromium() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = Replica::start(env!("CARGO_BIN_EXE_pocket"), &db.url, &["--accounts", "10"]).await;
    run_e2e(&server.base, None, &[("POCKET_QUICKSTART", "1")]).await;
}
