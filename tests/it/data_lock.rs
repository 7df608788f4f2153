//! One SQLite database, one writing process: a server holds its database, a second server is
//! refused with the first one's address, and a command that writes while a server holds it is
//! carried out by that server, whose subscribers hear of it.

use std::time::{Duration, Instant};

use pocket_testkit::{Backend, Replica, TestDb, next_json, subscribe};

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
