//! Accepting connections: HTTP/1.1 (with WebSocket upgrades) through hyper, with the timeouts
//! `axum::serve` does not set — a connection that is slow to send a request's headers
//! (slowloris), silent from the start, or idle between requests, is closed after the header
//! timeout — a graceful stop that lets requests in flight finish, and a lingering close
//! (`linger`), so a client still sending a refused body reads the refusal.
//!
//! HTTP/2 without TLS (h2c) is not offered: detecting it means reading a connection's first
//! bytes before any timeout applies, and browsers speak HTTP/2 only over TLS, which a proxy in
//! front of `pocket` terminates.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::http::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::errors::MAX_HEADERS;
use super::linger::Lingering;

/// The address a request's connection came from, as a request extension.
#[derive(Debug, Clone, Copy)]
pub(super) struct RemoteAddr(pub std::net::IpAddr);

/// The address in `extensions`, when the request came through [`serve`].
pub(super) fn remote_of(extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    extensions.get::<RemoteAddr>().map(|r| r.0)
}

/// How long to wait before accepting again after `accept` failed (file descriptors run out).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `stop` resolves, then waits for the connections open at that
/// moment to finish their requests (upgraded WebSockets are not waited for).
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    stop: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        // Above our own limit, so that the router answers an excess with a JSON error.
        .max_headers(MAX_HEADERS * 2);
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let (stream, remote) = stream;
        let _ = stream.set_nodelay(true);
        // Each request knows the address it came from (whose blocks a held block is).
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut r: Request<hyper::body::Incoming>| {
                r.extensions_mut().insert(RemoteAddr(remote.ip()));
                r
            },
        ));
        let (builder, watcher) = (builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            // hyper times a request's headers from its first byte on, and an idle kept-alive
            // connection from its last answer on, but not a new connection that says nothing.
            let mut first = [0u8; 1];
            if tokio::time::timeout(header_timeout, stream.peek(&mut first))
                .await
                .is_err()
            {
                return;
            }
            let stream = Lingering::new(stream);
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(err) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
