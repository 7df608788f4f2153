//! The GraphQL API: it translates between GraphQL and the node's use cases and decides nothing.
//! Types wrap domain values; nested lists go through per-request data loaders; every error leaves
//! with an `extensions.code` (see [`error`]).

mod access;
mod activity;
mod address;
mod admission;
mod block;
mod block_feed;
mod block_submission;
mod chain_info;
pub mod connection;
mod dev_account;
pub mod error;
mod header_run;
mod holder;
mod lab;
mod limits;
mod loaders;
mod mining;
mod mining_progress;
mod peer;
mod pool_entry;
mod pool_feed;
mod read_again;
mod reorg;
mod roots;
mod snapshot;
mod tokens;
mod transaction;
mod tx_status;
mod unsigned_tx;
mod utxo;
mod wallet;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Schema};

use crate::net::Network;
use crate::node::Node;
use error::ApiError;
use loaders::{ChainLoader, LoadError};

pub use access::Access;
pub use admission::Admission;
pub use error::with_codes;
pub use limits::{Admitted, QueryLimits, admit};
pub use roots::{Mutation, Query, Subscription};

/// The schema type.
pub type PocketSchema = Schema<Query, Mutation, Subscription>;

/// The schema over `node`. Depth and the other document limits are checked by [`admit`], which
/// every transport calls first; complexity needs the schema's per-field costs, so it stays here.
pub fn schema(node: Arc<Node>, network: Arc<Network>, limits: QueryLimits) -> PocketSchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .data(node)
    .data(network)
    .limit_complexity(limits.complexity);
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The SDL, as `pocket schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}

/// The per-request loader: add it to each request's data. Its batches run in the reads scope
/// of the request that made it (see `node::ReadScope`).
pub fn loader_for(node: Arc<Node>) -> DataLoader<ChainLoader> {
    let scope = crate::node::current_read_scope();
    DataLoader::new(ChainLoader::new(node), move |batch| {
        let scope = scope.clone();
        tokio::spawn(async move {
            match scope {
                Some(scope) => crate::node::read_within(scope, batch).await,
                None => batch.await,
            }
        })
    })
    .max_batch_size(2000)
}

fn node<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<Node>> {
    ctx.data::<Arc<Node>>().map_err(|_| {
        async_graphql::ErrorExtensions::extend(&ApiError::Internal("schema built without a node"))
    })
}

fn network<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<Network>> {
    ctx.data::<Arc<Network>>().map_err(|_| {
        async_graphql::ErrorExtensions::extend(&ApiError::Internal(
            "schema built without a network",
        ))
    })
}

fn loader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DataLoader<ChainLoader>> {
    ctx.data::<DataLoader<ChainLoader>>().map_err(|_| {
        async_graphql::ErrorExtensions::extend(&ApiError::Internal("request without a loader"))
    })
}

/// A loader's answer as a resolver result.
fn load<T>(result: Result<Option<T>, LoadError>) -> async_graphql::Result<Option<T>> {
    result.map_err(|e| async_graphql::ErrorExtensions::extend(e.as_ref()))
}
