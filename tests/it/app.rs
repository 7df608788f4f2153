//! A real `pocket` server on a loopback port over a fresh database, for HTTP and WebSocket tests.

use std::sync::Arc;

use pocket_chain::node::Node;
use pocket_chain::server::{self, ServerConfig};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use pocket_testkit::{Backend, TestDb};

/// A running server.
pub struct TestApp {
    pub base: String,
    pub node: Arc<Node>,
    pub http: reqwest::Client,
    pub token: Option<String>,
    /// The database, for a second node on it (another process, as far as the server knows).
    pub db: TestDb,
    _stop: oneshot::Sender<()>,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, ServerConfig::default()).await
}

pub async fn spawn_app_with(backend: Backend, config: ServerConfig) -> TestApp {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let token = config.api_token.clone();
    let served = node.clone();
    tokio::spawn(async move {
        server::run(listener, served, config, async {
            let _ = stopped.await;
        })
        .await
        .expect("server runs");
    });
    TestApp {
        base,
        node,
        http: reqwest::Client::new(),
        token,
        db,
        _stop: stop,
    }
}

impl TestApp {
    /// Waits 300 ms, then until the node's statement count stops moving (the same over 50 ms,
    /// for at most 5 s): on PostgreSQL the notification relay reads what a commit announced on
    /// the same pool, a while after the commit, and a loaded machine may take longer than the
    /// first wait.
    pub async fn await_settled(&self) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut last = self.node.statement_count();
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let now = self.node.statement_count();
            if now == last || std::time::Instant::now() > deadline {
                return;
            }
            last = now;
        }
    }

    /// Waits until the server holds `count` more subscriptions than `before` (a
    /// [`Node::subscriber_count`] read before they were opened): then an event is delivered to
    /// them, where a fixed sleep only guesses that they are in place.
    pub async fn await_subscribers(&self, before: usize, count: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.node.subscriber_count() < before + count {
            assert!(
                std::time::Instant::now() < deadline,
                "{count} subscriptions not in place after 10 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// POSTs a GraphQL operation (with the token, if the app has one) and returns the JSON body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        assert_eq!(
            response.status(),
            200,
            "POST /graphql answered {}",
            response.status()
        );
        response.json().await.expect("JSON body")
    }

    /// POSTs a query and returns the JSON body with the `x-pocket-cache` answer header.
    pub async fn cached(&self, query: &str, variables: Value) -> (Value, String) {
        let response = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let cache = response
            .headers()
            .get("x-pocket-cache")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (response.json().await.expect("JSON body"), cache)
    }

    /// Runs `resetSystem`; the 8 training wallets' addresses.
    pub async fn reset(&self) -> Vec<String> {
        let data = self
            .data("mutation { resetSystem { address } }", json!({}))
            .await;
        data["resetSystem"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["address"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Creates a wallet; its address.
    pub async fn new_wallet(&self) -> String {
        let data = self
            .data(
                "mutation { newWallet { address balance publicKey } }",
                json!({}),
            )
            .await;
        data["newWallet"]["address"].as_str().unwrap().to_owned()
    }

    /// Sends through the API; the whole answer (errors included).
    pub async fn send(&self, from: &str, to: &str, amount: i64) -> Value {
        self.gql(
            "mutation($f: String!, $t: String!, $a: Int!) { send(from: $f, to: $t, amount: $a) { id txId from to amount error status } }",
            json!({ "f": from, "t": to, "a": amount }),
        )
        .await
    }

    /// Mines through the API, with `txCount` when given; the whole answer.
    pub async fn mine(&self, address: &str, count: Option<i64>) -> Value {
        match count {
            Some(n) => self.gql("mutation($a: String!, $n: Int) { mineBlock(address: $a, txCount: $n) { hash height txCount } }", json!({ "a": address, "n": n })).await,
            None => self.gql("mutation($a: String!) { mineBlock(address: $a) { hash height txCount } }", json!({ "a": address })).await,
        }
    }

    /// `GET /metrics`, as text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Like [`Self::gql`], but fails the test on any GraphQL error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

/// The `extensions.code` of the first error.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}
