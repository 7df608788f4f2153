//! The web front end: the test stand at `/` and GraphiQL at `/graphiql`, built from
//! `playground/` into `playground/dist/` and embedded in the binary, so the page requests nothing
//! from outside the server.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

/// The built front end.
#[derive(RustEmbed)]
#[folder = "playground/dist/"]
struct Assets;

/// Scripts, styles and connections from this server only (GraphiQL sets inline styles).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self' blob:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn serve(path: &str, page: bool) -> Response {
    let Some(file) = Assets::get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mime = file.metadata.mimetype().to_owned();
    let mut response = (StatusCode::OK, file.data.into_owned()).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if page {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    } else {
        // Vite puts a content hash in every asset's name.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /`: the test stand.
pub async fn stand() -> Response {
    serve("index.html", true)
}

/// `GET /graphiql`: GraphiQL.
pub async fn graphiql() -> Response {
    serve("graphiql.html", true)
}

/// `GET /assets/{file}`: scripts and styles of both pages.
pub async fn asset(Path(file): Path<String>) -> Response {
    serve(&format!("assets/{file}"), false)
}
