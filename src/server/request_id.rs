//! Request ids from a process-wide counter, for correlating log lines (a client's own
//! `x-request-id` is kept and echoed back).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::HeaderValue;
use tower_http::request_id::{MakeRequestId, RequestId};

/// The next id, in hex.
#[derive(Clone, Default)]
pub(super) struct Counter(Arc<AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = self.0.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{id:x}"))
            .ok()
            .map(RequestId::new)
    }
}
