//! The HTTP server: routes, transport rules, limits and exposure checks around the GraphQL schema.
//!
//! - `POST/GET /graphql`: GraphQL over HTTP (`http.rs`).
//! - `GET /graphql/ws`: graphql-transport-ws and the legacy subscriptions-transport-ws
//!   (`websocket.rs`).
//! - `GET/POST /graphql/stream`: GraphQL over Server-Sent Events (`sse.rs`).
//! - `POST /graphql/blocks`: `submitBlock` with a block-sized body (`block_route.rs`); `GET
//!   /blocks`: batches of blocks as framed bytes, for peers catching up (`block_batches.rs`).
//! - `GET /` (the test stand) and `GET /graphiql`, embedded (see [`playground`]);
//!   `GET /healthz`; `GET /metrics` (Prometheus, see [`metrics`]).
//!
//! Every transport admits a document against the same limits (`graphql::admit`) and answers
//! errors with an `extensions.code`; refusals over HTTP are JSON too (`errors.rs`). Connections
//! are served with header and idle timeouts (`serve.rs`).

mod auth;
mod block_batches;
mod block_route;
mod config;
mod errors;
mod export;
mod http;
mod linger;
mod metrics;
mod persisted;
mod playground;
mod request_id;
mod response_cache;
mod serve;
mod sse;
mod state_version;
mod websocket;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::{ServerConfig, ServerError};

use self::metrics::Metrics;
use self::persisted::PersistedQueries;
use self::response_cache::ResponseCache;
use crate::graphql::{self, PocketSchema};
use crate::net::Network;
use crate::node::Node;
use auth::Auth;

/// What every handler shares.
#[derive(Clone)]
struct AppState {
    schema: PocketSchema,
    node: Arc<Node>,
    metrics: Arc<Metrics>,
    auth: Auth,
    admission: Arc<graphql::Admission>,
    max_batch: usize,
    max_body_bytes: usize,
    ws_init_timeout: Duration,
    cache: Option<Arc<ResponseCache>>,
    /// Documents known by their hash.
    persisted: Arc<PersistedQueries>,
    /// Turns to hold an event stream open (`/graphql/stream`).
    streams: sse::StreamPermits,
    /// Turns to read a large body at `/graphql/blocks`.
    block_uploads: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Every transport's first step: the document a persisted-query hash names is put in place,
    /// then the request is admitted against the limits (and a new persisted document kept).
    fn admit(
        &self,
        request: &mut async_graphql::Request,
    ) -> Result<graphql::Admitted, async_graphql::ServerError> {
        let persisted = self.persisted.resolve(request)?;
        let admitted = self.admission.admit(request)?;
        self.keep(persisted, request);
        Ok(admitted)
    }
}

async fn healthz(State(app): State<AppState>) -> HttpResponse {
    match app.node.ping().await {
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

async fn metrics_page(State(app): State<AppState>) -> HttpResponse {
    metrics::render(&app.metrics, &app.node).await
}

/// The router over `node`.
pub fn router(node: Arc<Node>, config: &ServerConfig) -> Result<Router, ServerError> {
    let metrics = Metrics::new();
    metrics.watch(&node);
    if config.persisted_only && config.persisted_queries.is_none() {
        return Err(ServerError::PersistedOnlyWithoutManifest);
    }
    let persisted = PersistedQueries::new(
        config.persisted_queries.as_deref(),
        config.persisted_only,
        &config.limits,
    )?;
    let network = Network::new(node.clone(), config.peer_token.clone());
    for peer in &config.peers {
        network.add_peer(peer, None)?;
    }
    let state = AppState {
        schema: graphql::schema(node.clone(), network, config.limits),
        node,
        metrics: metrics.clone(),
        auth: Auth::new(config.api_token.as_deref()),
        admission: Arc::new(graphql::Admission::new(config.limits)),
        max_batch: config.max_batch,
        max_body_bytes: config.max_body_bytes,
        ws_init_timeout: config.ws_init_timeout,
        cache: (config.response_cache > 0)
            .then(|| Arc::new(ResponseCache::new(config.response_cache))),
        persisted: Arc::new(persisted),
        streams: Arc::new(tokio::sync::Semaphore::new(sse::MAX_STREAMS)),
        block_uploads: Arc::new(tokio::sync::Semaphore::new(block_route::UPLOADS)),
    };
    let mut router = Router::new()
        .route("/graphql", get(http::get).post(http::post))
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/graphql/stream", get(sse::get).post(sse::post))
        .route("/graphql/blocks", post(block_route::post))
        .route("/blocks", get(block_batches::get))
        .route("/graphiql", get(playground::graphiql))
        .route("/assets/{file}", get(playground::asset))
        .route("/healthz", get(healthz))
        .route("/export", get(export::export))
        .route("/metrics", get(metrics_page))
        .route("/", get(playground::stand))
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            config.max_body_bytes,
            errors::json_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %request.method(), uri = %request.uri())
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(request_id::Counter::default()));
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
    // INTERVAL mining runs while serving; it stops (an uncommitted block rolls back) once a
    // shutdown begins.
    let scheduler = tokio::spawn(node.clone().mine_on_schedule()).abort_handle();
    let stop_scheduler = scheduler.clone();
    let signal = async move {
        shutdown.await;
        stop_scheduler.abort();
        let _ = stopping_tx.send(true);
    };
    let serve = serve::serve(listener, app, config.header_timeout, signal);
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
        () = serve => {}
        () = deadline => tracing::warn!("drain timeout reached; closing remaining connections"),
    }
    scheduler.abort();
    Ok(())
}
