//! A peer's live announcements over graphql-transport-ws: its new blocks (`blockMined`) and its
//! pool's new transactions (`poolChanged`), both on one connection. Messages are bounded in size
//! and the subscriptions' answers are parsed as untrusted input.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use super::error::PeerError;
use crate::chain::{BlockHash, Txid};

/// Largest message read from a peer's WebSocket (announcements are small).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// How long the peer has to answer the WebSocket upgrade, and then to acknowledge the connection.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What a peer announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A block joined its main chain.
    Block {
        /// Its height there.
        height: u64,
        /// Its hash.
        hash: BlockHash,
    },
    /// A transaction entered its pool.
    Transaction(Txid),
}

/// The open subscriptions to one peer.
pub struct Follow {
    socket: Socket,
}

impl Follow {
    /// Connects to the peer at `base` (`http://host:port`) and subscribes.
    pub async fn open(base: &str) -> Result<Self, PeerError> {
        let url = format!("{}/graphql/ws", base.replacen("http", "ws", 1));
        let unreachable = |e: tungstenite::Error| PeerError::Unreachable(e.to_string());
        let mut request = url.into_client_request().map_err(unreachable)?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            tungstenite::http::HeaderValue::from_static("graphql-transport-ws"),
        );
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        // A peer that accepts the connection and never answers the upgrade is down, not
        // connecting forever.
        let connect = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
        let (socket, _) = tokio::time::timeout(ACK_TIMEOUT, connect)
            .await
            .map_err(|_| {
                PeerError::Unreachable(format!(
                    "no WebSocket upgrade within {} s",
                    ACK_TIMEOUT.as_secs()
                ))
            })?
            .map_err(unreachable)?;
        let mut follow = Self { socket };
        follow.send(json!({ "type": "connection_init" })).await?;
        let acked = tokio::time::timeout(ACK_TIMEOUT, async {
            loop {
                let message = follow.receive().await?;
                if message["type"] == "connection_ack" {
                    return Ok::<(), PeerError>(());
                }
            }
        })
        .await;
        acked.map_err(|_| PeerError::Unreachable("no connection_ack".into()))??;
        follow
            .send(json!({ "id": "blocks", "type": "subscribe",
                "payload": { "query": "subscription { blockMined { height hash } }" } }))
            .await?;
        follow
            .send(json!({ "id": "pool", "type": "subscribe",
                "payload": { "query": "subscription { poolChanged { status txId } }" } }))
            .await?;
        Ok(follow)
    }

    async fn send(&mut self, message: Value) -> Result<(), PeerError> {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .map_err(|e| PeerError::Unreachable(e.to_string()))
    }

    /// The next protocol message (answering pings on the way).
    async fn receive(&mut self) -> Result<Value, PeerError> {
        loop {
            let message = self
                .socket
                .next()
                .await
                .ok_or_else(|| PeerError::Unreachable("the peer closed the connection".into()))?
                .map_err(|e| PeerError::Unreachable(e.to_string()))?;
            let text = match message {
                Message::Text(text) => text,
                Message::Close(frame) => {
                    return Err(PeerError::Unreachable(format!(
                        "the peer closed the connection: {frame:?}"
                    )));
                }
                _ => continue,
            };
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| PeerError::Misbehaved(format!("a message that is not JSON: {e}")))?;
            if value["type"] == "ping" {
                self.send(json!({ "type": "pong" })).await?;
                continue;
            }
            return Ok(value);
        }
    }

    /// The next announcement.
    pub async fn next(&mut self) -> Result<Heard, PeerError> {
        loop {
            let message = self.receive().await?;
            match message["type"].as_str() {
                Some("next") => {}
                Some("error") | Some("complete") => {
                    return Err(PeerError::Refused {
                        code: "SUBSCRIPTION".into(),
                        message: format!("subscription {} ended: {message}", message["id"]),
                    });
                }
                _ => continue,
            }
            let data = &message["payload"]["data"];
            let bad = |what: &str| PeerError::Misbehaved(format!("an announcement with {what}"));
            if let Some(block) = data.get("blockMined") {
                let height = block["height"].as_u64().ok_or_else(|| bad("no height"))?;
                let hash = block["hash"]
                    .as_str()
                    .and_then(|h| h.parse().ok())
                    .ok_or_else(|| bad("a bad block hash"))?;
                return Ok(Heard::Block { height, hash });
            }
            if let Some(entry) = data.get("poolChanged") {
                if entry["status"] != "PENDING" {
                    continue;
                }
                let txid = entry["txId"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| bad("a bad txid"))?;
                return Ok(Heard::Transaction(txid));
            }
            if !message["payload"]["errors"].is_null() {
                return Err(PeerError::Refused {
                    code: "SUBSCRIPTION".into(),
                    message: message["payload"]["errors"].to_string(),
                });
            }
        }
    }
}
