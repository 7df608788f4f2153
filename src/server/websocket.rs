//! GraphQL over WebSocket at `/graphql/ws`, in the protocol the client asks for by
//! `Sec-WebSocket-Protocol`:
//!
//! - `graphql-transport-ws` (the protocol of the `graphql-ws` library), with its close codes:
//!   4400 for a message that is not one of the protocol's, 4401 for `subscribe` before the
//!   connection is acknowledged, 4408 when no `connection_init` arrives in time, 4409 for an id
//!   already in use, 4429 for a second `connection_init`. An operation refused before it runs
//!   gets an `error` message with GraphQL errors; one that runs gets `next` messages, then
//!   `complete`.
//! - `graphql-ws`, the legacy subscriptions-transport-ws: `start`/`stop`, answers as `data`, then
//!   `complete`; a message it cannot read gets an `error` (with the id, when there is one).
//!
//! In both, `error` carries an array of GraphQL errors (the legacy client accepts an array or a
//! single error).
//!
//! Every operation is admitted against the same document limits as over HTTP, and every error
//! carries `extensions.code`. Each operation runs in a task of its own and sends its messages
//! through a bounded channel, so a slow reader slows only its own subscriptions (which catch up
//! from the database, see `node::events`).

use std::collections::HashMap;

use async_graphql::{Request, Response, ServerError};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::Response as HttpResponse;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::AppState;
use super::errors::refuse;
use super::state_version;
use crate::graphql::{Access, Admitted};
use crate::node;

/// Operations one connection may run at once.
const MAX_OPERATIONS: usize = 100;
/// Messages an operation may have queued before it waits for the socket.
const QUEUE: usize = 64;
/// Longest reason a close frame may carry, in bytes.
const MAX_CLOSE_REASON: usize = 123;

/// The two protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// `graphql-transport-ws`.
    TransportWs,
    /// `graphql-ws`: the legacy subscriptions-transport-ws.
    Legacy,
}

impl Protocol {
    const NAMES: [&str; 2] = ["graphql-transport-ws", "graphql-ws"];

    fn named(name: &str) -> Option<Self> {
        match name {
            "graphql-transport-ws" => Some(Self::TransportWs),
            "graphql-ws" => Some(Self::Legacy),
            _ => None,
        }
    }
}

/// `GET /graphql/ws`.
pub(super) async fn upgrade(
    State(app): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    let upgrade = upgrade
        .protocols(Protocol::NAMES)
        .max_message_size(app.max_body_bytes)
        .max_frame_size(app.max_body_bytes);
    let Some(protocol) = upgrade
        .selected_protocol()
        .and_then(|p| p.to_str().ok())
        .and_then(Protocol::named)
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "ask for a WebSocket subprotocol: graphql-transport-ws or graphql-ws",
        );
    };
    let access = app.auth.for_request(&headers, &extensions);
    upgrade.on_upgrade(move |socket| {
        let (connection, outbox) = Connection::new(app, protocol, access);
        connection.run(socket, outbox)
    })
}

/// What an operation task reports to its connection. `run` is the operation's number on this
/// connection: an id may be reused once its operation ended, and what an ended operation had
/// queued must not reach the new one's client.
struct Event {
    id: String,
    run: u64,
    kind: EventKind,
}

enum EventKind {
    /// A message to send.
    Send(Value),
    /// The operation ended: send `complete` after its last answer, or nothing after an `error`.
    Ended { complete: bool },
}

/// Why a connection is closed.
struct Close(u16, String);

struct Connection {
    app: AppState,
    protocol: Protocol,
    /// What the upgrade request's headers allowed; `connection_init` may add the token.
    header_access: Access,
    /// Set by `connection_init`.
    access: Option<Access>,
    /// Running operations by id, with their run numbers.
    operations: HashMap<String, (u64, AbortHandle)>,
    runs: u64,
    events: mpsc::Sender<Event>,
}

impl Connection {
    /// A connection, and the receiving end of its operations' events.
    fn new(
        app: AppState,
        protocol: Protocol,
        header_access: Access,
    ) -> (Self, mpsc::Receiver<Event>) {
        let (events, outbox) = mpsc::channel(QUEUE);
        let connection = Self {
            app,
            protocol,
            header_access,
            access: None,
            operations: HashMap::new(),
            runs: 0,
            events,
        };
        (connection, outbox)
    }

