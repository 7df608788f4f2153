//! Snapshots: saving the whole state and going back to it.
use async_graphql::{Context, ErrorExtensions, ID, Object, Subscription};
use futures::Stream;

use crate::graphql::access::TokenGuard;
use crate::graphql::chain_info::ChainInfo;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::node;
use crate::graphql::read_again::read_again_on;
use crate::graphql::snapshot::Snapshot;
use crate::node::NodeEvent;

/// The snapshots queries.
#[derive(Default)]
pub struct SnapshotQuery;

#[Object]
impl SnapshotQuery {
    /// Every snapshot, oldest first.
    async fn snapshots(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Snapshot>> {
        let snapshots = node(ctx)?.snapshots().await.api()?;
        Ok(snapshots.into_iter().map(Snapshot).collect())
    }
}

/// The snapshots mutations.
#[derive(Default)]
pub struct SnapshotMutation;

#[Object]
impl SnapshotMutation {
    /// Saves the whole state (chain, chainstate, pool with its refusals, keystore, index) to
    /// revert to later. Costs one row and a copy of the pool, whatever the chain's length.
    #[graphql(guard = "TokenGuard")]
    async fn snapshot(
        &self,
        ctx: &Context<'_>,
        name: Option<String>,
    ) -> async_graphql::Result<Snapshot> {
        Ok(Snapshot(node(ctx)?.snapshot(name.as_deref()).await.api()?))
    }

    /// Puts every table back as it was at snapshot `id`, in one transaction. The snapshot stays
    /// (revert to it again at will); snapshots taken after it are deleted. Subscribers of
    /// `chainReset` hear of it, and `blockMined` continues from the restored tip.
    #[graphql(guard = "TokenGuard")]
    async fn revert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ChainInfo> {
        let id = snapshot_id(&id)?;
        let node = node(ctx)?;
        node.revert(id).await.api()?;
        ChainInfo::read(ctx, node).await
    }

    /// Deletes snapshot `id`; false if there was none.
    #[graphql(guard = "TokenGuard")]
    async fn delete_snapshot(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let id = snapshot_id(&id)?;
        node(ctx)?.delete_snapshot(id).await.api()
    }
}

/// The snapshots subscriptions.
#[derive(Default)]
pub struct SnapshotSubscription;

#[Subscription]
impl SnapshotSubscription {
    /// The list of snapshots each time it changes (taken, deleted, or cut by a revert or reset).
    async fn snapshots_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Vec<Snapshot>>> + use<>>
    {
        let wanted = |event: &NodeEvent| {
            matches!(
                event,
                NodeEvent::SnapshotsChanged
                    | NodeEvent::ChainReverted { .. }
                    | NodeEvent::ChainReset { .. }
            )
        };
        Ok(read_again_on(node(ctx)?.clone(), wanted, async |node| {
            let list = node.snapshots().await?;
            Ok(list.into_iter().map(Snapshot).collect())
        }))
    }
}

/// A snapshot id argument: a decimal integer.
fn snapshot_id(id: &ID) -> async_graphql::Result<i64> {
    id.parse::<i64>().map_err(|_| {
        ApiError::BadRequest(format!("snapshot id {:?} is not a number", id.as_str())).extend()
    })
}
