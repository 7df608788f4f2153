//! The command line's output, read by a program that stops reading (`pocket mine | head -1`):
//! the command ends quietly with status 0, as Unix tools do, and what it printed stands.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use pocket_testkit::{Backend, TestDb};

#[tokio::test]
async fn a_reader_that_stops_reading_ends_the_command_quietly() {
    let db = TestDb::new(Backend::Sqlite).await;
    // Mining until stopped: the reader takes one line and goes away.
    let mut miner = Command::new(env!("CARGO_BIN_EXE_pocket"))
        .env("POCKET_ACCOUNTS", "0")
        .args([
            "mine",
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
            "--difficulty",
            "8",
        ])
        .args(["--database-url", &db.url])
        .env("POCKET_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pocket runs");
    let mut first = String::new();
    BufReader::new(miner.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("mined 0 "), "{first}");
    let out = miner.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The printed block is committed.
    let store = pocket_chain::store::Store::open(&db.url).await.unwrap();
    let stored = pocket_chain::store::blocks::hashes_at(store.db(), &[0])
        .await
        .unwrap();
    assert_eq!(
        Some(stored[0].1.to_string().as_str()),
        first.split_whitespace().nth(2),
        "{first}"
    );

    // A key printed to a reader that is already gone.
    let mut key = Command::new(env!("CARGO_BIN_EXE_pocket"))
        .env("POCKET_ACCOUNTS", "0")
        .args(["key", "new"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pocket runs");
    drop(key.stdout.take());
    let out = key.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
