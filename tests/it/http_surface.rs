//! The HTTP surface on both backends: GET runs queries only, the token guards mutations, depth
//! and complexity are limited, hostile requests get 4xx and never 5xx, and health, metrics and
//! GraphiQL are served.

use pocket_chain::server::ServerConfig;
use serde_json::{Value, json};

use crate::app::{code, spawn_app, spawn_app_with};
use pocket_testkit::Backend;
use pocket_testkit::on_both_backends;

on_both_backends!(
    get_runs_queries_but_never_mutations,
    token_guards_mutations_only,
    depth_and_complexity_are_limited,
    hostile_requests_get_4xx_never_5xx,
    health_and_graphiql_are_served,
);

async fn get_runs_queries_but_never_mutations(backend: Backend) {
    let app = spawn_app(backend).await;
    let get = |query: &str| {
        app.http
            .get(format!("{}/graphql", app.base))
            .query(&[("query", query)])
            .send()
    };
    let ok = get("{ chain { height poolSize } }").await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.json::<Value>().await.unwrap()["data"]["chain"]["poolSize"],
        0
    );
    for attack in [
        "mutation { newWallet { address } }",
        "mutation M { resetSystem { address } }",
        "subscription { blockMined { height } }",
    ] {
        let refused = get(attack).await.unwrap();
        assert_eq!(refused.status(), 405, "{attack}");
        assert_eq!(
            refused.json::<Value>().await.unwrap()["errors"][0]["extensions"]["code"],
            "BAD_REQUEST"
        );
    }
    // Naming a mutation among several operations does not slip through either.
    let sneaky = app
        .http
        .get(format!("{}/graphql", app.base))
        .query(&[
            (
                "query",
                "query Q { chain { height } } mutation M { newWallet { address } }",
            ),
            ("operationName", "M"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sneaky.status(), 405);
    assert_eq!(app.node.wallet_count().await.unwrap(), 0);
}

async fn token_guards_mutations_only(backend: Backend) {
    let config = ServerConfig {
        api_token: Some("s3cret".into()),
        ..ServerConfig::default()
    };
    let mut app = spawn_app_with(backend, config).await;
    assert!(
        app.new_wallet().await.starts_with('1'),
        "the right token may mutate"
    );
    app.token = None;
    let refused = app
        .gql("mutation { newWallet { address } }", json!({}))
        .await;
    assert_eq!(code(&refused), "UNAUTHORIZED");
    app.token = Some("wrong".into());
    assert_eq!(
        code(
            &app.gql("mutation { resetSystem { address } }", json!({}))
                .await
        ),
        "UNAUTHORIZED"
    );
    // Queries stay open.
    assert_eq!(
        app.data("{ wallets { totalCount } }", json!({})).await["wallets"]["totalCount"],
        1
    );

    let exposed = ServerConfig {
        listen: "0.0.0.0:8080".parse().unwrap(),
        ..ServerConfig::default()
    };
    assert!(
        exposed.check_exposure().is_err(),
        "a public address needs a token"
    );
    assert!(
        ServerConfig {
            api_token: Some("t".into()),
            ..exposed.clone()
        }
        .check_exposure()
        .is_ok()
    );
    assert!(
        ServerConfig {
            insecure: true,
            ..exposed
        }
        .check_exposure()
        .is_ok()
    );
}

async fn depth_and_complexity_are_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let deep = format!(
        "{{ blocks {{ nodes {{ {} hash {} }} }} }}",
        "previous {".repeat(14),
        "}".repeat(14)
    );
    assert_eq!(code(&app.gql(&deep, json!({})).await), "BAD_REQUEST");
    let wide = "{ wallets(first: 500) { nodes { utxos(first: 500) { nodes { txId value } } } } }";
    let body = app.gql(wide, json!({})).await;
    assert_eq!(code(&body), "BAD_REQUEST");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("complex"),
        "{body}"
    );
}

async fn hostile_requests_get_4xx_never_5xx(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = format!("{}/graphql", app.base);
    let post = |content_type: &'static str, body: Vec<u8>| {
        app.http
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases: Vec<(reqwest::Response, u16)> = vec![
        (
            post("application/json", b"{not json".to_vec())
                .await
                .unwrap(),
            400,
        ),
        (post("application/json", b"".to_vec()).await.unwrap(), 400),
        (post("application/json", b"[]".to_vec()).await.unwrap(), 400),
        (
            post("application/json", b"{\"query\": 5}".to_vec())
                .await
                .unwrap(),
            400,
        ),
        (
            post(
                "text/plain",
                br#"{"query":"mutation { newWallet { address } }"}"#.to_vec(),
            )
            .await
            .unwrap(),
            415,
        ),
        (
            post(
                "application/x-www-form-urlencoded",
                b"query=mutation%7BnewWallet%7Baddress%7D%7D".to_vec(),
            )
            .await
            .unwrap(),
            415,
        ),
        (
            post("multipart/form-data; boundary=x", b"--x--".to_vec())
                .await
                .unwrap(),
            415,
        ),
        (
            post("application/json", vec![b' '; 300 * 1024])
                .await
                .unwrap(),
            413,
        ),
    ];
    for (i, (response, status)) in cases.into_iter().enumerate() {
        assert_eq!(response.status().as_u16(), status, "case {i}");
    }
    let batch: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ chain { height } }" }))
        .collect();
    let response = app.http.post(&url).json(&batch).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let small: Vec<Value> = (0..3)
        .map(|_| json!({ "query": "{ chain { height } }" }))
        .collect();
    let response = app.http.post(&url).json(&small).send().await.unwrap();
    assert_eq!(
        response
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // Junk on the WebSocket endpoint and unknown paths.
    assert_eq!(
        app.http
            .get(format!("{}/graphql/ws", app.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
            / 100,
        4
    );
    assert_eq!(
        app.http
            .get(format!("{}/nope", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(app.node.wallet_count().await.unwrap(), 0, "nothing ran");
}

async fn health_and_graphiql_are_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let miner = app.new_wallet().await;
    app.mine(&miner, None).await;
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for line in [
        "pocket_chain_height 0",
        "pocket_pool_size 0",
        "pocket_subscribers 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} missing from:\n{text}"
        );
    }
    assert!(
        text.contains("pocket_http_requests_total") && text.contains("pocket_db_statements"),
        "{text}"
    );
    app.gql("{ nope }", json!({})).await;
    let text = app.metrics().await;
    assert!(
        text.lines().any(|l| l == "pocket_graphql_errors_total 1"),
        "{text}"
    );
    let health = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<Value>().await.unwrap()["database"],
        "reachable"
    );
    let graphiql = app
        .http
        .get(format!("{}/graphiql", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(graphiql.status(), 200);
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
    assert!(
        app.http
            .get(format!("{}/graphql", app.base))
            .send()
            .await
            .unwrap()
            .status()
            .is_client_error()
    );
}
