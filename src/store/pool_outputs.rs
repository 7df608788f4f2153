//! The outputs of pending transactions, which chained payments spend before they are mined, and
//! the pending transactions that spend them (a transaction's descendants leave the pool with
//! it).

use std::collections::{HashMap, HashSet};

use entity::{pool, pool_inputs};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::error::StoreResult;
use super::pool::{PooledTx, spenders};
use crate::chain::{Address, OutPoint, Txid, Utxo};
use crate::model::PendingTx;

/// The height an unmined output reports: it is in no block yet.
pub const UNMINED: u64 = u64::MAX;
/// Txids per statement (well under SQLite's variable limit).
const TXID_BATCH: usize = 500;

/// Which of `outpoints` are outputs of pending transactions, spent or not.
pub async fn pending_outputs(
    db: &impl ConnectionTrait,
    outpoints: &[OutPoint],
) -> StoreResult<HashMap<OutPoint, Utxo>> {
    let txids: Vec<Txid> = outpoints
        .iter()
        .map(|o| o.txid)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut found = HashMap::new();
    for pooled in pending_by_txids(db, &txids).await? {
        let txid = pooled.entry.txid;
        for outpoint in outpoints.iter().filter(|o| o.txid == txid) {
            if let Some(output) = pooled.tx.outputs.get(outpoint.vout as usize) {
                let utxo = Utxo {
                    output: *output,
                    height: UNMINED,
                    coinbase: false,
                };
                found.insert(*outpoint, utxo);
            }
        }
    }
    Ok(found)
}

/// The change of `address`'s own pending payments (outputs paying it back) that no pending
/// transaction spends, from the oldest of at most `limit` of them: what a chained payment
/// spends. Pending payments from others are not spent before they are mined, as a Bitcoin
/// wallet trusts only its own unconfirmed change.
pub async fn unconfirmed_coins(
    db: &impl ConnectionTrait,
    address: &Address,
    limit: u64,
) -> StoreResult<Vec<(OutPoint, Utxo)>> {
    let rows = pool::Entity::find()
        .filter(pool::Column::Error.eq(false))
        .filter(pool::Column::FromAddress.eq(address.to_string()))
        .order_by_asc(pool::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut coins = Vec::new();
    for row in rows {
        let pooled = PooledTx::try_from(row)?;
        let txid = pooled.entry.txid;
        for (vout, output) in pooled.tx.outputs.iter().enumerate() {
            if output.pubkey_hash == address.pubkey_hash() {
                let outpoint = OutPoint {
                    txid,
                    vout: vout as u32,
                };
                let utxo = Utxo {
                    output: *output,
                    height: UNMINED,
                    coinbase: false,
                };
                coins.push((outpoint, utxo));
            }
        }
    }
    let outpoints: Vec<OutPoint> = coins.iter().map(|(o, _)| *o).collect();
    let spent = spenders(db, &outpoints).await?;
    coins.retain(|(o, _)| !spent.contains_key(o));
    Ok(coins)
}

/// Pending entries that spend an output of any of `txids`.
pub async fn children(db: &impl ConnectionTrait, txids: &[Txid]) -> StoreResult<Vec<PendingTx>> {
    let mut ids = HashSet::new();
    for chunk in txids.chunks(TXID_BATCH) {
        let rows = pool_inputs::Entity::find()
            .filter(pool_inputs::Column::Txid.is_in(chunk.iter().map(Txid::to_string)))
            .all(db)
            .await?;
        ids.extend(rows.into_iter().map(|row| row.pool_id));
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    pool::Entity::find()
        .filter(pool::Column::Id.is_in(ids))
        .filter(pool::Column::Error.eq(false))
        .order_by_asc(pool::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| Ok(PooledTx::try_from(row)?.entry))
        .collect()
}

/// The pending transactions among `txids`.
pub async fn pending_by_txids(
    db: &impl ConnectionTrait,
    txids: &[Txid],
) -> StoreResult<Vec<PooledTx>> {
    let mut found = Vec::new();
    for chunk in txids.chunks(TXID_BATCH) {
        let rows = pool::Entity::find()
            .filter(pool::Column::Txid.is_in(chunk.iter().map(Txid::to_string)))
            .filter(pool::Column::Error.eq(false))
            .all(db)
            .await?;
        for row in rows {
            found.push(PooledTx::try_from(row)?);
        }
    }
    Ok(found)
}
