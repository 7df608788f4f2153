//! Prometheus metrics at `GET /metrics` (OpenMetrics text): requests and errors, blocks announced
//! to this replica, response cache hits and misses, operations validated only against their
//! variables, chain height, pool size, live subscribers, SQL
//! statements, and with hot standbys each one's lag and the reads each source served.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::node::{Node, NodeEvent};

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Counter,
    http_errors: Counter,
    graphql_errors: Counter,
    cache_hits: Counter,
    cache_misses: Counter,
    validated_by_variables: Counter,
    blocks: Counter,
    height: Gauge,
    pool: Gauge,
    subscribers: Gauge,
    statements: Gauge<u64, AtomicU64>,
    reads: Family<Labels, Gauge<u64, AtomicU64>>,
    standby_lag: Family<Labels, Gauge<f64, AtomicU64>>,
    standby_up: Family<Labels, Gauge>,
}

/// One label's name and value.
type Labels = Vec<(&'static str, String)>;

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("pocket");
        let metrics = Self {
            requests: Counter::default(),
            http_errors: Counter::default(),
            graphql_errors: Counter::default(),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            validated_by_variables: Counter::default(),
            blocks: Counter::default(),
            height: Gauge::default(),
            pool: Gauge::default(),
            subscribers: Gauge::default(),
            statements: Gauge::default(),
            reads: Family::default(),
            standby_lag: Family::default(),
            standby_up: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests served",
            metrics.requests.clone(),
        );
        registry.register(
            "http_errors",
            "HTTP answers with a 4xx or 5xx status",
            metrics.http_errors.clone(),
        );
        registry.register(
            "graphql_errors",
            "GraphQL errors returned in answers",
            metrics.graphql_errors.clone(),
        );
        registry.register(
            "response_cache_hits",
            "queries answered from the response cache",
            metrics.cache_hits.clone(),
        );
        registry.register(
            "response_cache_misses",
            "cacheable queries that had to run",
            metrics.cache_misses.clone(),
        );
        registry.register(
            "validated_by_variables",
            "operations whose document had run without errors before, so that only the \
             validation rules that read the variables ran",
            metrics.validated_by_variables.clone(),
        );
        registry.register(
            "blocks_announced",
            "blocks announced to this replica's subscribers",
            metrics.blocks.clone(),
        );
        registry.register(
            "chain_height",
            "height of the tip (-1 before genesis)",
            metrics.height.clone(),
        );
        registry.register("pool_size", "pending transactions", metrics.pool.clone());
        registry.register(
            "subscribers",
            "live subscriptions on this replica",
            metrics.subscribers.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements run by this replica (BEGIN, COMMIT and savepoints not counted)",
            metrics.statements.clone(),
        );
        registry.register(
            "reads_served",
            "node reads by where they ran, with hot standbys (source: primary or a standby)",
            metrics.reads.clone(),
        );
        registry.register(
            "standby_lag_seconds",
            "how far each hot standby's replay is behind the primary (0: it has the primary's \
             state), at its last poll",
            metrics.standby_lag.clone(),
        );
        registry.register(
            "standby_up",
            "whether each hot standby answered its last poll (1) or is skipped (0)",
            metrics.standby_up.clone(),
        );
        Arc::new(Self {
            registry,
            ..metrics
        })
    }

    /// Counts GraphQL errors of one answer.
    pub fn graphql_errors(&self, count: usize) {
        self.graphql_errors.inc_by(count as u64);
    }

    /// Counts a query answered from the response cache (`true`) or run (`false`).
    pub fn cache_lookup(&self, hit: bool) {
        if hit {
            self.cache_hits.inc();
        } else {
            self.cache_misses.inc();
        }
    }

    /// Counts an operation validated only against its variables.
    pub fn validated_by_variables(&self) {
        self.validated_by_variables.inc();
    }

    /// Counts the blocks announced to this replica, until the node goes away.
    pub fn watch(self: &Arc<Self>, node: &Node) {
        let mut events = node.subscribe();
        let metrics = self.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(NodeEvent::BlockMined(_)) => {
                        metrics.blocks.inc();
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }
}

/// Middleware counting requests and error answers.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    metrics.requests.inc();
    let response = next.run(request).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        metrics.http_errors.inc();
    }
    response
}

/// `GET /metrics`.
pub async fn render(metrics: &Metrics, node: &Node) -> Response {
    match node.chain_info().await {
        Ok(info) => {
            metrics.height.set(info.height.map_or(-1, |h| h as i64));
            metrics.pool.set(info.pool_size as i64);
        }
        Err(err) => tracing::warn!(error = %err, "metrics cannot read the chain"),
    }
    // The metrics watcher holds one receiver of its own.
    metrics
        .subscribers
        .set(node.subscriber_count().saturating_sub(1) as i64);
    metrics.statements.set(node.statement_count());
    if let Some((standbys, primary_reads)) = node.standby_status() {
        metrics
            .reads
            .get_or_create(&vec![("source", "primary".to_owned())])
            .set(primary_reads);
        for standby in standbys {
            let source = vec![("source", standby.name.clone())];
            metrics.reads.get_or_create(&source).set(standby.reads);
            let label = vec![("standby", standby.name)];
            metrics
                .standby_up
                .get_or_create(&label)
                .set(i64::from(standby.up));
            metrics
                .standby_lag
                .get_or_create(&label)
                .set(standby.lag.map_or(f64::NAN, |lag| lag.as_secs_f64()));
        }
    }
    let mut body = String::new();
    if encode(&mut body, &metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}
