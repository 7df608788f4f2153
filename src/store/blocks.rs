//! Blocks (`b`) and the tip (`l`). A block's transaction index rows (`t`) are written with it;
//! reading the index is `tx_index`'s.

use std::collections::HashMap;

use entity::{blocks, tip};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Value,
};

use super::convert::{
    AddressTexts, execute_numbered, insert_rows, parse, query_joined, to_i64, to_u64,
};
use super::error::{StoreError, StoreResult};
use crate::chain::header::BLOCK_VERSION;
use crate::chain::{Block, BlockHash, BlockHeader, ChainTip, IndexRow};
use crate::model::StoredBlock;

impl TryFrom<blocks::Model> for StoredBlock {
    type Error = StoreError;

    fn try_from(row: blocks::Model) -> StoreResult<Self> {
        let block =
            Block::decode(&row.body).map_err(|e| StoreError::corrupt("blocks", e.to_string()))?;
        let hash: BlockHash = parse("blocks", &row.hash)?;
        if block.hash() != hash {
            return Err(StoreError::corrupt(
                "blocks",
                format!("body of {hash} hashes to {}", block.hash()),
            ));
        }
        Ok(Self {
            hash,
            height: to_u64("blocks", row.height)?,
            block,
        })
    }
}

/// The last block, or `None` on an empty chain.
pub async fn tip(db: &impl ConnectionTrait) -> StoreResult<Option<ChainTip>> {
    let Some(row) = tip::Entity::find_by_id(1).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(ChainTip {
        hash: parse("tip", &row.hash)?,
        height: to_u64("tip", row.height)?,
    }))
}

/// Points the tip at `tip`.
pub async fn set_tip(db: &impl ConnectionTrait, tip: &ChainTip) -> StoreResult<()> {
    const SET_TIP: &str = r#"INSERT INTO "l" ("id", "hash", "height") VALUES (1, $1, $2)
        ON CONFLICT ("id") DO UPDATE SET "hash" = "excluded"."hash", "height" = "excluded"."height""#;
    let values = [
        tip.hash.to_string().into(),
        to_i64("tip", tip.height)?.into(),
    ];
    execute_numbered(db, SET_TIP, values).await
}

/// Empties the chain's tip (a revert to an empty chain).
pub async fn clear_tip(db: &impl ConnectionTrait) -> StoreResult<()> {
    tip::Entity::delete_many().exec(db).await?;
    Ok(())
}

/// A block's row, as [`insert_many`] binds it.
const BLOCK_ROW: &str = r#""b" ("hash", "height", "prev_hash", "merkle_root", "timestamp", "bits", "nonce", "tx_count", "body")"#;

/// A transaction index row, as [`insert_many`] binds it.
const INDEX_ROW: &str = r#""t" ("txid", "address", "block_hash", "height", "position")"#;

/// Stores blocks and their index rows, many per statement.
pub async fn insert_many(
    db: &impl ConnectionTrait,
    stored: &[StoredBlock],
    index: &[IndexRow],
) -> StoreResult<()> {
    // Bodies can be large: fewer blocks than index rows per statement.
    for chunk in stored.chunks(100) {
        let mut values: Vec<Value> = Vec::with_capacity(9 * chunk.len());
        for stored in chunk {
            let header = &stored.block.header;
            values.extend([
                stored.hash.to_string().into(),
                to_i64("blocks", stored.height)?.into(),
                header.prev_hash.to_string().into(),
                header.merkle_root.to_string().into(),
                (header.timestamp as i64).into(),
                (header.bits as i32).into(),
                (header.nonce as i64).into(),
                (stored.block.transactions.len() as i32).into(),
                stored.block.encode().into(),
            ]);
        }
        insert_rows(db, BLOCK_ROW, 9, values).await?;
    }
    let mut addresses = AddressTexts::default();
    for chunk in index.chunks(500) {
        let mut values: Vec<Value> = Vec::with_capacity(5 * chunk.len());
        for row in chunk {
            values.extend([
                row.txid.to_string().into(),
                addresses.of(row.address).into(),
                row.location.block_hash.to_string().into(),
                to_i64("blocks", row.location.height)?.into(),
                (row.location.position as i32).into(),
            ]);
        }
        insert_rows(db, INDEX_ROW, 5, values).await?;
    }
    Ok(())
}

