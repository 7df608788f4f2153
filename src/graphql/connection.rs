//! Relay connections: opaque cursors, the page-size cap, and `totalCount`.

use async_graphql::SimpleObject;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, connection::CursorType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::{ApiResult, bad_request};
use crate::node::NodeResult;

/// Page size when `first` is not given.
pub const DEFAULT_PAGE: usize = 50;
/// Largest `first` accepted; more is a BAD_REQUEST, not a silent cut.
pub const MAX_PAGE: usize = 500;

/// The extra field every connection has.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// Items in the whole list, not just this page (computed only when selected).
    pub total_count: u64,
}

/// A page of `Node`s with opaque string cursors.
pub type Page<Node> = Connection<String, Node, TotalCount>;

/// `totalCount`, counted only when the client asked for it (counting costs a statement); 0
/// otherwise.
pub async fn total_if_asked(
    ctx: &async_graphql::Context<'_>,
    count: impl Future<Output = NodeResult<u64>>,
) -> async_graphql::Result<u64> {
    if ctx.look_ahead().field("totalCount").exists() {
        count.await.api()
    } else {
        Ok(0)
    }
}

/// Validates `first`.
pub fn page_size(first: Option<i32>) -> async_graphql::Result<usize> {
    match first {
        None => Ok(DEFAULT_PAGE),
        Some(n) if n < 0 => Err(bad_request(format!("first must not be negative, got {n}"))),
        Some(n) if n as usize > MAX_PAGE => Err(bad_request(format!(
            "first may be at most {MAX_PAGE}, got {n}"
        ))),
        Some(n) => Ok(n as usize),
    }
}

/// The complexity of a paged field: its selection counted once per item it may return (an
/// out-of-range `first` is refused when the field runs).
pub fn paged_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    usize::try_from(first.unwrap_or(DEFAULT_PAGE as i32)).unwrap_or(0) * child_complexity
}

/// Encodes a cursor of a kind (so a blocks cursor is not accepted by the pool).
pub fn encode(kind: &str, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{value}"))
}

/// Decodes a cursor of `kind` into its value.
pub fn decode<T: std::str::FromStr>(kind: &str, cursor: &str) -> async_graphql::Result<T> {
    let bad = || {
        bad_request(format!(
            "invalid cursor {:?}",
            cursor.chars().take(80).collect::<String>()
        ))
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let value = text
        .strip_prefix(kind)
        .and_then(|t| t.strip_prefix(':'))
        .ok_or_else(bad)?;
    value.parse().map_err(|_| bad())
}

/// Builds a page from `limit + 1` fetched items (the extra one only says there is a next page).
pub fn page<Item, Node>(
    mut items: Vec<Item>,
    limit: usize,
    has_previous: bool,
    total_count: u64,
    cursor: impl Fn(&Item) -> String,
    node: impl Fn(Item) -> Node,
) -> Page<Node>
where
    Node: OutputType,
    String: CursorType,
{
    let has_next = items.len() > limit;
    items.truncate(limit);
    let mut connection =
        Connection::with_additional_fields(has_previous, has_next, TotalCount { total_count });
    connection.edges.extend(
        items
            .into_iter()
            .map(|item| Edge::new(cursor(&item), node(item))),
    );
    connection
}

/// `height.position` as a cursor value.
pub struct HistoryCursor(pub u64, pub u32);

impl std::str::FromStr for HistoryCursor {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (height, position) = s.split_once('.').ok_or(())?;
        Ok(Self(
            height.parse().map_err(|_| ())?,
            position.parse().map_err(|_| ())?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_kinds() {
        let c = encode("block", "42");
        assert_eq!(decode::<u64>("block", &c).unwrap(), 42);
        assert!(decode::<u64>("pool", &c).is_err());
        assert!(decode::<u64>("block", "!!!").is_err());
        assert!(page_size(Some(501)).is_err());
        assert!(page_size(Some(-1)).is_err());
        assert_eq!(page_size(None).unwrap(), DEFAULT_PAGE);
    }
}
