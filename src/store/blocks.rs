//! Blocks (`b`), the tip (`l`) and the transaction index (`t`).

use entity::{b, l, t};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::convert::{parse, to_i64, to_u64};
use super::error::{StoreError, StoreResult};
use crate::chain::{Block, BlockHash, ChainTip, Transaction, Txid};

/// A block as stored: decoded, with its hash and height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlock {
    /// Header hash.
    pub hash: BlockHash,
    /// Height (genesis is 0).
    pub height: u64,
    /// Header and transactions.
    pub block: Block,
}

/// Where a transaction was mined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// The block's hash.
    pub block_hash: BlockHash,
    /// The block's height.
    pub height: u64,
    /// Index in the block (0 is the coinbase).
    pub position: u32,
}

impl TryFrom<b::Model> for StoredBlock {
    type Error = StoreError;

    fn try_from(row: b::Model) -> StoreResult<Self> {
        let block =
            Block::decode(&row.body).map_err(|e| StoreError::corrupt("b", e.to_string()))?;
        let hash: BlockHash = parse("b", &row.hash)?;
        if block.hash() != hash {
            return Err(StoreError::corrupt(
                "b",
                format!("body of {hash} hashes to {}", block.hash()),
            ));
        }
        Ok(Self {
            hash,
            height: to_u64("b", row.height)?,
            block,
        })
    }
}

/// The last block, or `None` on an empty chain.
pub async fn tip(db: &impl ConnectionTrait) -> StoreResult<Option<ChainTip>> {
    let Some(row) = l::Entity::find_by_id(1).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(ChainTip {
        hash: parse("l", &row.hash)?,
        height: to_u64("l", row.height)?,
    }))
}

/// Points the tip at `tip`.
pub async fn set_tip(db: &impl ConnectionTrait, tip: &ChainTip) -> StoreResult<()> {
    let row = l::ActiveModel {
        id: Set(1),
        hash: Set(tip.hash.to_string()),
        height: Set(to_i64("l", tip.height)?),
    };
    l::Entity::insert(row)
        .on_conflict(
            OnConflict::column(l::Column::Id)
                .update_columns([l::Column::Hash, l::Column::Height])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Stores a block and indexes its transactions.
pub async fn insert(
    db: &impl ConnectionTrait,
    stored: &StoredBlock,
    txids: &[Txid],
) -> StoreResult<()> {
    let header = &stored.block.header;
    let height = to_i64("b", stored.height)?;
    b::Entity::insert(b::ActiveModel {
        hash: Set(stored.hash.to_string()),
        height: Set(height),
        prev_hash: Set(header.prev_hash.to_string()),
        merkle_root: Set(header.merkle_root.to_string()),
        timestamp: Set(header.timestamp as i64),
        bits: Set(header.bits as i32),
        nonce: Set(header.nonce as i64),
        tx_count: Set(stored.block.transactions.len() as i32),
        body: Set(stored.block.encode()),
    })
    .exec_without_returning(db)
    .await?;
    for chunk in txids.chunks(1000).enumerate() {
        let (n, chunk) = chunk;
        let rows = chunk.iter().enumerate().map(|(i, txid)| t::ActiveModel {
            txid: Set(txid.to_string()),
            block_hash: Set(stored.hash.to_string()),
            height: Set(height),
            position: Set((n * 1000 + i) as i32),
        });
        t::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The block with this hash.
pub async fn by_hash(
    db: &impl ConnectionTrait,
    hash: &BlockHash,
) -> StoreResult<Option<StoredBlock>> {
    b::Entity::find_by_id(hash.to_string())
        .one(db)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// The block at this height.
pub async fn by_height(db: &impl ConnectionTrait, height: u64) -> StoreResult<Option<StoredBlock>> {
    let Ok(height) = i64::try_from(height) else {
        return Ok(None);
    };
    b::Entity::find()
        .filter(b::Column::Height.eq(height))
        .one(db)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// Up to `limit` blocks below height `before` (all when `None`), newest first.
pub async fn newest_first(
    db: &impl ConnectionTrait,
    before: Option<u64>,
    limit: u64,
) -> StoreResult<Vec<StoredBlock>> {
    let mut query = b::Entity::find()
        .order_by_desc(b::Column::Height)
        .limit(limit);
    if let Some(before) = before {
        query = query.filter(b::Column::Height.lt(to_i64("b", before)?));
    }
    query
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// Blocks with heights in `from..from + limit`, oldest first: for replays and catch-up.
pub async fn range(
    db: &impl ConnectionTrait,
    from: u64,
    limit: u64,
) -> StoreResult<Vec<StoredBlock>> {
    b::Entity::find()
        .filter(b::Column::Height.gte(to_i64("b", from)?))
        .order_by_asc(b::Column::Height)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// Number of blocks stored.
pub async fn count(db: &impl ConnectionTrait) -> StoreResult<u64> {
    Ok(b::Entity::find().count(db).await?)
}

/// The greatest stored height, whatever the tip says (start-up compares the two).
pub async fn max_height(db: &impl ConnectionTrait) -> StoreResult<Option<u64>> {
    let row = b::Entity::find()
        .order_by_desc(b::Column::Height)
        .one(db)
        .await?;
    row.map(|r| to_u64("b", r.height)).transpose()
}

/// Where a transaction was mined.
pub async fn locate(db: &impl ConnectionTrait, txid: &Txid) -> StoreResult<Option<TxLocation>> {
    let Some(row) = t::Entity::find_by_id(txid.to_string()).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(TxLocation {
        block_hash: parse("t", &row.block_hash)?,
        height: to_u64("t", row.height)?,
        position: u32::try_from(row.position)
            .map_err(|_| StoreError::corrupt("t", "negative position"))?,
    }))
}

/// Number of indexed transactions.
pub async fn tx_count(db: &impl ConnectionTrait) -> StoreResult<u64> {
    Ok(t::Entity::find().count(db).await?)
}

/// A mined transaction and where it is.
pub async fn transaction(
    db: &impl ConnectionTrait,
    txid: &Txid,
) -> StoreResult<Option<(Transaction, TxLocation)>> {
    let Some(location) = locate(db, txid).await? else {
        return Ok(None);
    };
    let block = by_hash(db, &location.block_hash).await?.ok_or_else(|| {
        StoreError::corrupt(
            "t",
            format!("{txid} indexed in missing block {}", location.block_hash),
        )
    })?;
    let tx = block
        .block
        .transactions
        .get(location.position as usize)
        .cloned()
        .ok_or_else(|| {
            StoreError::corrupt("t", format!("{txid} indexed past the end of its block"))
        })?;
    Ok(Some((tx, location)))
}

/// The index rows of heights `from..=to`, in height and position order.
pub async fn index_range(
    db: &impl ConnectionTrait,
    from: u64,
    to: u64,
) -> StoreResult<Vec<(Txid, TxLocation)>> {
    t::Entity::find()
        .filter(t::Column::Height.between(to_i64("t", from)?, to_i64("t", to)?))
        .order_by_asc(t::Column::Height)
        .order_by_asc(t::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                parse("t", &row.txid)?,
                TxLocation {
                    block_hash: parse("t", &row.block_hash)?,
                    height: to_u64("t", row.height)?,
                    position: u32::try_from(row.position)
                        .map_err(|_| StoreError::corrupt("t", "negative position"))?,
                },
            ))
        })
        .collect()
}
