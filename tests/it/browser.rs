//! The front end: its unit tests (Vitest), and an end-to-end run of the test stand and GraphiQL in
//! headless Chromium against a real server (playground/e2e/run.mjs).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::app::spawn_app;
use crate::harness::Backend;

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

#[test]
fn front_end_unit_tests() {
    require_node_modules();
    let output = Command::new("node")
        .args(["node_modules/vitest/vitest.mjs", "run"])
        .current_dir(playground())
        .output()
        .expect("node runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "vitest failed:\n{log}");
    assert!(log.contains("passed"), "vitest ran no test:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_stand_and_graphiql_in_chromium() {
    require_node_modules();
    let chromium = chromium();
    let app = spawn_app(Backend::Sqlite).await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("playground-screenshots");
    let output = tokio::process::Command::new("node")
        .arg("e2e/run.mjs")
        .arg(&app.base)
        .arg(&shots)
        .env("CHROMIUM_PATH", chromium)
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
