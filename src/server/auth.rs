//! The API token: one check for the `Authorization` header and for a WebSocket's
//! `connection_init` payload (browsers cannot set headers on a WebSocket).

use std::sync::Arc;

use axum::http::{Extensions, HeaderMap, header};

use crate::graphql::Access;

/// The configured bearer token, if any.
#[derive(Clone, Default)]
pub(super) struct Auth {
    token: Option<Arc<str>>,
}

impl Auth {
    pub(super) fn new(token: Option<&str>) -> Self {
        Self {
            token: token.map(Arc::from),
        }
    }

    /// What a request with these headers and extensions may do, and where it came from.
    pub(super) fn for_request(&self, headers: &HeaderMap, extensions: &Extensions) -> Access {
        Access {
            sender: super::serve::remote_of(extensions),
            ..self.for_headers(headers)
        }
    }

    /// What a request with these headers may do.
    pub(super) fn for_headers(&self, headers: &HeaderMap) -> Access {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        self.access(value)
    }

    /// What a WebSocket may do after `connection_init` with `payload`, given what its upgrade
    /// request's headers allowed.
    pub(super) fn for_init_payload(&self, headers: Access, payload: &serde_json::Value) -> Access {
        let value = payload
            .get("Authorization")
            .or_else(|| payload.get("authorization"))
            .and_then(|v| v.as_str());
        Access {
            may_mutate: headers.may_mutate || self.access(value).may_mutate,
            sender: headers.sender,
        }
    }

    /// Access for an `Authorization` value (`Bearer <token>`).
    fn access(&self, authorization: Option<&str>) -> Access {
        let offered = authorization.and_then(|v| v.strip_prefix("Bearer "));
        let may_mutate = match (&self.token, offered) {
            (None, _) => true,
            (Some(token), Some(offered)) => {
                constant_time_eq(token.as_bytes(), offered.trim().as_bytes())
            }
            (Some(_), None) => false,
        };
        Access {
            may_mutate,
            sender: None,
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_token_opens_mutations_from_a_header_or_an_init_payload() {
        let auth = Auth::new(Some("s3cret"));
        let mut headers = HeaderMap::new();
        assert!(!auth.for_headers(&headers).may_mutate);
        headers.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        let with_header = auth.for_headers(&headers);
        assert!(with_header.may_mutate);
        let none = Access {
            may_mutate: false,
            sender: None,
        };
        assert!(
            auth.for_init_payload(none, &json!({ "Authorization": "Bearer s3cret" }))
                .may_mutate
        );
        assert!(
            !auth
                .for_init_payload(none, &json!({ "authorization": "Bearer wrong" }))
                .may_mutate
        );
        assert!(auth.for_init_payload(with_header, &json!({})).may_mutate);
        assert!(Auth::new(None).for_headers(&HeaderMap::new()).may_mutate);
    }
}
