//! `pi`: the outputs the pending transactions spend, kept in step with every change to the pool
//! (`pool`). Its primary key refuses an output spent twice.

use std::collections::{HashMap, HashSet};

use entity::{pool, pool_inputs};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::convert::parse;
use super::error::{StoreError, StoreResult};
use super::pool::{PooledTx, count, in_arrival_order};
use crate::chain::{OutPoint, Txid};

/// Rows per insert into `pi` (three variables each, well under SQLite's limit).
const INPUT_BATCH: usize = 300;

/// Records the outputs a pending entry spends; the primary key refuses one spent twice.
pub(super) async fn insert_inputs(db: &impl ConnectionTrait, pooled: &PooledTx) -> StoreResult<()> {
    let rows: Vec<pool_inputs::ActiveModel> = pooled
        .tx
        .inputs
        .iter()
        .map(|input| pool_inputs::ActiveModel {
            txid: Set(input.previous_output.txid.to_string()),
            vout: Set(i64::from(input.previous_output.vout)),
            pool_id: Set(pooled.entry.id),
        })
        .collect();
    for chunk in rows.chunks(INPUT_BATCH) {
        pool_inputs::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Which of `outpoints` a pending transaction spends already, and which one (its txid).
pub async fn spenders(
    db: &impl ConnectionTrait,
    outpoints: &[OutPoint],
) -> StoreResult<HashMap<OutPoint, Txid>> {
    let wanted: HashSet<&OutPoint> = outpoints.iter().collect();
    let mut by_entry: Vec<(OutPoint, i64)> = Vec::new();
    for chunk in outpoints.chunks(INPUT_BATCH) {
        let txids: HashSet<String> = chunk.iter().map(|o| o.txid.to_string()).collect();
        for row in pool_inputs::Entity::find()
            .filter(pool_inputs::Column::Txid.is_in(txids))
            .all(db)
            .await?
        {
            let outpoint = OutPoint {
                txid: parse("pi", &row.txid)?,
                vout: u32::try_from(row.vout)
                    .map_err(|_| StoreError::corrupt("pi", "vout out of range"))?,
            };
            if wanted.contains(&outpoint) {
                by_entry.push((outpoint, row.pool_id));
            }
        }
    }
    if by_entry.is_empty() {
        return Ok(HashMap::new());
    }
    let entries: HashMap<i64, Txid> = pool::Entity::find()
        .filter(pool::Column::Id.is_in(by_entry.iter().map(|(_, id)| *id)))
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let txid = row.txid.as_deref().unwrap_or_default();
            Ok((row.id, parse("pool", txid)?))
        })
        .collect::<StoreResult<_>>()?;
    by_entry
        .into_iter()
        .map(|(outpoint, id)| {
            let txid = entries.get(&id).copied().ok_or_else(|| {
                StoreError::corrupt("pi", format!("{outpoint} names no pool entry {id}"))
            })?;
            Ok((outpoint, txid))
        })
        .collect()
}

/// Rebuilds `pi` from the pending entries (after a revert restored a pool, or an upgrade from a
/// database without `pi`); returns how many inputs it recorded.
pub async fn rebuild_inputs(db: &impl ConnectionTrait) -> StoreResult<u64> {
    pool_inputs::Entity::delete_many().exec(db).await?;
    let mut after = None;
    let mut recorded = 0;
    loop {
        let page: Vec<PooledTx> = in_arrival_order(db, false, after, 500).await?;
        let Some(last) = page.last() else {
            return Ok(recorded);
        };
        after = Some(last.entry.id);
        for pooled in &page {
            insert_inputs(db, pooled).await?;
            recorded += pooled.tx.inputs.len() as u64;
        }
    }
}

/// Whether pending entries exist that `pi` does not know (a pool from before `pi` existed).
pub async fn inputs_missing(db: &impl ConnectionTrait) -> StoreResult<bool> {
    Ok(count(db, false).await? > 0 && pool_inputs::Entity::find().count(db).await? == 0)
}

/// Deletes the `pi` rows of entries `ids`.
pub(super) async fn delete_inputs(db: &impl ConnectionTrait, ids: &[i64]) -> StoreResult<()> {
    pool_inputs::Entity::delete_many()
        .filter(pool_inputs::Column::PoolId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}
