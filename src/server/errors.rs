//! Refusals over HTTP as GraphQL-shaped JSON: `{"errors":[{"message","extensions":{"code"}}]}`
//! with the HTTP status kept — for the server's own refusals, and for those axum and tower-http
//! answer with plain text or an empty body (405, 408, 413). Oversized URIs and header sections
//! are refused here too (414, 431), below hyper's own limits, whose answers have no body.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::graphql::error::code;

/// Longest request target (path and query string) in bytes.
pub(super) const MAX_URI_BYTES: usize = 16 * 1024;
/// Most header bytes (names and values) in one request.
pub(super) const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Most header fields in one request; hyper's own limit is set above it.
pub(super) const MAX_HEADERS: usize = 100;

/// The refusal of a body not declared JSON (what a cross-site form cannot send), if it is not.
pub(super) fn refuse_unless_json(headers: &HeaderMap, route: &str) -> Option<Response> {
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
        return Some(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "{route} takes Content-Type: application/json, not {:?}",
                content_type.chars().take(60).collect::<String>()
            ),
        ));
    }
    None
}

/// A GraphQL-shaped error answer.
pub(super) fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => code::NOT_FOUND,
        StatusCode::UNAUTHORIZED => code::UNAUTHORIZED,
        status if status.is_server_error() => code::INTERNAL,
        _ => code::BAD_REQUEST,
    };
    let body = json!({ "errors": [{ "message": message.into(), "extensions": { "code": code } }] });
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        // The rest of the body is not read: the connection ends after this answer (see
        // `linger`), and the client must not send another request on it.
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
    }
    response
}

/// Refuses oversized request heads, and gives every other error answer a JSON body.
pub(super) async fn json_errors(
    State(max_body_bytes): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let uri = request.uri().to_string().len();
    if uri > MAX_URI_BYTES {
        return refuse(
            StatusCode::URI_TOO_LONG,
            format!("the request target has {uri} bytes, at most {MAX_URI_BYTES} are accepted"),
        );
    }
    let headers = request.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return refuse(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request has {} header fields in {header_bytes} bytes, at most {MAX_HEADERS} \
                 in {MAX_HEADER_BYTES} bytes are accepted",
                headers.len()
            ),
        );
    }
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => format!("{method} is not allowed here"),
        StatusCode::REQUEST_TIMEOUT => "the request took too long and was stopped".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the request body is larger than {max_body_bytes} bytes (--max-body-bytes)")
        }
        status => status
            .canonical_reason()
            .unwrap_or("refused")
            .to_ascii_lowercase(),
    };
    let mut refused = refuse(status, message);
    // Keep what the original answer said about the method or the upgrade.
    for name in [header::ALLOW, header::SEC_WEBSOCKET_VERSION] {
        if let Some(value) = response.headers().get(&name) {
            refused.headers_mut().insert(name, value.clone());
        }
    }
    refused
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}
