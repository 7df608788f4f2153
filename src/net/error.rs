//! Why talking to a peer failed.

use thiserror::Error;

use crate::node::NodeError;

/// A peer failure: each one sets the peer's state and `lastError`.
#[derive(Debug, Error)]
pub enum PeerError {
    /// The peer cannot be reached, or the connection broke (retried with backoff).
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The peer runs another chain (retried only when added again).
    #[error("incompatible: {0}")]
    Incompatible(String),
    /// The peer sent something no honest node sends: an invalid block, an oversized answer
    /// (disconnected, and retried only after a penalty).
    #[error("misbehaved: {0}")]
    Misbehaved(String),
    /// The peer answered a request with an error.
    #[error("refused a request ({code}): {message}")]
    Refused {
        /// Its `extensions.code`.
        code: String,
        /// Its message.
        message: String,
    },
    /// This node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}
