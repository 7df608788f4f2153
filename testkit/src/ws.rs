//! GraphQL over WebSocket, spoken by hand (tungstenite) in either protocol.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A subscription's WebSocket.
pub type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket to the server at `base` speaking `protocol`, sending nothing yet.
pub async fn connect_ws(base: &str, protocol: &str) -> WsStream {
    let url = format!("{}/graphql/ws", base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket connects");
    ws
}

/// Opens a WebSocket to the server at `base` speaking `protocol`, and subscribes to `query`.
pub async fn subscribe(base: &str, protocol: &str, query: &str) -> WsStream {
    let mut ws = connect_ws(base, protocol).await;
    ws.send(Message::text(
        json!({ "type": "connection_init", "payload": {} }).to_string(),
    ))
    .await
    .unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack");
    let start = if protocol == "graphql-transport-ws" {
        "subscribe"
    } else {
        "start"
    };
    ws.send(Message::text(
        json!({ "id": "1", "type": start, "payload": { "query": query } }).to_string(),
    ))
    .await
    .unwrap();
    ws
}

/// The next JSON message, skipping keep-alives; fails the test after 15 s (a bound for a
/// loaded machine, not an expectation).
pub async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), ws.next())
            .await
            .expect("a message within 15 s")
            .expect("open")
            .expect("ok");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] != "ka" && value["type"] != "ping" {
                return value;
            }
        }
    }
}
