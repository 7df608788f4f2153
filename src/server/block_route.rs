//! `POST /graphql/blocks`: the `submitBlock` and `submitBlocks` mutations with a body as large as
//! the largest block (`node::MAX_BLOCK_BYTES`, in hex), where `/graphql` takes at most
//! `--max-body-bytes`. Peers announce their blocks here, so a block too large for an ordinary
//! request still travels.
//!
//! Only documents whose every operation is a mutation selecting only those two run here;
//! anything else is refused, so the larger limit buys nothing but block submission. A body no
//! larger than `/graphql` takes is read at once, as there. A larger one waits for one of
//! [`UPLOADS`] turns before it is read, which bounds the memory the route can take, and must
//! arrive within [`BODY_DEADLINE`]: a client sending slowly holds a turn only that long, and
//! never delays ordinary blocks.

use std::time::Duration;

use async_graphql::{Request, Response};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};

use super::AppState;
use super::errors::refuse;
use super::errors::refuse_unless_json;
use crate::node::MAX_BLOCK_BYTES;

/// Largest body: a block in hex, and room for the document and the JSON around it.
pub(super) const BLOCK_BODY_BYTES: usize = 2 * MAX_BLOCK_BYTES + 64 * 1024;
/// Large bodies read at once.
pub(super) const UPLOADS: usize = 2;
/// Time a body has to arrive (a large one: once its turn came).
const BODY_DEADLINE: Duration = Duration::from_secs(30);

pub(super) async fn post(
    State(app): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Body,
) -> HttpResponse {
    if let Some(refusal) = refuse_unless_json(&headers, "POST /graphql/blocks") {
        return refusal;
    }
    let bytes = match read(&app, &headers, body).await {
        Ok(bytes) => bytes,
        Err(refusal) => return *refusal,
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
    let admitted = match app.admission.admit(&mut request) {
        Ok(admitted) if admitted.only_block_submissions => admitted,
        Ok(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "only `submitBlock` and `submitBlocks` mutations are taken at /graphql/blocks; send \
                 other operations to /graphql",
            );
        }
        Err(error) => {
            return Json(app.finish(Response::from_errors(vec![error]))).into_response();
        }
    };
    let access = app.auth.for_request(&headers, &extensions);
    super::http::answered(app.execute(request, access, admitted).await)
}

/// The body: at once when it declares at most `--max-body-bytes`, else in its turn; in time.
async fn read(app: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, Box<HttpResponse>> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let small = declared.is_some_and(|length| length <= app.max_body_bytes);
    let (limit, _turn) = if small {
        (app.max_body_bytes, None)
    } else {
        // The semaphore is never closed, so a turn always comes.
        (BLOCK_BODY_BYTES, app.block_uploads.acquire().await.ok())
    };
    match tokio::time::timeout(BODY_DEADLINE, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(Box::new(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is larger than {limit} bytes (a block of at most \
                 {MAX_BLOCK_BYTES} bytes, in hex)"
            ),
        ))),
        Err(_) => Err(Box::new(refuse(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the body did not arrive within {} s",
                BODY_DEADLINE.as_secs()
            ),
        ))),
    }
}
