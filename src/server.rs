//! The HTTP server: routes, transport rules, limits and exposure checks around the GraphQL schema.
//!
//! - `POST /graphql` takes JSON only: content types a cross-site form can send (text/plain, form
//!   encodings, multipart) are refused, so a page on another site cannot drive a local node.
//!   Batches are capped.
//! - `GET /graphql` runs queries only; mutations and subscriptions over GET are refused.
//! - `GET /graphql/ws` speaks graphql-transport-ws and the legacy subscriptions-transport-ws.
//! - `GET /` (the test stand) and `GET /graphiql`, embedded (see [`crate::playground`]);
//!   `GET /healthz`; `GET /metrics` (Prometheus, see [`crate::metrics`]).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{
    BatchRequest, BatchResponse, Data, ErrorExtensionValues, Request, Response, Variables,
};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::graphql::error::code;
use crate::graphql::{self, Access, PocketSchema, QueryLimits};
use crate::metrics::{self, Metrics};
use crate::node::Node;
use crate::playground;
use crate::response_cache::{CacheKey, ResponseCache};

/// How the server listens and what it allows.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind.
    pub listen: SocketAddr,
    /// Bearer token every mutation needs; `None` leaves mutations open (loopback use).
    pub api_token: Option<String>,
    /// Allow a non-loopback address without a token.
    pub insecure: bool,
    /// Origins allowed by CORS; empty keeps CORS closed.
    pub cors_origins: Vec<String>,
    /// Query depth and complexity limits.
    pub limits: QueryLimits,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Most operations in one batched POST.
    pub max_batch: usize,
    /// Longest a request may take (mining at high difficulty included).
    pub request_timeout: Duration,
    /// After a shutdown signal, how long requests in flight may take to finish.
    pub drain_timeout: Duration,
    /// Query answers kept until the next change; 0 turns the cache off.
    pub response_cache: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            api_token: None,
            insecure: false,
            cors_origins: Vec::new(),
            limits: QueryLimits::default(),
            max_body_bytes: 256 * 1024,
            max_batch: 10,
            response_cache: 1024,
            request_timeout: Duration::from_secs(120),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the server will not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A public address without a token.
    #[error(
        "refusing to listen on non-loopback address {0} without an API token: set --api-token \
         (POCKET_API_TOKEN), or pass --insecure to expose an open node"
    )]
    Exposed(SocketAddr),
    /// A CORS origin that is not a valid header value.
    #[error("invalid CORS origin {0:?}")]
    CorsOrigin(String),
    /// Binding or serving failed.
    #[error("server I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl ServerConfig {
    /// Refuses a non-loopback listen address without a token unless told `insecure`.
    pub fn check_exposure(&self) -> Result<(), ServerError> {
        if self.listen.ip().is_loopback() || self.api_token.is_some() || self.insecure {
            Ok(())
        } else {
            Err(ServerError::Exposed(self.listen))
        }
    }
}

#[derive(Clone)]
struct AppState {
    schema: PocketSchema,
    node: Arc<Node>,
    metrics: Arc<Metrics>,
    token: Option<Arc<str>>,
    max_batch: usize,
    cache: Option<Arc<ResponseCache>>,
}

impl AppState {
    /// Whether a request with these headers may run mutations.
    fn access(&self, headers: &HeaderMap) -> Access {
        let offered = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        Access {
            may_mutate: self.token_matches(offered),
        }
    }

    fn token_matches(&self, offered: Option<&str>) -> bool {
        match (&self.token, offered) {
            (None, _) => true,
            (Some(token), Some(offered)) => {
                constant_time_eq(token.as_bytes(), offered.trim().as_bytes())
            }
            (Some(_), None) => false,
        }
    }

    fn request_data(&self, access: Access) -> Data {
        let mut data = Data::default();
        data.insert(access);
        data.insert(graphql::loader_for(self.node.clone()));
        data
    }

    async fn execute(&self, request: Request, access: Access) -> Response {
        let request = request
            .data(access)
            .data(graphql::loader_for(self.node.clone()));
        let response = with_codes(self.schema.execute(request).await);
        self.metrics.graphql_errors(response.errors.len());
        response
    }

    /// Answers one request, from the response cache when it is a query asked before and nothing
    /// has changed since.
    async fn answer(&self, request: Request, access: Access) -> HttpResponse {
        let Some(cache) = self
            .cache
            .as_ref()
            .filter(|_| !has_non_query(&request.query))
        else {
            return Json(self.execute(request, access).await).into_response();
        };
        let version = match self.node.state_version().await {
            Ok(version) => version,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the state version; not caching");
                return Json(self.execute(request, access).await).into_response();
            }
        };
        let key = CacheKey::of(&request);
        if let Some(body) = cache.get(version, &key) {
            self.metrics.cache_lookup(true);
            return json_body(body, "hit");
        }
        self.metrics.cache_lookup(false);
        let response = self.execute(request, access).await;
        let body = match serde_json::to_vec(&response) {
            Ok(body) => Bytes::from(body),
            Err(_) => return Json(response).into_response(),
        };
        if response.errors.is_empty() {
            cache.put(version, key, body.clone());
        }
        json_body(body, "miss")
    }
}

/// A JSON answer from bytes already serialized, saying whether the cache had it.
fn json_body(body: Bytes, cache: &'static str) -> HttpResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                HeaderName::from_static("x-pocket-cache"),
                HeaderValue::from_static(cache),
            ),
        ],
        body,
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Gives every error a code: async-graphql's own (syntax, validation, limits) are the client's.
fn with_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        let extensions = error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code::BAD_REQUEST);
        }
    }
    response
}

/// A GraphQL-shaped error answer for requests refused before execution.
fn refuse(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    let body = json!({ "errors": [{ "message": message.into(), "extensions": { "code": code::BAD_REQUEST } }] });
    (status, Json(body)).into_response()
}

