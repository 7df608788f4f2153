//! The lab: what a changed block would break.
use async_graphql::{Context, Object};

use super::parse_hash;
use crate::chain::BlockHash;
use crate::graphql::error::ApiResult;
use crate::graphql::lab::{BlockCheck, BlockPatch};
use crate::graphql::node;

/// The lab queries.
#[derive(Default)]
pub struct LabQuery;

#[Object]
impl LabQuery {
    /// The lab: runs every rule of block validation, in order, on a copy of block `hash` with
    /// `patch`'s fields replaced, against the chainstate the block was mined on, and says which
    /// later link the change would break. Changes nothing. Null if no block has that hash.
    async fn explain_block(
        &self,
        ctx: &Context<'_>,
        hash: String,
        patch: Option<BlockPatch>,
    ) -> async_graphql::Result<Option<BlockCheck>> {
        let hash: BlockHash = parse_hash(&hash)?;
        let patch = patch.unwrap_or_default().parse()?;
        let lab = node(ctx)?.explain_block(&hash, &patch).await.api()?;
        Ok(lab.map(BlockCheck))
    }
}
