//! What every client meets first: the GraphQL spec's coercion and ordering rules, the
//! graphql-transport-ws close codes, coded errors on every transport, limits that refuse floods
//! cheaply, JSON refusals and connection timeouts. One test (or more) per finding of issue 9;
//! third-party clients drive the same server in `clients.rs`.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use pocket_chain::server::ServerConfig;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::app::{TestApp, code, spawn_app, spawn_app_with};
use pocket_testkit::{Backend, WsStream, connect_ws, next_json};

async fn height(app: &TestApp) -> i64 {
    app.data("{ chain { height } }", json!({})).await["chain"]["height"]
        .as_i64()
        .unwrap()
}

/// The response keys of `text`'s `data` object, in the order they were written.
fn data_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut depth = 0;
    let data = text.find("\"data\":{").expect("data") + "\"data\":{".len();
    let mut chars = text[data..].char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' if depth == 0 => break,
            '}' | ']' => depth -= 1,
            '"' => {
                let rest = &text[data + at + 1..];
                let end = rest.find('"').unwrap();
                if depth == 0 && rest[end + 1..].starts_with(':') {
                    keys.push(rest[..end].to_owned());
                }
                for _ in 0..=end {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn response_fields_come_in_the_order_selected() {
    // Without the response cache, so that every answer is computed anew.
    let config = ServerConfig {
        response_cache: 0,
        ..ServerConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    app.reset().await;
    let query = "{ z: chain { height } a: __typename m: wallets(first: 5) { totalCount } \
                 b: pool { totalCount } c: __typename }";
    for _ in 0..20 {
        let text = app
            .http
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(data_keys(&text), ["z", "a", "m", "b", "c"], "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn omitted_variables_leave_argument_defaults() {
    let app = spawn_app(Backend::Sqlite).await;
    let wallets = app.reset().await;
    let mine =
        "mutation($a: String!, $n: Int) { mineBlock(address: $a, txCount: $n) { height txCount } }";
    // Omitted: the default of 5 applies (two pending transactions plus the coinbase).
    let body = app.gql(mine, json!({ "a": wallets[0] })).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["mineBlock"]["txCount"], 3);
    // Explicit null into a non-null argument is the client's error, and nothing is mined.
    let before = height(&app).await;
    let body = app.gql(mine, json!({ "a": wallets[0], "n": null })).await;
    assert_eq!(code(&body), "BAD_REQUEST", "{body}");
    let body = app
        .gql(
            "mutation($a: String!) { mineBlock(address: $a) { height } }",
            json!({ "a": null }),
        )
        .await;
    assert_eq!(code(&body), "BAD_REQUEST", "{body}");
    assert_eq!(height(&app).await, before);
    // The same for a Boolean with a default.
    let body = app
        .gql(
            "query($r: Boolean) { pool(includeRejected: $r) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
}

/// A document that ran cleanly once is validated again only against each request's variables
/// (`Admission::ran_cleanly`): a request with bad variables is told exactly what it is told with
/// a document never run (the same text with a trailing space, which is kept apart).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_document_run_before_is_still_checked_against_its_variables() {
    let config = ServerConfig {
        response_cache: 0,
        ..ServerConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    let wallets = app.reset().await;
    let query = "query($a: String!, $n: Int, $r: Boolean!) { wallets(first: $n) { totalCount } \
                 address(address: $a) { balance } pool(includeRejected: $r) { totalCount } }";
    let fresh = format!("{query} ");
    let good = json!({ "a": wallets[0], "n": 2, "r": true });
    let validated_by_variables = async || {
        let metrics = app.metrics().await;
        let count = metrics
            .lines()
            .find_map(|l| l.strip_prefix("pocket_validated_by_variables_total "))
            .expect("the counter");
        count.parse::<u64>().unwrap()
    };
    let before = validated_by_variables().await;
    for _ in 0..2 {
        let body = app.gql(query, good.clone()).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    // The first run validated it in full, the second only against its variables.
    assert_eq!(validated_by_variables().await, before + 1);
    let bad = [
        json!({ "a": 5, "n": 2, "r": true }),
        json!({ "a": wallets[0], "n": "two", "r": true }),
        json!({ "a": wallets[0], "n": 4_294_967_296_i64, "r": true }),
        json!({ "a": null, "n": 2, "r": true }),
        json!({ "n": 2, "r": true }),
        json!({ "a": wallets[0], "n": 2, "r": "yes" }),
        json!({ "a": "not an address", "n": 2, "r": true }),
    ];
    for variables in bad {
        let run_before = app.gql(query, variables.clone()).await;
        let never_run = app.gql(&fresh, variables.clone()).await;
        assert!(
            run_before.get("errors").is_some(),
            "{variables}: {run_before}"
        );
        assert_eq!(run_before, never_run, "{variables}");
    }
    // Every bad request with the document run before took the short way; none of the other's.
    assert_eq!(validated_by_variables().await, before + 8);
    // An omitted variable leaves its argument's default (`omitted_variables_leave_argument_defaults`),
    // run before or not.
    let omitted = json!({ "a": wallets[0], "n": 2 });
    let run_before = app.gql(query, omitted.clone()).await;
    assert_eq!(run_before, app.gql(&fresh, omitted).await);
    // And the document still runs cleanly after the refusals.
    let body = app.gql(query, good).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["wallets"]["totalCount"], json!(wallets.len()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn int_arguments_have_32_bits() {
    let app = spawn_app(Backend::Sqlite).await;
    let wallets = app.reset().await;
    let body = app
        .gql("{ block(height: 6309192608) { hash } }", json!({}))
        .await;
    assert_eq!(code(&body), "BAD_REQUEST", "{body}");
    let body = app
        .gql(
            "query($h: Int) { block(height: $h) { hash } }",
            json!({ "h": 6_309_192_608_i64 }),
        )
        .await;
    assert_eq!(code(&body), "BAD_REQUEST", "{body}");
    let body = app
        .gql(
            "mutation($f: String!, $t: String!) { send(from: $f, to: $t, amount: 4294967297) { id } }",
            json!({ "f": wallets[0], "t": wallets[1] }),
        )
        .await;
    assert_eq!(code(&body), "BAD_REQUEST", "{body}");
    let pool = app.data("{ pool { totalCount } }", json!({})).await;
    assert_eq!(pool["pool"]["totalCount"], 2, "nothing was pooled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn floods_are_refused_cheaply_and_change_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    let wallets = app.reset().await;
    let before = height(&app).await;
    let duplicates = format!("{{ {} }}", "chain { height } ".repeat(12_000));
    let aliases: String = (0..6_000)
        .map(|i| format!("a{i}: chain {{ height }} "))
        .collect();
    let mines: String = (0..11)
        .map(|i| format!("m{i}: mineBlock(address: \"{}\") {{ height }} ", wallets[0]))
        .collect();
    let cases = [
        (duplicates, "--max-tokens"),
        (format!("{{ {aliases} }}"), "--max-tokens"),
        (
            format!("{{ {} }}", "__typename ".repeat(1_100)),
            "--max-fields",
        ),
        (format!("mutation {{ {mines} }}"), "--max-root-mutations"),
        (
            format!("{{ {} }}", "chain { height @skip(if: false) } ".repeat(60)),
            "--max-directives",
        ),
        // Sixty levels deep: refused by the depth limit or, deeper still, the parser's.
        (
            format!(
                "{{ block(height: 0) {{ {}hash{} }} }}",
                "previous { ".repeat(60),
                " }".repeat(60)
            ),
            "",
        ),
    ];
    // Eight clients flood at once while another keeps asking for the chain: every flood is
    // refused with the limit named, and the other client is answered throughout.
    let floods = futures::future::join_all((0..8).map(|_| async {
        for (query, limit) in &cases {
            let body = app.gql(query, json!({})).await;
            assert_eq!(code(&body), "BAD_REQUEST", "{body}");
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(limit), "{message}");
        }
    }));
    let bystander = async {
        for _ in 0..20 {
            let answered = tokio::time::timeout(Duration::from_secs(5), height(&app)).await;
            assert!(answered.is_ok(), "a bystander waited more than 5 s");
        }
    };
    futures::join!(floods, bystander);
    assert_eq!(
        height(&app).await,
        before,
        "no mutation of a refused flood ran"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_depth_is_refused_but_introspection_is_not() {
    let app = spawn_app(Backend::Sqlite).await;
    app.reset().await;
    let deep = format!(
        "{{ block(height: 9) {{ {}hash{} }} }}",
        "previous { ".repeat(60),
        " }".repeat(60)
    );
    assert_eq!(code(&app.gql(&deep, json!({})).await), "BAD_REQUEST");
    let of_type = "ofType { kind name ".repeat(9) + &"} ".repeat(9);
    let introspection = format!(
        "{{ __schema {{ types {{ name fields(includeDeprecated: true) {{ name \
         args {{ name type {{ kind name {of_type} }} }} type {{ kind name {of_type} }} }} }} }} }}"
    );
    let body = app.gql(&introspection, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let cycle =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    assert_eq!(code(&app.gql(cycle, json!({})).await), "BAD_REQUEST");
}

/// The first message after `start` for `query`, on a fresh connection.
async fn first_answer(app: &TestApp, protocol: &str, query: &str) -> Value {
    let mut ws = pocket_testkit::subscribe(&app.base, protocol, query).await;
    next_json(&mut ws).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn websocket_errors_carry_codes_on_both_protocols() {
    let app = spawn_app(Backend::Sqlite).await;
    let deep = format!(
        "subscription {{ blockMined {{ {}hash{} }} }}",
        "previous { ".repeat(20),
        " }".repeat(20)
    );
    let documents = [
        "subscription { noSuchField }",
        "subscription { blockMined { ",
        deep.as_str(),
        "subscription($unused: Int) { blockMined { height } }",
        "subscription { blockMined { height } poolChanged { id } }",
    ];
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        for document in documents {
            let answer = first_answer(&app, protocol, document).await;
            assert_eq!(answer["type"], "error", "{protocol}: {answer}");
            let error = match &answer["payload"] {
                Value::Array(errors) => errors[0].clone(),
                error => error.clone(),
            };
            assert_eq!(
                error["extensions"]["code"], "BAD_REQUEST",
                "{protocol} {document}: {answer}"
            );
        }
    }
}

/// The close frame's code, once the server closes.
async fn close_code(ws: &mut WsStream) -> u16 {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("closed within 5 s");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => return frame.code.into(),
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => panic!("closed without a code"),
            Some(Ok(_)) => continue,
        }
    }
}

async fn send(ws: &mut WsStream, message: Value) {
    ws.send(Message::text(message.to_string())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn graphql_transport_ws_closes_with_the_protocols_codes() {
    let config = ServerConfig {
        // Long enough that a busy machine does not turn the other cases into 4408s.
        ws_init_timeout: Duration::from_secs(1),
        ..ServerConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    let subscribe = |id: &str| json!({ "id": id, "type": "subscribe", "payload": { "query": "subscription { blockMined { height } }" } });
    let init = json!({ "type": "connection_init" });

    let mut ws = connect_ws(&app.base, "graphql-transport-ws").await;
    send(&mut ws, subscribe("1")).await;
    assert_eq!(close_code(&mut ws).await, 4401, "subscribe before the ack");

    let mut ws = connect_ws(&app.base, "graphql-transport-ws").await;
    ws.send(Message::text("{not json")).await.unwrap();
    assert_eq!(close_code(&mut ws).await, 4400, "invalid JSON");

    let mut ws = connect_ws(&app.base, "graphql-transport-ws").await;
    send(&mut ws, json!({ "type": "no_such_message" })).await;
    assert_eq!(close_code(&mut ws).await, 4400, "unknown message type");

    let mut ws = connect_ws(&app.base, "graphql-transport-ws").await;
    send(&mut ws, json!({ "type": "x".repeat(500) })).await;
    assert_eq!(close_code(&mut ws).await, 4400, "a long unknown type");

    let mut ws = connect_ws(&app.base, "graphql-transport-ws").await;
    send(&mut ws, init.clone()).await;
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    send(&mut ws, subscribe("1")).await;
    send(&mut ws, subscribe("1")).await;
    assert_eq!(close_code(&mut ws).await, 4409, "duplicate id");

    let mut ws = connect_ws(&app.base, "graphql-transport-ws").await;
    send(&mut ws, init.clone()).await;
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    send(&mut ws, init.clone()).await;
    assert_eq!(close_code(&mut ws).await, 4429, "second connection_init");

    let mut ws = connect_ws(&app.base, "graphql-transport-ws").await;
    assert_eq!(
        close_code(&mut ws).await,
        4408,
        "no connection_init in time"
    );

    // Ping is answered with pong; a completed id may be used again, and only the new
    // operation answers under it.
    let mut ws = connect_ws(&app.base, "graphql-transport-ws").await;
    send(&mut ws, init).await;
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    send(&mut ws, json!({ "type": "ping" })).await;
    let pong = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
    assert!(matches!(pong, Ok(Some(Ok(Message::Text(t)))) if t.contains("pong")));
    send(&mut ws, subscribe("1")).await;
    send(&mut ws, json!({ "id": "1", "type": "complete" })).await;
    send(&mut ws, subscribe("1")).await;
    let miner = app
        .data("mutation { newWallet { address } }", json!({}))
        .await["newWallet"]["address"]
        .as_str()
        .unwrap()
        .to_owned();
    // No client hears when its subscription is in place: mine until the first answer comes.
    let mine = || async {
        app.data(
            "mutation($a: String!) { mineBlock(address: $a) { height } }",
            json!({ "a": miner }),
        )
        .await["mineBlock"]["height"]
            .as_i64()
            .unwrap()
    };
    let first = loop {
        let height = mine().await;
        if let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(Duration::from_millis(300), ws.next()).await
        {
            let first: Value = serde_json::from_str(&text).unwrap();
            assert!(height < 20, "no answer to 20 blocks");
            break first;
        }
    };
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(first["id"], "1");
    // The first answer may be for a block before the last one mined (it came late): every
    // later block comes once, in order, up to the one mined now.
    let mut seen = first["payload"]["data"]["blockMined"]["height"]
        .as_i64()
        .unwrap();
    let height = mine().await;
    while seen < height {
        let next = next_json(&mut ws).await;
        assert_eq!(next["type"], "next", "{next}");
        assert_eq!(next["id"], "1");
        assert_eq!(next["payload"]["data"]["blockMined"]["height"], seen + 1);
        seen += 1;
    }
    let again = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
    assert!(again.is_err(), "one answer per block: {again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn http_refusals_are_graphql_shaped_json() {
    let config = ServerConfig {
        request_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    let graphql = format!("{}/graphql", app.base);
    let big_body = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(300 * 1024)) });
    let long_uri = format!("{graphql}?query={}", "x".repeat(20 * 1024));
    let requests = [
        (app.http.post(&graphql).json(&big_body), 413),
        (app.http.get(&long_uri), 414),
        (
            app.http
                .get(format!("{graphql}?query={{__typename}}"))
                .header("x-padding", "p".repeat(40 * 1024)),
            431,
        ),
        (app.http.put(&graphql).json(&json!({})), 405),
        (app.http.get(format!("{}/no/such/page", app.base)), 404),
        (
            app.http
                .post(&graphql)
                .header("content-type", "text/plain")
                .body("{}"),
            415,
        ),
    ];
    for (request, status) in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{status}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"][0]["message"].is_string(), "{status}: {body}");
        assert!(
            body["errors"][0]["extensions"]["code"].is_string(),
            "{status}: {body}"
        );
    }
    // A body that never finishes arriving: 408 once the request timeout passes.
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    let answer = read_all(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"BAD_REQUEST\""), "{answer}");
}

/// Everything the server sends until it closes the connection (at most 5 s).
async fn read_all(stream: &mut tokio::net::TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
            if answer.windows(4).any(|w| w == b"}]}") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server neither answered nor closed");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_and_idle_connections_are_closed() {
    let config = ServerConfig {
        header_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let app = spawn_app_with(Backend::Sqlite, config).await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let closed = |mut stream: tokio::net::TcpStream| async move {
        let mut buffer = [0u8; 4096];
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
        })
        .await
        .is_ok()
    };
    // Headers that never end (slowloris).
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    assert!(
        closed(slow).await,
        "a connection with unfinished headers is closed"
    );
    // A connection that says nothing at all.
    let silent = tokio::net::TcpStream::connect(&address).await.unwrap();
    assert!(closed(silent).await, "a silent connection is closed");
    // A kept-alive connection, idle after its request.
    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed(idle).await,
        "an idle kept-alive connection is closed"
    );
}