async fn graphql_post(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> HttpResponse {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime != "application/json" {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "POST /graphql takes Content-Type: application/json, not {:?}",
                content_type.chars().take(60).collect::<String>()
            ),
        );
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(err) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the body is not a GraphQL request: {err}"),
            );
        }
    };
    let empty = match &batch {
        BatchRequest::Single(request) => request.query.trim().is_empty(),
        BatchRequest::Batch(requests) => requests.iter().any(|r| r.query.trim().is_empty()),
    };
    if empty {
        return refuse(StatusCode::BAD_REQUEST, "the request has no `query`");
    }
    let access = app.access(&headers);
    let response = match batch {
        BatchRequest::Single(request) => return app.answer(request, access).await,
        BatchRequest::Batch(requests) if requests.is_empty() => {
            return refuse(StatusCode::BAD_REQUEST, "an empty batch");
        }
        BatchRequest::Batch(requests) if requests.len() > app.max_batch => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "a batch may hold at most {} operations, got {}",
                    app.max_batch,
                    requests.len()
                ),
            );
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(app.execute(request, access).await);
            }
            BatchResponse::Batch(responses)
        }
    };
    Json(response).into_response()
}

/// Whether a document holds any operation other than a query. GET may run none of them, even
/// unselected: this does not depend on how `operationName` is read.
fn has_non_query(query: &str) -> bool {
    match async_graphql::parser::parse_query(query) {
        Ok(document) => match document.operations {
            DocumentOperations::Single(op) => op.node.ty != OperationType::Query,
            DocumentOperations::Multiple(ops) => {
                ops.values().any(|op| op.node.ty != OperationType::Query)
            }
        },
        // Unparsable documents run nothing; execution reports the syntax error.
        Err(_) => false,
    }
}

async fn graphql_get(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> HttpResponse {
    let Some(query) = params.get("query").filter(|q| !q.trim().is_empty()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "GET /graphql needs a `query` parameter",
        );
    };
    if has_non_query(query) {
        return refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "only queries run over GET: send mutations by POST and subscriptions over the WebSocket at /graphql/ws",
        );
    }
    let mut request = Request::new(query.as_str());
    if let Some(name) = params.get("operationName") {
        request = request.operation_name(name.as_str());
    }
    if let Some(variables) = params.get("variables") {
        match serde_json::from_str(variables) {
            Ok(value) => request = request.variables(Variables::from_json(value)),
            Err(err) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    format!("`variables` is not JSON: {err}"),
                );
            }
        }
    }
    app.answer(request, app.access(&headers)).await
}

async fn graphql_ws(
    State(app): State<AppState>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    let header_access = app.access(&headers);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            let schema = app.schema.clone();
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    // Browsers cannot set headers on a WebSocket: the token may come in the
                    // connection_init payload instead.
                    let offered = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(|v| v.as_str())
                        .and_then(|v| v.strip_prefix("Bearer "));
                    let access = Access {
                        may_mutate: header_access.may_mutate || app.token_matches(offered),
                    };
                    Ok(app.request_data(access))
                })
                .serve()
        })
}

async fn healthz(State(app): State<AppState>) -> HttpResponse {
    match app.node.store().ping().await {
        Ok(()) => Json(json!({ "status": "ok", "database": "reachable" })).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
                .into_response()
        }
    }
}

/// Request ids from a process-wide counter, for correlating log lines.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = self.0.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{id:x}"))
            .ok()
            .map(RequestId::new)
    }
}

/// The router over `node`.
pub fn router(node: Arc<Node>, config: &ServerConfig) -> Result<Router, ServerError> {
    let metrics = Metrics::new();
    metrics.watch(&node);
    let state = AppState {
        schema: graphql::schema(node.clone(), config.limits),
        node,
        metrics: metrics.clone(),
        token: config.api_token.as_deref().map(Arc::from),
        max_batch: config.max_batch,
        cache: (config.response_cache > 0)
            .then(|| Arc::new(ResponseCache::new(config.response_cache))),
    };
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/graphiql", get(playground::graphiql))
        .route("/assets/{file}", get(playground::asset))
        .route("/healthz", get(healthz))
        .route("/metrics", get(|State(app): State<AppState>| async move { metrics::render(&app.metrics, &app.node).await }))
        .route("/", get(playground::stand))
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %request.method(), uri = %request.uri())
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(Counter::default()));
    if !config.cors_origins.is_empty() {
        let origins = config
            .cors_origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| ServerError::CorsOrigin(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]),
        );
    }
    Ok(router)
}

/// After the drain deadline, how long cancelled nonce searches have to send their answers.
const CANCEL_GRACE: Duration = Duration::from_secs(1);

/// Serves `node` on `listener` until `shutdown` resolves, then lets requests in flight finish.
/// At the drain deadline a nonce search still running is cancelled (its request answers that
/// nothing was written) and, a moment later, remaining connections (WebSockets) are closed.
pub async fn run(
    listener: TcpListener,
    node: Arc<Node>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    config.check_exposure()?;
    let app = router(node.clone(), &config)?;
    let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
    let signal = async move {
        shutdown.await;
        let _ = stopping_tx.send(true);
    };
    let serve = axum::serve(listener, app).with_graceful_shutdown(signal);
    let drain = config.drain_timeout;
    let deadline = async move {
        let mut stopping = stopping_rx;
        while !*stopping.borrow() {
            if stopping.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tokio::time::sleep(drain).await;
        node.shutdown();
        tokio::time::sleep(CANCEL_GRACE).await;
    };
    tokio::select! {
        result = serve => result?,
        () = deadline => tracing::warn!("drain timeout reached; closing remaining connections"),
    }
    Ok(())
}