    async fn run(mut self, socket: WebSocket, mut outbox: mpsc::Receiver<Event>) {
        let (mut sink, mut stream) = socket.split();
        let init_deadline = tokio::time::sleep(self.app.ws_init_timeout);
        tokio::pin!(init_deadline);
        let close = loop {
            // Biased: what the client sent is read before the init deadline is looked at, even
            // when this task first runs after it (a busy machine), so only a client that sent
            // nothing in time is closed with 4408. The client's messages come before its
            // answers, so a `complete` is heard while a long replay is being sent.
            let outgoing = tokio::select! {
                biased;
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(text))) => match self.receive(text.as_str()) {
                        Ok(outgoing) => outgoing,
                        Err(close) => break Some(close),
                    },
                    Some(Ok(Message::Binary(_))) => match self.unreadable("binary messages are not part of the protocol".into()) {
                        Ok(outgoing) => outgoing,
                        Err(close) => break Some(close),
                    },
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                    Some(Ok(_)) => continue, // pings are answered by the WebSocket layer
                },
                Some(event) = outbox.recv() => self.forward(event),
                () = &mut init_deadline, if self.access.is_none() => {
                    break Some(Close(4408, "Connection initialisation timeout".into()));
                }
            };
            if let Some(message) = outgoing
                && sink
                    .send(Message::Text(Utf8Bytes::from(message.to_string())))
                    .await
                    .is_err()
            {
                break None;
            }
        };
        for (_, operation) in self.operations.values() {
            operation.abort();
        }
        if let Some(Close(code, mut reason)) = close {
            // A close frame's reason has at most 123 bytes; it may quote the client.
            while reason.len() > MAX_CLOSE_REASON {
                reason.pop();
            }
            let frame = CloseFrame {
                code,
                reason: Utf8Bytes::from(reason),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
    }

    /// What to send for an operation's event, if it is still running.
    fn forward(&mut self, event: Event) -> Option<Value> {
        match self.operations.get(&event.id) {
            Some((run, _)) if *run == event.run => {}
            _ => return None,
        }
        match event.kind {
            EventKind::Send(message) => Some(message),
            EventKind::Ended { complete: send } => {
                self.operations.remove(&event.id);
                send.then(|| complete(&event.id))
            }
        }
    }

    /// Handles one text message: what to send back, or why to close.
    fn receive(&mut self, text: &str) -> Result<Option<Value>, Close> {
        let message: Value = match serde_json::from_str(text) {
            Ok(message @ Value::Object(_)) => message,
            Ok(_) => return self.unreadable("a message must be a JSON object".into()),
            Err(err) => return self.unreadable(format!("invalid JSON: {err}")),
        };
        let kind = message.get("type").and_then(Value::as_str).unwrap_or("");
        let id = message.get("id");
        match (self.protocol, kind) {
            (_, "connection_init") => self.init(message.get("payload")),
            (Protocol::TransportWs, "ping") => Ok(Some(json!({ "type": "pong" }))),
            (Protocol::TransportWs, "pong") => Ok(None),
            (Protocol::TransportWs, "subscribe") | (Protocol::Legacy, "start") => {
                let Some(id) = id.and_then(Value::as_str).filter(|id| !id.is_empty()) else {
                    return self.unreadable(format!("`{kind}` needs a non-empty string `id`"));
                };
                self.start(id.to_owned(), message.get("payload"))
            }
            (Protocol::TransportWs, "complete") | (Protocol::Legacy, "stop") => {
                if let Some((_, operation)) = id
                    .and_then(Value::as_str)
                    .and_then(|id| self.operations.remove(id))
                {
                    operation.abort();
                }
                // graphql-transport-ws: the client ended it, nothing to answer. Legacy: confirm.
                Ok((self.protocol == Protocol::Legacy)
                    .then(|| id.and_then(Value::as_str).map(complete))
                    .flatten())
            }
            (Protocol::Legacy, "connection_terminate") => Err(Close(1000, String::new())),
            _ => self.unreadable(format!("unknown message type {kind:?}")),
        }
    }

    fn init(&mut self, payload: Option<&Value>) -> Result<Option<Value>, Close> {
        if self.access.is_some() {
            return match self.protocol {
                Protocol::TransportWs => {
                    Err(Close(4429, "Too many initialisation requests".into()))
                }
                Protocol::Legacy => Ok(None),
            };
        }
        let payload = match payload {
            None | Some(Value::Null) => &Value::Null,
            Some(payload @ Value::Object(_)) => payload,
            Some(_) => {
                return self.unreadable("the `connection_init` payload must be an object".into());
            }
        };
        self.access = Some(self.app.auth.for_init_payload(self.header_access, payload));
        Ok(Some(json!({ "type": "connection_ack" })))
    }

    fn start(&mut self, id: String, payload: Option<&Value>) -> Result<Option<Value>, Close> {
        let Some(access) = self.access else {
            return match self.protocol {
                Protocol::TransportWs => Err(Close(4401, "Unauthorized".into())),
                Protocol::Legacy => Ok(Some(
                    self.refused(&id, ServerError::new("send connection_init first", None)),
                )),
            };
        };
        if self.operations.contains_key(&id) {
            return match self.protocol {
                Protocol::TransportWs => {
                    Err(Close(4409, format!("Subscriber for {id} already exists")))
                }
                Protocol::Legacy => Ok(Some(self.refused(
                    &id,
                    ServerError::new(format!("operation {id} is already running"), None),
                ))),
            };
        }
        let mut request: Request = match payload.map(|p| serde_json::from_value(p.clone())) {
            Some(Ok(request)) => request,
            Some(Err(err)) => {
                return self.unreadable(format!("`payload` is not a GraphQL request: {err}"));
            }
            None => return self.unreadable("the operation has no `payload`".into()),
        };
        if self.operations.len() >= MAX_OPERATIONS {
            let error = ServerError::new(
                format!("a connection may run at most {MAX_OPERATIONS} operations at once"),
                None,
            );
            return Ok(Some(self.refused(&id, error)));
        }
        let admitted = match self.app.admit(&mut request) {
            Ok(admitted) => admitted,
            Err(error) => return Ok(Some(self.refused(&id, error))),
        };
        let scope = match state_version::scope_for(&request, &admitted) {
            Ok(scope) => scope,
            Err(error) => return Ok(Some(self.refused(&id, error))),
        };
        self.runs += 1;
        let task = tokio::spawn(node::read_within(
            scope,
            operation(
                self.app.clone(),
                self.protocol,
                (id.clone(), self.runs),
                (request, access, admitted),
                self.events.clone(),
            ),
        ));
        self.operations.insert(id, (self.runs, task.abort_handle()));
        Ok(None)
    }

    /// The answer to an operation refused before it ran.
    fn refused(&self, id: &str, error: ServerError) -> Value {
        let response = self.app.finish(Response::from_errors(vec![error]));
        json!({ "type": "error", "id": id, "payload": response.errors })
    }

    /// A message that is not one of the protocol's: graphql-transport-ws closes with 4400, the
    /// legacy protocol answers with an error and carries on.
    fn unreadable(&self, reason: String) -> Result<Option<Value>, Close> {
        match self.protocol {
            Protocol::TransportWs => Err(Close(4400, reason)),
            Protocol::Legacy => {
                let error = ServerError::new(reason, None);
                let payload = self.app.finish(Response::from_errors(vec![error])).errors;
                Ok(Some(json!({ "type": "error", "payload": payload })))
            }
        }
    }
}

