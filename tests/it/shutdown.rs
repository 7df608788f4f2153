//! Graceful shutdown of a real `pocket serve` process: SIGTERM lets a request in flight finish;
//! a nonce search that outlasts the drain timeout is cancelled and writes nothing.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use pocket_testkit::{Backend, Replica, TestDb, graphql};

/// Creates a wallet, starts mining the genesis block to it, waits until the search surely runs,
/// then sends SIGTERM. The answer to the mining request.
async fn terminate_while_mining(replica: &Replica) -> Value {
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", replica.base);
    let created = graphql(&http, &url, "mutation { newWallet { address } }", json!({})).await;
    let address = created["data"]["newWallet"]["address"].clone();
    let mining = tokio::spawn(async move {
        let mine = "mutation($a: String!) { mineBlock(address: $a) { height } }";
        graphql(&http, &url, mine, json!({ "a": address })).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!mining.is_finished(), "the search ended too early to test");
    replica.terminate();
    mining.await.unwrap()
}

#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut replica = Replica::start(env!("CARGO_BIN_EXE_pocket"), &db.url, &[]).await;
    let address = replica.base.trim_start_matches("http://").to_owned();
    // A mutation whose body is only half sent when SIGTERM arrives: the request is in flight.
    let body = json!({ "query": "mutation { newWallet { address } }" }).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    replica.terminate();
    // New connections are soon refused; this one is still served.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(&address).await.is_ok() {
        assert!(Instant::now() < deadline, "still accepting connections");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"newWallet\":{\"address\":\"1"),
        "{answer}"
    );
    assert!(replica.exited(Duration::from_secs(15)).await.success());
    // The wallet it answered with is stored.
    let node = db.node().await;
    assert_eq!(node.wallets(None, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_search_past_the_drain_timeout_is_cancelled_and_writes_nothing() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut replica = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--difficulty", "60", "--drain-timeout", "1"],
    )
    .await;
    let answer = terminate_while_mining(&replica).await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "INTERNAL",
        "{answer}"
    );
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("shutting down"),
        "{answer}"
    );
    assert!(replica.exited(Duration::from_secs(10)).await.success());
    let node = db.node().await;
    assert_eq!(node.chain_info().await.unwrap().height, None);
}
