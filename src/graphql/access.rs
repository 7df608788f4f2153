//! Who may change state: the API token, checked on every mutation.

use async_graphql::{Context, ErrorExtensions, Guard};

use super::error::ApiError;

/// Whether this request may change state: true without a configured token, otherwise only
/// with `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// Mutations allowed.
    pub may_mutate: bool,
    /// The address the request came from, when known: blocks it sends that must be held are
    /// counted against it.
    pub sender: Option<std::net::IpAddr>,
}

/// Refuses mutations without [`Access::may_mutate`].
pub struct TokenGuard;

impl Guard for TokenGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match ctx.data_opt::<Access>() {
            Some(Access {
                may_mutate: true, ..
            }) => Ok(()),
            _ => Err(ApiError::Unauthorized.extend()),
        }
    }
}
