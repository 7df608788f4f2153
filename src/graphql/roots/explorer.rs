//! The explorer: any address, keystore wallet or not, and its activity as it happens.
use std::collections::HashSet;

use async_graphql::{Context, Object, Subscription};
use futures::Stream;

use crate::graphql::activity::{ActivityFeed, AddressActivity, MAX_WATCHED};
use crate::graphql::address::AddressInfo;
use crate::graphql::error::{ApiResult, bad_request};
use crate::graphql::node;
use crate::node::parse_address;

/// The explorer queries.
#[derive(Default)]
pub struct ExplorerQuery;

#[Object]
impl ExplorerQuery {
    /// Any valid address, keystore wallet or not: totals, unspent outputs, history with net
    /// amounts, pending transactions. An address never seen is all zeros; a malformed one is
    /// `INVALID_ADDRESS`.
    async fn address(
        &self,
        ctx: &Context<'_>,
        address: String,
    ) -> async_graphql::Result<AddressInfo> {
        let address = parse_address("address", &address).api()?;
        AddressInfo::read(ctx, address).await
    }
}

/// The explorer subscriptions.
#[derive(Default)]
pub struct ExplorerSubscription;

#[Subscription]
impl ExplorerSubscription {
    /// Each time a transaction touching one of `addresses` (1…100) enters the pool, is mined, or
    /// disappears (a reset or revert took it away), one event per transaction and address.
    async fn address_activity(
        &self,
        ctx: &Context<'_>,
        addresses: Vec<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<AddressActivity>> + use<>>
    {
        if addresses.is_empty() || addresses.len() > MAX_WATCHED {
            return Err(bad_request(format!(
                "addresses: watch 1 to {MAX_WATCHED} addresses, not {}",
                addresses.len()
            )));
        }
        let watched = addresses
            .iter()
            .map(|a| parse_address("addresses", a))
            .collect::<Result<HashSet<_>, _>>()
            .api()?;
        let feed = ActivityFeed::new(node(ctx)?.clone(), watched);
        Ok(futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item.api(), feed))
        }))
    }
}
