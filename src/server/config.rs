//! How the server listens, what it allows, and why it may refuse to start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::graphql::QueryLimits;

/// How the server listens and what it allows.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind.
    pub listen: SocketAddr,
    /// Bearer token every mutation needs; `None` leaves mutations open (loopback use).
    pub api_token: Option<String>,
    /// Allow a non-loopback address without a token.
    pub insecure: bool,
    /// Origins allowed by CORS; empty keeps CORS closed.
    pub cors_origins: Vec<String>,
    /// Nodes to follow from the start (more can be added with `addPeer`).
    pub peers: Vec<String>,
    /// Bearer token for announcing to peers whose API needs one.
    pub peer_token: Option<String>,
    /// What one document may cost (depth, complexity, tokens, fields, aliases, directives).
    pub limits: QueryLimits,
    /// Largest request body, and largest WebSocket message.
    pub max_body_bytes: usize,
    /// Most operations in one batched POST.
    pub max_batch: usize,
    /// Longest a request may take (mining at high difficulty included).
    pub request_timeout: Duration,
    /// How long a connection may take to send a request's headers, and how long it may stay
    /// idle between requests, before it is closed.
    pub header_timeout: Duration,
    /// How long a WebSocket may wait before its `connection_init`.
    pub ws_init_timeout: Duration,
    /// After a shutdown signal, how long requests in flight may take to finish.
    pub drain_timeout: Duration,
    /// Query answers kept until the next change; 0 turns the cache off.
    pub response_cache: usize,
    /// An Apollo persisted-query manifest whose documents are known from the start.
    pub persisted_queries: Option<PathBuf>,
    /// Run only the manifest's documents.
    pub persisted_only: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            api_token: None,
            insecure: false,
            cors_origins: Vec::new(),
            peers: Vec::new(),
            peer_token: None,
            limits: QueryLimits::default(),
            max_body_bytes: 256 * 1024,
            max_batch: 10,
            response_cache: 1024,
            request_timeout: Duration::from_secs(120),
            header_timeout: Duration::from_secs(10),
            ws_init_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(10),
            persisted_queries: None,
            persisted_only: false,
        }
    }
}

/// Why the server will not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A public address without a token.
    #[error(
        "refusing to listen on non-loopback address {0} without an API token: set --api-token \
         (POCKET_API_TOKEN), or pass --insecure to expose an open node"
    )]
    Exposed(SocketAddr),
    /// A CORS origin that is not a valid header value.
    #[error("invalid CORS origin {0:?}")]
    CorsOrigin(String),
    /// A `--peer` that is not a node's URL.
    #[error(transparent)]
    Peer(#[from] crate::net::NetError),
    /// The persisted-query manifest cannot be used.
    #[error(transparent)]
    Manifest(#[from] super::persisted::ManifestError),
    /// `--persisted-only` without a manifest would refuse every document.
    #[error("--persisted-only needs --persisted-queries FILE: the documents it may run")]
    PersistedOnlyWithoutManifest,
    /// Binding or serving failed.
    #[error("server I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl ServerConfig {
    /// Refuses a non-loopback listen address without a token unless told `insecure`.
    pub fn check_exposure(&self) -> Result<(), ServerError> {
        if self.listen.ip().is_loopback() || self.api_token.is_some() || self.insecure {
            Ok(())
        } else {
            Err(ServerError::Exposed(self.listen))
        }
    }
}
