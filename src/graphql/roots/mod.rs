//! The schema's roots, one room per domain, merged into `Query`, `Mutation` and `Subscription`
//! (the order of the rooms is the order of the fields in the schema).

mod chain;
mod explorer;
mod lab;
mod mining;
mod network;
mod snapshots;
mod wallets;

use async_graphql::{MergedObject, MergedSubscription};

use super::error::bad_request;
use crate::chain::HashParseError;

/// Read access to the chain.
#[derive(MergedObject, Default)]
pub struct Query(
    chain::ChainQuery,
    wallets::WalletQuery,
    explorer::ExplorerQuery,
    mining::MiningQuery,
    snapshots::SnapshotQuery,
    network::NetworkQuery,
    lab::LabQuery,
);

/// State changes. Each needs the API token when one is configured.
#[derive(MergedObject, Default)]
pub struct Mutation(
    chain::ChainMutation,
    wallets::WalletMutation,
    mining::MiningMutation,
    snapshots::SnapshotMutation,
    network::NetworkMutation,
);

/// Live updates, pushed after each commit.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    chain::ChainSubscription,
    wallets::WalletSubscription,
    explorer::ExplorerSubscription,
    mining::MiningSubscription,
    snapshots::SnapshotSubscription,
    network::NetworkSubscription,
);

/// A transaction id or block hash argument: 64 hex digits, or a `BAD_REQUEST`.
fn parse_hash<T: std::str::FromStr<Err = HashParseError>>(text: &str) -> async_graphql::Result<T> {
    text.trim()
        .parse()
        .map_err(|e: HashParseError| bad_request(e.to_string()))
}
