//! `POST /graphql/blocks`: the `submitBlock` mutation with a body as large as the largest block
//! (`node::MAX_BLOCK_BYTES`, in hex), where `/graphql` takes at most `--max-body-bytes`. Peers
//! announce their blocks here, so a block too large for an ordinary request still travels.
//!
//! Only documents whose every operation is a mutation selecting only `submitBlock` run here;
//! anything else is refused, so the larger limit buys nothing but block submission. At most
//! [`UPLOADS`] bodies are read at once (others wait their turn, before reading), which bounds
//! the memory the route can take.

use async_graphql::{Request, Response};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};

use super::AppState;
use super::errors::refuse;
use super::http::refuse_unless_json;
use crate::graphql;
use crate::node::MAX_BLOCK_BYTES;

/// Largest body: a block in hex, and room for the document and the JSON around it.
pub(super) const BLOCK_BODY_BYTES: usize = 2 * MAX_BLOCK_BYTES + 64 * 1024;
/// Bodies read at once.
pub(super) const UPLOADS: usize = 2;

pub(super) async fn post(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> HttpResponse {
    if let Some(refusal) = refuse_unless_json(&headers, "POST /graphql/blocks") {
        return refusal;
    }
    // The semaphore is never closed, so a turn always comes.
    let _turn = app.block_uploads.acquire().await.ok();
    let Ok(bytes) = axum::body::to_bytes(body, BLOCK_BODY_BYTES).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is larger than {BLOCK_BODY_BYTES} bytes (a block of at most {MAX_BLOCK_BYTES} bytes, in hex)"
            ),
        );
    };
    let mut request: Request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(err) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the body is not one GraphQL request: {err}"),
            );
        }
    };
    match graphql::admit(&app.limits, &mut request) {
        Ok(admitted) if admitted.only_block_submissions => {}
        Ok(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "only `submitBlock` mutations are taken at /graphql/blocks; send other operations \
                 to /graphql",
            );
        }
        Err(error) => {
            return Json(app.finish(Response::from_errors(vec![error]))).into_response();
        }
    }
    let access = app.auth.for_headers(&headers);
    Json(app.execute(request, access).await).into_response()
}
