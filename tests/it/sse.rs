//! GraphQL over Server-Sent Events at `/graphql/stream`, read by `curl -N` as any plain HTTP
//! client would: the event framing, a live subscription, the token rule and GET's refusal of
//! mutations (graphql-sse's own client is in the client suite).

use pocket_chain::server::ServerConfig;
use pocket_testkit::Backend;
use serde_json::json;

use crate::app::spawn_app_with;

/// `curl -N` on `/graphql/stream` with `body` POSTed: what it printed within `seconds`.
pub async fn curl_stream(base: &str, body: &str, seconds: u64) -> String {
    curl(base, &["-X", "POST", "--data-binary", body], "", seconds).await
}

async fn curl(base: &str, args: &[&str], query: &str, seconds: u64) -> String {
    let output = tokio::process::Command::new("curl")
        .args(["-sN", "--max-time", &seconds.to_string()])
        .args([
            "-H",
            "content-type: application/json",
            "-H",
            "accept: text/event-stream",
        ])
        .args(args)
        .arg(format!("{base}/graphql/stream{query}"))
        .output()
        .await
        .expect("curl runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn curl_reads_queries_and_subscriptions_as_events() {
    let config = ServerConfig {
        api_token: Some("sse-token".into()),
        ..ServerConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;

    let query = curl_stream(&app.base, r#"{"query":"{ chain { height } }"}"#, 10).await;
    assert_eq!(
        query,
        "event: next\ndata: {\"data\":{\"chain\":{\"height\":null}}}\n\nevent: complete\n\n"
    );

    // A subscription: curl stays connected while two blocks are mined, then gives up.
    let before = app.node.subscriber_count();
    let base = app.base.clone();
    let watcher = tokio::spawn(async move {
        curl_stream(
            &base,
            r#"{"query":"subscription { blockMined { height } }"}"#,
            4,
        )
        .await
    });
    app.await_subscribers(before, 1).await;
    let miner = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";
    for _ in 0..2 {
        let mined = app
            .gql(
                "mutation($a: String!) { mineBlock(address: $a) { height } }",
                json!({ "a": miner }),
            )
            .await;
        assert!(mined["errors"].is_null(), "{mined}");
    }
    let events = watcher.await.expect("watcher");
    assert_eq!(
        events,
        "event: next\ndata: {\"data\":{\"blockMined\":{\"height\":0}}}\n\n\
         event: next\ndata: {\"data\":{\"blockMined\":{\"height\":1}}}\n\n"
    );

    // A mutation needs the token here as anywhere; over GET it never runs.
    let mutation = json!({ "query": "mutation { newWallet { address } }" }).to_string();
    let refused = curl_stream(&app.base, &mutation, 10).await;
    assert!(refused.contains("\"code\":\"UNAUTHORIZED\""), "{refused}");
    let authorized = curl(
        &app.base,
        &[
            "-H",
            "authorization: Bearer sse-token",
            "-X",
            "POST",
            "--data-binary",
            &mutation,
        ],
        "",
        10,
    )
    .await;
    assert!(authorized.contains("newWallet"), "{authorized}");
    let get = curl(
        &app.base,
        &[],
        "?query=mutation%20%7B%20newWallet%20%7B%20address%20%7D%20%7D",
        10,
    )
    .await;
    assert!(get.contains("mutations do not run over GET"), "{get}");
    assert!(get.ends_with("event: complete\n\n"), "{get}");
}
