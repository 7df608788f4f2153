//! GraphQL over Server-Sent Events, the `graphql-sse` protocol's distinct connections mode, at
//! `/graphql/stream`: one `text/event-stream` response per operation, each answer a `next` event,
//! then `complete`. It passes HTTP proxies that break WebSockets.
//!
//! - `POST` takes the same JSON request as `POST /graphql` (one operation, no batches), with
//!   the same token rule (`Authorization: Bearer`, for mutations).
//! - `GET` takes `query`, `variables`, `operationName` and `extensions` parameters, for the
//!   browser's `EventSource`; like `GET /graphql` it runs no mutation.
//! - A request refused before it runs (limits, syntax, validation) is still answered with a
//!   stream: one `next` event holding the errors, then `complete`, as the protocol asks.
//! - A subscription ends when the client closes the connection. A comment line every
//!   [`KEEP_ALIVE`] keeps proxies from closing a quiet stream.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Request, Response, ServerError, Variables};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use tokio::sync::{Semaphore, mpsc};

use super::AppState;
use super::errors::refuse;
use super::errors::refuse_unless_json;
use super::state_version;
use crate::graphql::Access;
use crate::graphql::error::code;
use crate::node;

/// How often a quiet stream gets a comment line.
const KEEP_ALIVE: Duration = Duration::from_secs(12);

/// Most streams open at once across all clients; each holds a running operation.
pub const MAX_STREAMS: usize = 1024;

/// The streams' turns.
pub type StreamPermits = Arc<Semaphore>;

/// `POST /graphql/stream`.
pub(super) async fn post(
    State(app): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> HttpResponse {
    if let Some(refusal) = refuse_unless_json(&headers, "POST /graphql/stream") {
        return refusal;
    }
    match serde_json::from_slice::<Request>(&body) {
        Ok(mut request) => {
            if let Err(error) = state_version::from_headers(&headers, &mut request) {
                return events(refused(&app, error));
            }
            let access = app.auth.for_request(&headers, &extensions);
            stream(app, request, access, false)
        }
        Err(err) => refuse(
            StatusCode::BAD_REQUEST,
            format!("the body is not one GraphQL request: {err}"),
        ),
    }
}

/// `GET /graphql/stream`.
pub(super) async fn get(
    State(app): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Query(params): Query<HashMap<String, String>>,
) -> HttpResponse {
    let mut request = Request::new(params.get("query").map_or("", String::as_str));
    if let Some(name) = params.get("operationName") {
        request = request.operation_name(name.as_str());
    }
    for (name, text) in [("variables", "variables"), ("extensions", "extensions")] {
        let Some(text) = params.get(text) else {
            continue;
        };
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(err) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    format!("`{name}` is not JSON: {err}"),
                );
            }
        };
        if name == "variables" {
            request = request.variables(Variables::from_json(value));
        } else if let Ok(extensions) = serde_json::from_value(value) {
            request.extensions = extensions;
        }
    }
    if let Err(error) = state_version::from_headers(&headers, &mut request) {
        return events(refused(&app, error));
    }
    let access = app.auth.for_request(&headers, &extensions);
    stream(app, request, access, true)
}

/// Admits `request` and answers with its event stream.
fn stream(app: AppState, mut request: Request, access: Access, no_mutations: bool) -> HttpResponse {
    let Ok(permit) = app.streams.clone().try_acquire_owned() else {
        return events(refused(
            &app,
            ServerError::new(
                format!("the server holds {MAX_STREAMS} streams already; try again later"),
                None,
            ),
        ));
    };
    let admitted = match app.admit(&mut request) {
        Ok(admitted) => admitted,
        Err(error) => return events(refused(&app, error)),
    };
    if no_mutations && admitted.any_mutation {
        let error = ServerError::new(
            "mutations do not run over GET: POST them to /graphql/stream (or /graphql)",
            None,
        );
        return events(refused(&app, error));
    }
    let scope = match state_version::scope_for(&request, &admitted) {
        Ok(scope) => scope,
        Err(error) => return events(refused(&app, error)),
    };
    // The operation runs in a task of its own, in its reads scope, and ends when it does or
    // when the client goes away; it holds the stream's turn until then.
    let (sender, receiver) = mpsc::channel::<Response>(16);
    tokio::spawn(node::read_within(scope, async move {
        let _turn = permit;
        let mut answers = app.run_stream(request, access, admitted);
        loop {
            tokio::select! {
                answer = answers.next() => {
                    let Some(answer) = answer else { return };
                    if sender.send(answer).await.is_err() {
                        return;
                    }
                }
                () = sender.closed() => return,
            }
        }
    }));
    let answers = stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|answer| (answer, receiver))
    });
    events(answers.boxed())
}

/// A request's answers as `next` events, then `complete`.
fn events(answers: BoxStream<'static, Response>) -> HttpResponse {
    let next = answers.map(|response| {
        let data = serde_json::to_string(&response).unwrap_or_else(|_| {
            r#"{"errors":[{"message":"the answer could not be encoded","extensions":{"code":"INTERNAL"}}]}"#.to_owned()
        });
        Ok::<_, Infallible>(Event::default().event("next").data(data))
    });
    let complete = stream::once(async { Ok(Event::default().event("complete").data("")) });
    let mut response = Sse::new(next.chain(complete))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // Proxies that buffer (nginx) pass each event on as it comes.
    response.headers_mut().insert(
        axum::http::HeaderName::from_static("x-accel-buffering"),
        axum::http::HeaderValue::from_static("no"),
    );
    response
}

/// The one answer to a request refused before it ran.
fn refused(app: &AppState, mut error: ServerError) -> BoxStream<'static, Response> {
    if error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .is_none()
    {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code::BAD_REQUEST);
    }
    let response = app.finish(Response::from_errors(vec![error]));
    stream::once(async { response }).boxed()
}
