//! GraphQL over HTTP, as a plain client sends it.

use serde_json::{Value, json};

/// POSTs a GraphQL operation to `url` and returns the JSON answer.
pub async fn graphql(http: &reqwest::Client, url: &str, query: &str, variables: Value) -> Value {
    http.post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("a JSON answer")
}