/// The block with this hash.
pub async fn by_hash(
    db: &impl ConnectionTrait,
    hash: &BlockHash,
) -> StoreResult<Option<StoredBlock>> {
    blocks::Entity::find_by_id(hash.to_string())
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
    blocks::Entity::find()
        .filter(blocks::Column::Height.eq(height))
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
    let mut query = blocks::Entity::find()
        .order_by_desc(blocks::Column::Height)
        .limit(limit);
    if let Some(before) = before {
        query = query.filter(blocks::Column::Height.lt(to_i64("blocks", before)?));
    }
    query
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// The (height, hash) of up to `limit` blocks below height `before` (all when `None`), newest
/// first: a page's blocks without their bodies, in one row.
pub async fn hashes_newest_first(
    db: &impl ConnectionTrait,
    before: Option<u64>,
    limit: u64,
) -> StoreResult<Vec<(u64, BlockHash)>> {
    let below = match before {
        Some(before) => to_i64("blocks", before)?,
        None => i64::MAX,
    };
    let sql = r#"SELECT string_agg(CAST("height" AS TEXT) || ':' || "hash", ',') FROM
        (SELECT "height", "hash" FROM "b" WHERE "height" < $1 ORDER BY "height" DESC LIMIT $2) AS "page""#;
    let limit = to_i64("blocks", limit)?;
    let mut page = query_joined(db, sql, [below.into(), limit.into()])
        .await?
        .iter()
        .map(|part| {
            let (height, hash) = part
                .split_once(':')
                .ok_or_else(|| StoreError::corrupt("blocks", format!("page entry {part}")))?;
            Ok((
                to_u64("blocks", parse("blocks", height)?)?,
                parse("blocks", hash)?,
            ))
        })
        .collect::<StoreResult<Vec<(u64, BlockHash)>>>()?;
    page.sort_unstable_by_key(|(height, _)| std::cmp::Reverse(*height));
    Ok(page)
}

/// Blocks with heights in `from..from + limit`, oldest first: for replays and catch-up.
pub async fn range(
    db: &impl ConnectionTrait,
    from: u64,
    limit: u64,
) -> StoreResult<Vec<StoredBlock>> {
    blocks::Entity::find()
        .filter(blocks::Column::Height.gte(to_i64("blocks", from)?))
        .order_by_asc(blocks::Column::Height)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// Number of blocks stored.
pub async fn count(db: &impl ConnectionTrait) -> StoreResult<u64> {
    Ok(blocks::Entity::find().count(db).await?)
}

/// The greatest stored height, whatever the tip says (start-up compares the two).
pub async fn max_height(db: &impl ConnectionTrait) -> StoreResult<Option<u64>> {
    let row = blocks::Entity::find()
        .order_by_desc(blocks::Column::Height)
        .one(db)
        .await?;
    row.map(|r| to_u64("blocks", r.height)).transpose()
}

/// The timestamp (Unix seconds) of the highest block, if any.
pub async fn tip_timestamp(db: &impl ConnectionTrait) -> StoreResult<Option<u64>> {
    let row = blocks::Entity::find()
        .select_only()
        .column(blocks::Column::Timestamp)
        .order_by_desc(blocks::Column::Height)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    // Timestamps are written from a u64 by bit-cast, like nonces.
    Ok(row.map(|t| t as u64))
}

/// Blocks by hash, for many hashes at once.
pub async fn by_hashes(
    db: &impl ConnectionTrait,
    hashes: &[BlockHash],
) -> StoreResult<HashMap<BlockHash, StoredBlock>> {
    let mut out = HashMap::with_capacity(hashes.len());
    for chunk in hashes.chunks(200) {
        let rows = blocks::Entity::find()
            .filter(blocks::Column::Hash.is_in(chunk.iter().map(ToString::to_string)))
            .all(db)
            .await?;
        for row in rows {
            let block = StoredBlock::try_from(row)?;
            out.insert(block.hash, block);
        }
    }
    Ok(out)
}

/// The height of main-chain block `hash`, if it is one.
pub async fn height_of(db: &impl ConnectionTrait, hash: &BlockHash) -> StoreResult<Option<u64>> {
    let row = blocks::Entity::find_by_id(hash.to_string())
        .select_only()
        .column(blocks::Column::Height)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    row.map(|h| to_u64("blocks", h)).transpose()
}

/// The main chain's blocks at `heights` as (height, hash), for a block locator.
pub async fn hashes_at(
    db: &impl ConnectionTrait,
    heights: &[u64],
) -> StoreResult<Vec<(u64, BlockHash)>> {
    let wanted = heights
        .iter()
        .map(|h| to_i64("blocks", *h))
        .collect::<StoreResult<Vec<_>>>()?;
    let rows = blocks::Entity::find()
        .select_only()
        .column(blocks::Column::Height)
        .column(blocks::Column::Hash)
        .filter(blocks::Column::Height.is_in(wanted))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(height, hash)| Ok((to_u64("blocks", height)?, parse("blocks", &hash)?)))
        .collect()
}

/// Which of `hashes` are main-chain blocks, with their heights.
pub async fn heights_of(
    db: &impl ConnectionTrait,
    hashes: &[BlockHash],
) -> StoreResult<HashMap<BlockHash, u64>> {
    let rows = blocks::Entity::find()
        .select_only()
        .column(blocks::Column::Hash)
        .column(blocks::Column::Height)
        .filter(blocks::Column::Hash.is_in(hashes.iter().map(ToString::to_string)))
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(hash, height)| Ok((parse("blocks", &hash)?, to_u64("blocks", height)?)))
        .collect()
}

/// The headers of the main chain's blocks with heights in `from..from + limit`, oldest first:
/// the header columns alone, never the bodies, each checked against its stored hash.
pub async fn headers_range(
    db: &impl ConnectionTrait,
    from: u64,
    limit: u64,
) -> StoreResult<Vec<BlockHeader>> {
    type Row = (String, String, String, i64, i32, i64);
    let rows: Vec<Row> = blocks::Entity::find()
        .select_only()
        .column(blocks::Column::Hash)
        .column(blocks::Column::PrevHash)
        .column(blocks::Column::MerkleRoot)
        .column(blocks::Column::Timestamp)
        .column(blocks::Column::Bits)
        .column(blocks::Column::Nonce)
        .filter(blocks::Column::Height.gte(to_i64("blocks", from)?))
        .order_by_asc(blocks::Column::Height)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(hash, prev_hash, merkle_root, timestamp, bits, nonce)| {
            let header = BlockHeader {
                version: BLOCK_VERSION,
                prev_hash: parse("blocks", &prev_hash)?,
                merkle_root: parse("blocks", &merkle_root)?,
                timestamp: to_u64("blocks", timestamp)?,
                bits: u32::try_from(bits)
                    .map_err(|_| StoreError::corrupt("blocks", format!("bits {bits}")))?,
                nonce: nonce as u64,
            };
            let hash: BlockHash = parse("blocks", &hash)?;
            if header.hash() != hash {
                return Err(StoreError::corrupt(
                    "blocks",
                    format!("the header columns of {hash} hash to {}", header.hash()),
                ));
            }
            Ok(header)
        })
        .collect()
}
