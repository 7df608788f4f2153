//! `GET /blocks?from=HEIGHT&count=N`: a batch of main-chain blocks as bytes, for peers catching
//! up: each block's canonical encoding framed by its length (the chain archive's frames, back to
//! back, see docs/protocol.md), `application/octet-stream`. The same blocks as `rawBlocks`, which
//! stays for GraphQL clients, without hex or JSON on either side. Open like every read; at most
//! [`MAX_BLOCKS`] blocks and, past the first, [`MAX_BYTES`] in one answer.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::errors::refuse;
use crate::chain::archive::frame_blocks;

/// Most blocks in one answer.
pub const MAX_BLOCKS: u64 = 500;
/// Bytes of blocks past which an answer stops (it always holds at least one block).
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

pub(super) async fn get(
    State(app): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let number = |name: &str| params.get(name).map(|v| v.parse::<u64>());
    let from = match number("from") {
        Some(Ok(from)) => from,
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "GET /blocks needs `from`, a height (a whole number from 0)",
            );
        }
    };
    let count = match number("count") {
        None => 100,
        Some(Ok(count)) if (1..=MAX_BLOCKS).contains(&count) => count,
        Some(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("`count` must be between 1 and {MAX_BLOCKS}"),
            );
        }
    };
    match app.node.encoded_blocks_from(from, count, MAX_BYTES).await {
        Ok(blocks) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            frame_blocks(&blocks),
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "a block batch could not be read");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the blocks could not be read; try again",
            )
        }
    }
}
