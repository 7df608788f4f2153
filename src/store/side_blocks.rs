//! Side blocks (`sb`): the block tree's branches off the main chain, kept whole so a branch can
//! become the main chain later. A block is here or in `b`, never both.

use std::collections::HashSet;

use entity::side_blocks;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::convert::{now_millis, parse, to_i64, to_u64};
use super::error::{StoreError, StoreResult};
use crate::chain::{Block, BlockHash};
use crate::model::{SideBlock, StoredBlock};

impl TryFrom<side_blocks::Model> for SideBlock {
    type Error = StoreError;

    fn try_from(row: side_blocks::Model) -> StoreResult<Self> {
        let block = Block::decode(&row.body)
            .map_err(|e| StoreError::corrupt("side blocks", e.to_string()))?;
        let hash: BlockHash = parse("side blocks", &row.hash)?;
        if block.hash() != hash {
            return Err(StoreError::corrupt(
                "side blocks",
                format!("body of {hash} hashes to {}", block.hash()),
            ));
        }
        Ok(Self {
            stored: StoredBlock {
                hash,
                height: to_u64("side blocks", row.height)?,
                block,
            },
            seen: row.seen,
            invalid: row.invalid,
        })
    }
}

/// Keeps `stored` as a side block, first seen now.
pub async fn insert(db: &impl ConnectionTrait, stored: &StoredBlock) -> StoreResult<()> {
    let row = side_blocks::ActiveModel {
        hash: Set(stored.hash.to_string()),
        prev_hash: Set(stored.block.header.prev_hash.to_string()),
        height: Set(to_i64("side blocks", stored.height)?),
        body: Set(stored.block.encode()),
        seen: Set(now_millis()),
        invalid: Set(None),
    };
    side_blocks::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The side block with this hash.
pub async fn by_hash(
    db: &impl ConnectionTrait,
    hash: &BlockHash,
) -> StoreResult<Option<SideBlock>> {
    side_blocks::Entity::find_by_id(hash.to_string())
        .one(db)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// The valid side block with the greatest height (the most work), the first seen among equals.
pub async fn best(db: &impl ConnectionTrait) -> StoreResult<Option<(BlockHash, u64)>> {
    let row = side_blocks::Entity::find()
        .select_only()
        .column(side_blocks::Column::Hash)
        .column(side_blocks::Column::Height)
        .filter(side_blocks::Column::Invalid.is_null())
        .order_by_desc(side_blocks::Column::Height)
        .order_by_asc(side_blocks::Column::Seen)
        .into_tuple::<(String, i64)>()
        .one(db)
        .await?;
    row.map(|(hash, height)| Ok((parse("side blocks", &hash)?, to_u64("side blocks", height)?)))
        .transpose()
}

/// Takes blocks out of the tree's side branches (they joined the main chain).
pub async fn remove(db: &impl ConnectionTrait, hashes: &[BlockHash]) -> StoreResult<()> {
    for chunk in hashes.chunks(500) {
        side_blocks::Entity::delete_many()
            .filter(side_blocks::Column::Hash.is_in(chunk.iter().map(ToString::to_string)))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Marks `hash` invalid for `reason`, and every side block descending from it. Returns how many
/// blocks were marked.
pub async fn mark_invalid(
    db: &impl ConnectionTrait,
    hash: &BlockHash,
    reason: &str,
) -> StoreResult<u64> {
    let mut frontier = vec![hash.to_string()];
    let mut marked: HashSet<String> = HashSet::new();
    while !frontier.is_empty() {
        side_blocks::Entity::update_many()
            .col_expr(side_blocks::Column::Invalid, Some(reason.to_owned()).into())
            .filter(side_blocks::Column::Hash.is_in(frontier.clone()))
            .exec(db)
            .await?;
        marked.extend(frontier.iter().cloned());
        frontier = side_blocks::Entity::find()
            .select_only()
            .column(side_blocks::Column::Hash)
            .filter(side_blocks::Column::PrevHash.is_in(frontier))
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .filter(|h| !marked.contains(h))
            .collect();
    }
    Ok(marked.len() as u64)
}

/// Side blocks at heights `from..=to`, oldest first (the tree view).
pub async fn in_heights(
    db: &impl ConnectionTrait,
    from: u64,
    to: u64,
    limit: u64,
) -> StoreResult<Vec<SideBlock>> {
    side_blocks::Entity::find()
        .filter(
            side_blocks::Column::Height
                .between(to_i64("side blocks", from)?, to_i64("side blocks", to)?),
        )
        .order_by_asc(side_blocks::Column::Height)
        .order_by_asc(side_blocks::Column::Seen)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// Every side block, oldest first (`pocket verify`).
pub async fn all(db: &impl ConnectionTrait) -> StoreResult<Vec<SideBlock>> {
    side_blocks::Entity::find()
        .order_by_asc(side_blocks::Column::Height)
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// Number of side blocks.
pub async fn count(db: &impl ConnectionTrait) -> StoreResult<u64> {
    Ok(side_blocks::Entity::find().count(db).await?)
}

/// Drops side blocks above `height` (all of them for `None`): a revert to a snapshot.
pub async fn delete_above(db: &impl ConnectionTrait, height: Option<u64>) -> StoreResult<()> {
    let above = height.map_or(Ok(-1), |h| to_i64("side blocks", h))?;
    side_blocks::Entity::delete_many()
        .filter(side_blocks::Column::Height.gt(above))
        .exec(db)
        .await?;
    Ok(())
}

/// Which of `hashes` are side blocks.
pub async fn existing(
    db: &impl ConnectionTrait,
    hashes: &[BlockHash],
) -> StoreResult<HashSet<BlockHash>> {
    let rows = side_blocks::Entity::find()
        .select_only()
        .column(side_blocks::Column::Hash)
        .filter(side_blocks::Column::Hash.is_in(hashes.iter().map(ToString::to_string)))
        .into_tuple::<String>()
        .all(db)
        .await?;
    rows.iter().map(|h| parse("side blocks", h)).collect()
}
