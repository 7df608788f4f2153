//! A production API through the binary: `--introspection false` and `--persisted-only` with an
//! Apollo manifest, on every transport (HTTP POST and GET, graphql-transport-ws, SSE).

use std::time::Duration;

use pocket_testkit::{Backend, Replica, TestDb};
use pocket_testkit::{next_json, subscribe};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const HEIGHT: &str = "query Height { chain { height } }";
const LIVE: &str = "subscription Live { blockMined { height } }";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(base: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_api_runs_only_its_own_documents() {
    let db = TestDb::new(Backend::Sqlite).await;
    let manifest = tempfile::NamedTempFile::new().expect("temp file");
    let operations: Vec<Value> = [("Height", "query", HEIGHT), ("Live", "subscription", LIVE)]
        .iter()
        .map(|(name, kind, body)| json!({ "id": sha256(body), "name": name, "type": kind, "body": body }))
        .collect();
    let document = json!({ "format": "apollo-persisted-query-manifest", "version": 1, "operations": operations });
    std::fs::write(manifest.path(), document.to_string()).expect("write manifest");
    let path = manifest.path().to_str().expect("utf-8 path");
    let server = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &[
            "--introspection",
            "false",
            "--persisted-queries",
            path,
            "--persisted-only",
        ],
    )
    .await;
    let base = &server.base;

    // The manifest's documents run by hash, and by their text.
    let by_hash = post(base, json!({ "extensions": persisted(&sha256(HEIGHT)) })).await;
    assert!(by_hash["errors"].is_null(), "{by_hash}");
    assert!(by_hash["data"]["chain"].is_object(), "{by_hash}");
    let by_text = post(base, json!({ "query": HEIGHT })).await;
    assert!(by_text["errors"].is_null(), "{by_text}");
    let get = reqwest::get(format!(
        "{base}/graphql?extensions={}",
        urlencode(&persisted(&sha256(HEIGHT)).to_string())
    ))
    .await
    .expect("GET")
    .json::<Value>()
    .await
    .expect("JSON");
    assert!(get["errors"].is_null(), "{get}");

    // Any other document is refused, and is not learned.
    let other = "{ chain { height tipHash } }";
    let refused = post(base, json!({ "query": other })).await;
    assert_eq!(code(&refused), "PERSISTED_QUERY_ONLY", "{refused}");
    let with_hash = post(
        base,
        json!({ "query": other, "extensions": persisted(&sha256(other)) }),
    )
    .await;
    assert_eq!(code(&with_hash), "PERSISTED_QUERY_ONLY", "{with_hash}");
    let unknown = post(base, json!({ "extensions": persisted(&sha256(other)) })).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND", "{unknown}");

    // Over a WebSocket and over SSE, too.
    let mut ws = subscribe(base, "graphql-transport-ws", other).await;
    let answer = next_json(&mut ws).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(
        answer["payload"][0]["extensions"]["code"], "PERSISTED_QUERY_ONLY",
        "{answer}"
    );
    let stream = crate::sse::curl_stream(base, &json!({ "query": other }).to_string(), 5).await;
    assert!(stream.contains("PERSISTED_QUERY_ONLY"), "{stream}");

    // Introspection is refused with its own code (the manifest cannot hold it either).
    let schema = post(
        base,
        json!({ "extensions": persisted(&sha256("{ __schema { types { name } } }")) }),
    )
    .await;
    assert_eq!(code(&schema), "PERSISTED_QUERY_NOT_FOUND");
    let _ = db;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_off_is_refused_with_its_code_and_queries_still_run() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--introspection", "false"],
    )
    .await;
    for query in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Block\") { name } }",
    ] {
        let answer = post(&server.base, json!({ "query": query })).await;
        assert_eq!(code(&answer), "INTROSPECTION_DISABLED", "{answer}");
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("--introspection false")
        );
    }
    let answer = post(
        &server.base,
        json!({ "query": "{ __typename chain { height } }" }),
    )
    .await;
    assert_eq!(answer["data"]["__typename"], "Query", "{answer}");
    // The same refusal over a WebSocket and over SSE.
    let schema = "{ __schema { queryType { name } } }";
    let mut ws = subscribe(&server.base, "graphql-transport-ws", schema).await;
    let refused = next_json(&mut ws).await;
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "INTROSPECTION_DISABLED",
        "{refused}"
    );
    let stream =
        crate::sse::curl_stream(&server.base, &json!({ "query": schema }).to_string(), 5).await;
    assert!(stream.contains("INTROSPECTION_DISABLED"), "{stream}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_that_lies_stops_the_start() {
    let manifest = tempfile::NamedTempFile::new().expect("temp file");
    let body = "{ chain { height } }";
    let lie = json!({ "format": "apollo-persisted-query-manifest", "version": 1,
        "operations": [{ "id": sha256("{ other }"), "name": "A", "type": "query", "body": body }] });
    std::fs::write(manifest.path(), lie.to_string()).expect("write");
    let dir = tempfile::tempdir().expect("temp dir");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_pocket"))
        .args(["serve", "--listen", "127.0.0.1:0", "--accounts", "0"])
        .arg("--database-url")
        .arg(format!("sqlite://{}/p.db", dir.path().display()))
        .arg("--persisted-queries")
        .arg(manifest.path())
        .args(["--keystore-key", &"07".repeat(32)])
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .expect("exits")
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("hashes to"), "{stderr}");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
