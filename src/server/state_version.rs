//! Read-your-writes across hot standbys. A mutation's answer carries the state version it left
//! (`extensions.stateVersion` and the `x-pocket-state-version` header); a client that presents
//! it with a later request (`x-pocket-min-state-version`, or `extensions.minStateVersion`) is
//! answered from a standby that has replayed at least that far, or else from the primary. Without
//! one, reads may come from a standby at most `--max-replica-lag` behind.

use std::sync::Arc;

use async_graphql::{Request, Response, ServerError};
use axum::http::HeaderMap;

use crate::graphql::Admitted;
use crate::graphql::error::code;
use crate::node::ReadScope;

/// The header a client presents its last write's version in.
pub const PRESENTED_HEADER: &str = "x-pocket-min-state-version";
/// The header a mutation's answer carries its version in.
pub const ANSWER_HEADER: &str = "x-pocket-state-version";
/// The request extension a client presents its last write's version in.
const PRESENTED_EXTENSION: &str = "minStateVersion";
/// The answer extension a mutation's version is in.
pub const ANSWER_EXTENSION: &str = "stateVersion";

/// Copies a version presented in `headers` into `request`'s extensions (the header wins), so
/// every transport finds it in one place.
pub fn from_headers(headers: &HeaderMap, request: &mut Request) -> Result<(), ServerError> {
    let Some(value) = headers.get(PRESENTED_HEADER) else {
        return Ok(());
    };
    let version = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            refusal(format!(
                "the {PRESENTED_HEADER} header must be a whole number"
            ))
        })?;
    request.extensions.insert(
        PRESENTED_EXTENSION.into(),
        async_graphql::Value::from(version),
    );
    Ok(())
}

/// The reads of `request`: they see at least the version it presents.
pub fn scope_of(request: &Request) -> Result<Arc<ReadScope>, ServerError> {
    let floor = match request.extensions.get(PRESENTED_EXTENSION) {
        None => None,
        Some(async_graphql::Value::Number(n)) => Some(n.as_i64().ok_or_else(|| {
            refusal(format!(
                "extensions.{PRESENTED_EXTENSION} must be a whole number"
            ))
        })?),
        Some(_) => {
            return Err(refusal(format!(
                "extensions.{PRESENTED_EXTENSION} must be a whole number (a stateVersion)"
            )));
        }
    };
    Ok(ReadScope::new(floor))
}

/// The reads scope of an admitted operation: a subscription reads what announcements say is
/// committed and a mutation reads its own writes, so both read the primary; a query reads at or
/// after the version its request presents.
pub fn scope_for(request: &Request, admitted: &Admitted) -> Result<Arc<ReadScope>, ServerError> {
    if admitted.any_subscription || admitted.any_mutation {
        Ok(ReadScope::primary())
    } else {
        scope_of(request)
    }
}

/// Puts `version` in a mutation's answer.
pub fn answer_with(response: &mut Response, version: i64) {
    response
        .extensions
        .insert(ANSWER_EXTENSION.into(), async_graphql::Value::from(version));
}

fn refusal(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code::BAD_REQUEST);
    error
}
