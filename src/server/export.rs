//! `GET /export`: the chain as a chain archive, for download. Blocks only: the keystore section
//! (sealed keys) is written only by `pocket export --keystore`, on the server's own machine.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;

/// The archive of the chain as it stands, named after its height.
pub(super) async fn export(State(app): State<AppState>) -> Response {
    match app.node.export_chain(false).await {
        Ok(archive) => {
            let name = match archive.blocks.len() {
                0 => "pocket-chain-empty.pchain".to_owned(),
                n => format!("pocket-chain-{}.pchain", n - 1),
            };
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                archive.encode(),
            )
                .into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "export failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({
                    "errors": [{ "message": "the chain could not be read; try again", "extensions": { "code": "UNAVAILABLE" } }]
                })),
            )
                .into_response()
        }
    }
}
