//! Commands sent to the server that holds the database, through its GraphQL API (the address
//! its lock records), so that what they write reaches that server's subscribers and peers.

use std::time::Duration;

use serde_json::{Value, json};

/// Longest one request may take (a thousand blocks at a high difficulty take a while).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// Why the server did not do it.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// No answer, or not GraphQL.
    #[error("the server at {url} holds the database but did not answer: {reason}")]
    Unreachable {
        /// Its address.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with an error.
    #[error("the server at {url} refused: {message} ({code})")]
    Refused {
        /// Its address.
        url: String,
        /// Its message.
        message: String,
        /// Its `extensions.code`.
        code: String,
    },
}

/// A server's API.
#[derive(Debug, Clone)]
pub struct Remote {
    url: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl Remote {
    /// The API at `url` (the server's base address), presenting `token` when given.
    pub fn new(url: &str, token: Option<String>) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            token: token.filter(|t| !t.is_empty()),
            client: reqwest::Client::new(),
        }
    }

    /// The server's base address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs one operation and returns its `data`.
    pub async fn call(&self, query: &str, variables: Value) -> Result<Value, RemoteError> {
        let unreachable = |reason: String| RemoteError::Unreachable {
            url: self.url.clone(),
            reason,
        };
        let mut request = self
            .client
            .post(format!("{}/graphql", self.url))
            .timeout(REQUEST_TIMEOUT)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let body: Value = response
            .json()
            .await
            .map_err(|e| unreachable(format!("not a GraphQL answer: {e}")))?;
        if let Some(error) = body.pointer("/errors/0") {
            return Err(RemoteError::Refused {
                url: self.url.clone(),
                message: error["message"].as_str().unwrap_or("?").to_owned(),
                code: error
                    .pointer("/extensions/code")
                    .and_then(Value::as_str)
                    .unwrap_or("no code")
                    .to_owned(),
            });
        }
        Ok(body.get("data").cloned().unwrap_or(Value::Null))
    }

    /// Blocks on the server's main chain (0 before genesis).
    pub async fn block_count(&self) -> Result<u64, RemoteError> {
        let data = self.call("{ chain { height } }", json!({})).await?;
        Ok(data
            .pointer("/chain/height")
            .and_then(Value::as_u64)
            .map_or(0, |h| h + 1))
    }
}
