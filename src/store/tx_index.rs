//! The transaction index (`t`): where each transaction was mined, and which addresses it touched.

use std::collections::HashMap;

use entity::tx_index;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::convert::{parse, to_i64, to_u64};
use super::error::{StoreError, StoreResult};
use crate::chain::{Address, IndexRow, Transaction, Txid};
use crate::model::TxLocation;

/// Where a transaction was mined.
pub async fn locate(db: &impl ConnectionTrait, txid: &Txid) -> StoreResult<Option<TxLocation>> {
    let row = tx_index::Entity::find()
        .filter(tx_index::Column::Txid.eq(txid.to_string()))
        .one(db)
        .await?;
    row.map(|row| Ok(from_index_row(&row)?.location))
        .transpose()
}

fn from_index_row(row: &tx_index::Model) -> StoreResult<IndexRow> {
    Ok(IndexRow {
        txid: parse("tx index", &row.txid)?,
        address: parse("tx index", &row.address)?,
        location: TxLocation {
            block_hash: parse("tx index", &row.block_hash)?,
            height: to_u64("tx index", row.height)?,
            position: u32::try_from(row.position)
                .map_err(|_| StoreError::corrupt("tx index", "negative position"))?,
        },
    })
}

/// Transactions that paid or spent from `address`, newest first, strictly before `before`
/// (a (height, position) pair).
pub async fn history(
    db: &impl ConnectionTrait,
    address: &Address,
    before: Option<(u64, u32)>,
    limit: u64,
) -> StoreResult<Vec<IndexRow>> {
    let mut query = tx_index::Entity::find()
        .filter(tx_index::Column::Address.eq(address.to_string()))
        .order_by_desc(tx_index::Column::Height)
        .order_by_desc(tx_index::Column::Position)
        .limit(limit);
    if let Some((height, position)) = before {
        let height = to_i64("tx index", height)?;
        query = query.filter(
            Condition::any()
                .add(tx_index::Column::Height.lt(height))
                .add(
                    Condition::all()
                        .add(tx_index::Column::Height.eq(height))
                        .add(tx_index::Column::Position.lt(position as i32)),
                ),
        );
    }
    query.all(db).await?.iter().map(from_index_row).collect()
}

/// Number of transactions that touched `address`.
pub async fn history_count(db: &impl ConnectionTrait, address: &Address) -> StoreResult<u64> {
    Ok(tx_index::Entity::find()
        .filter(tx_index::Column::Address.eq(address.to_string()))
        .count(db)
        .await?)
}

/// Where each of `txids` was mined (absent: not mined).
pub async fn locate_many(
    db: &impl ConnectionTrait,
    txids: &[Txid],
) -> StoreResult<HashMap<Txid, TxLocation>> {
    let mut out = HashMap::with_capacity(txids.len());
    for chunk in txids.chunks(500) {
        let rows = tx_index::Entity::find()
            .filter(tx_index::Column::Txid.is_in(chunk.iter().map(ToString::to_string)))
            .all(db)
            .await?;
        for row in &rows {
            let row = from_index_row(row)?;
            out.insert(row.txid, row.location);
        }
    }
    Ok(out)
}

/// A mined transaction and where it is.
pub async fn transaction(
    db: &impl ConnectionTrait,
    txid: &Txid,
) -> StoreResult<Option<(Transaction, TxLocation)>> {
    let Some(location) = locate(db, txid).await? else {
        return Ok(None);
    };
    let block = super::blocks::by_hash(db, &location.block_hash)
        .await?
        .ok_or_else(|| {
            StoreError::corrupt(
                "tx index",
                format!("{txid} indexed in missing block {}", location.block_hash),
            )
        })?;
    let tx = block
        .block
        .transactions
        .get(location.position as usize)
        .cloned()
        .ok_or_else(|| {
            StoreError::corrupt(
                "tx index",
                format!("{txid} indexed past the end of its block"),
            )
        })?;
    Ok(Some((tx, location)))
}

/// The index rows of heights `from..=to`, in the order [`crate::chain::index_rows`] gives them.
pub async fn index_range(
    db: &impl ConnectionTrait,
    from: u64,
    to: u64,
) -> StoreResult<Vec<IndexRow>> {
    tx_index::Entity::find()
        .filter(
            tx_index::Column::Height.between(to_i64("tx index", from)?, to_i64("tx index", to)?),
        )
        .order_by_asc(tx_index::Column::Height)
        .order_by_asc(tx_index::Column::Position)
        .order_by_asc(tx_index::Column::Address)
        .all(db)
        .await?
        .iter()
        .map(from_index_row)
        .collect()
}