fn complete(id: &str) -> Value {
    json!({ "type": "complete", "id": id })
}

/// Runs one admitted operation, sending its answers as they come.
async fn operation(
    app: AppState,
    protocol: Protocol,
    (id, run): (String, u64),
    (request, access, admitted): (Request, Access, Admitted),
    events: mpsc::Sender<Event>,
) {
    let event = |kind| Event {
        id: id.clone(),
        run,
        kind,
    };
    let mut answers = app.run_stream(request, access, admitted);
    let mut first = true;
    while let Some(response) = answers.next().await {
        // An operation that failed before producing any data (validation, usually) is an
        // `error`, and ends without `complete`, in both protocols.
        if first && response.data == async_graphql::Value::Null && !response.errors.is_empty() {
            let error = json!({ "type": "error", "id": id, "payload": response.errors });
            let _ = events.send(event(EventKind::Send(error))).await;
            let _ = events
                .send(event(EventKind::Ended { complete: false }))
                .await;
            return;
        }
        first = false;
        let kind = match protocol {
            Protocol::TransportWs => "next",
            Protocol::Legacy => "data",
        };
        let message = json!({ "type": kind, "id": id, "payload": response });
        if events.send(event(EventKind::Send(message))).await.is_err() {
            return;
        }
    }
    let _ = events
        .send(event(EventKind::Ended { complete: true }))
        .await;
}
