//! The chainstate (`c`): one row per unspent output, indexed by outpoint and by address, so that
//! balances and spends cost the same at any chain length.

use std::collections::{HashMap, HashSet};

use entity::utxos;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::balances;
use super::convert::{AddressTexts, padded_parameters, parse, query_joined, to_i64, to_u64};
use super::error::{StoreError, StoreResult};
use crate::chain::{Address, OutPoint, PubkeyHash, TxOut, Utxo, UtxoChanges};

/// Rows per statement in batched reads and writes (well under SQLite's variable limit).
const BATCH: usize = 500;

/// Sums `value` as a 64-bit integer on both backends (PostgreSQL's SUM(bigint) is numeric).
const SUM_VALUE: &str = r#"CAST(COALESCE(SUM("value"), 0) AS BIGINT)"#;

/// A chainstate row no pending transaction spends (see `pi`).
const NOT_SPENT_BY_POOL: &str = r#"NOT EXISTS (SELECT 1 FROM "pi" WHERE "pi"."txid" = "c"."txid" AND "pi"."vout" = "c"."vout")"#;

pub(super) fn from_row(row: utxos::Model) -> StoreResult<(OutPoint, Utxo)> {
    let mut hash = [0u8; 20];
    hex::decode_to_slice(&row.pubkey_hash, &mut hash)
        .map_err(|e| StoreError::corrupt("utxos", e.to_string()))?;
    let outpoint = OutPoint {
        txid: parse("utxos", &row.txid)?,
        vout: u32::try_from(row.vout)
            .map_err(|_| StoreError::corrupt("utxos", "vout out of range"))?,
    };
    let utxo = Utxo {
        output: TxOut {
            value: to_u64("utxos", row.value)?,
            pubkey_hash: PubkeyHash(hash),
        },
        height: to_u64("utxos", row.height)?,
        coinbase: row.coinbase,
    };
    Ok((outpoint, utxo))
}

fn to_row(
    outpoint: &OutPoint,
    utxo: &Utxo,
    addresses: &mut AddressTexts,
) -> StoreResult<utxos::ActiveModel> {
    Ok(utxos::ActiveModel {
        txid: Set(outpoint.txid.to_string()),
        vout: Set(i64::from(outpoint.vout)),
        address: Set(addresses.of(utxo.output.pubkey_hash)),
        pubkey_hash: Set(utxo.output.pubkey_hash.to_string()),
        value: Set(to_i64("utxos", utxo.output.value)?),
        height: Set(to_i64("utxos", utxo.height)?),
        coinbase: Set(utxo.coinbase),
    })
}

fn outpoint_is(outpoint: &OutPoint) -> Condition {
    Condition::all()
        .add(utxos::Column::Txid.eq(outpoint.txid.to_string()))
        .add(utxos::Column::Vout.eq(i64::from(outpoint.vout)))
}

/// The unspent outputs among `outpoints` (missing ones are simply absent).
pub async fn get_many(
    db: &impl ConnectionTrait,
    outpoints: &[OutPoint],
) -> StoreResult<HashMap<OutPoint, Utxo>> {
    let wanted: HashSet<&OutPoint> = outpoints.iter().collect();
    let mut found = HashMap::with_capacity(outpoints.len());
    for chunk in outpoints.chunks(BATCH) {
        let txids: HashSet<String> = chunk.iter().map(|o| o.txid.to_string()).collect();
        let rows = utxos::Entity::find()
            .filter(utxos::Column::Txid.is_in(txids))
            .all(db)
            .await?;
        for row in rows {
            let (outpoint, utxo) = from_row(row)?;
            if wanted.contains(&outpoint) {
                found.insert(outpoint, utxo);
            }
        }
    }
    Ok(found)
}

/// Which of `outpoints` are unspent: only their keys are read, in one row per batch, for pages
/// that show whether outputs are spent.
pub async fn unspent_among(
    db: &impl ConnectionTrait,
    outpoints: &[OutPoint],
) -> StoreResult<HashSet<OutPoint>> {
    let wanted: HashSet<&OutPoint> = outpoints.iter().collect();
    let mut found = HashSet::with_capacity(outpoints.len());
    for chunk in outpoints.chunks(BATCH) {
        let mut txids: Vec<String> = chunk
            .iter()
            .map(|o| o.txid.to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let list = padded_parameters(&mut txids);
        let sql = format!(
            r#"SELECT string_agg("txid" || ':' || CAST("vout" AS TEXT), ',') FROM "c" WHERE "txid" IN ({list})"#
        );
        for part in query_joined(db, &sql, txids.into_iter().map(Into::into)).await? {
            let (txid, vout) = part
                .split_once(':')
                .ok_or_else(|| StoreError::corrupt("utxos", format!("outpoint {part}")))?;
            let outpoint = OutPoint {
                txid: parse("utxos", txid)?,
                vout: parse("utxos", vout)?,
            };
            if wanted.contains(&outpoint) {
                found.insert(outpoint);
            }
        }
    }
    Ok(found)
}

/// The largest coins of `address` that no pending transaction spends, the oldest of equal value
/// first, until they cover `amount` (or all of them if they cannot): a send reads a few rows
/// backwards through the `(address, value, height DESC, txid, vout)` index, however many coins
/// the address holds. Pages start small
/// and grow: one or two coins pay most sends, and every row fetched costs a hand-off.
pub async fn select_coins(
    db: &impl ConnectionTrait,
    address: &Address,
    amount: u64,
) -> StoreResult<Vec<(OutPoint, Utxo)>> {
    const FIRST_PAGE: u64 = 4;
    const MAX_PAGE: u64 = 256;
    let mut coins = Vec::new();
    let mut total = 0u64;
    let mut offset = 0;
    let mut page = FIRST_PAGE;
    loop {
        let rows = utxos::Entity::find()
            .filter(utxos::Column::Address.eq(address.to_string()))
            .filter(Expr::cust(NOT_SPENT_BY_POOL))
            .order_by_desc(utxos::Column::Value)
            .order_by_asc(utxos::Column::Height)
            .order_by_desc(utxos::Column::Txid)
            .order_by_desc(utxos::Column::Vout)
            .offset(offset)
            .limit(page)
            .all(db)
            .await?;
        let fetched = rows.len() as u64;
        for row in rows {
            let coin = from_row(row)?;
            total = total.saturating_add(coin.1.output.value);
            coins.push(coin);
            if total >= amount {
                return Ok(coins);
            }
        }
        if fetched < page {
            return Ok(coins);
        }
        offset += page;
        page = (page * 4).min(MAX_PAGE);
    }
}

/// Applies blocks' changes: deletes what they spend, inserts what they create; their balances
/// follow, and the spent totals of the outputs of `spent`, the undo rows recorded with them (none
/// when they were counted as they were recorded, see `store::connect::write_blocks`).
pub async fn apply(
    db: &impl ConnectionTrait,
    changes: &UtxoChanges,
    spent: &[(u64, OutPoint, Utxo)],
) -> StoreResult<()> {
    for chunk in changes.spent.chunks(BATCH) {
        let deleted = delete_outpoints(db, chunk.iter().map(|(o, _)| o)).await?;
        if deleted != chunk.len() as u64 {
            return Err(StoreError::corrupt(
                "utxos",
                "a block spent an output the chainstate lacks",
            ));
        }
    }
    let mut addresses = AddressTexts::default();
    for chunk in changes.created.chunks(BATCH) {
        let rows = chunk
            .iter()
            .map(|(o, u)| to_row(o, u, &mut addresses))
            .collect::<StoreResult<Vec<_>>>()?;
        utxos::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    balances::apply(db, changes, spent).await
}

/// Deletes the rows of `outpoints`; answers how many there were. On PostgreSQL as a join with a
/// `VALUES` list: a chain of 500 `OR`ed conditions costs its planner tens of milliseconds per
/// statement, the join a few. SQLite plans the `OR` chain as index lookups.
async fn delete_outpoints<'a>(
    db: &impl ConnectionTrait,
    outpoints: impl ExactSizeIterator<Item = &'a OutPoint>,
) -> StoreResult<u64> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        let cond = outpoints.fold(Condition::any(), |cond, o| cond.add(outpoint_is(o)));
        let done = utxos::Entity::delete_many().filter(cond).exec(db).await?;
        return Ok(done.rows_affected);
    }
    let mut rows = Vec::with_capacity(outpoints.len());
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(2 * outpoints.len());
    for (i, outpoint) in outpoints.enumerate() {
        rows.push(format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
        values.push(outpoint.txid.to_string().into());
        values.push(i64::from(outpoint.vout).into());
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        r#"DELETE FROM "c" USING (VALUES {}) AS "v"("txid", "vout") WHERE "c"."txid" = "v"."txid" AND "c"."vout" = "v"."vout""#,
        rows.join(", ")
    );
    let done = db
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    Ok(done.rows_affected())
}

/// A page of unspent outputs ordered by outpoint, after `after`, optionally of one address.
pub async fn page(
    db: &impl ConnectionTrait,
    address: Option<&Address>,
    after: Option<&OutPoint>,
    limit: u64,
) -> StoreResult<Vec<(OutPoint, Utxo)>> {
    let mut query = utxos::Entity::find()
        .order_by_asc(utxos::Column::Txid)
        .order_by_asc(utxos::Column::Vout)
        .limit(limit);
    if let Some(address) = address {
        query = query.filter(utxos::Column::Address.eq(address.to_string()));
    }
    if let Some(after) = after {
        let txid = after.txid.to_string();
        query = query.filter(
            Condition::any()
                .add(utxos::Column::Txid.gt(txid.clone()))
                .add(
                    Condition::all()
                        .add(utxos::Column::Txid.eq(txid))
                        .add(utxos::Column::Vout.gt(i64::from(after.vout))),
                ),
        );
    }
    query.all(db).await?.into_iter().map(from_row).collect()
}

/// Number of unspent outputs, optionally of one address.
pub async fn count(db: &impl ConnectionTrait, address: Option<&Address>) -> StoreResult<u64> {
    let mut query = utxos::Entity::find();
    if let Some(address) = address {
        query = query.filter(utxos::Column::Address.eq(address.to_string()));
    }
    Ok(query.count(db).await?)
}

#[derive(FromQueryResult)]
struct Total {
    total: i64,
}

/// Sum of every unspent value: the total supply.
pub async fn total_value(db: &impl ConnectionTrait) -> StoreResult<u64> {
    let row = utxos::Entity::find()
        .select_only()
        .column_as(Expr::cust(SUM_VALUE), "total")
        .into_model::<Total>()
        .one(db)
        .await?;
    to_u64("utxos", row.map_or(0, |r| r.total))
}

/// The whole chainstate, for verification against a replay.
pub async fn all(db: &impl ConnectionTrait) -> StoreResult<HashMap<OutPoint, Utxo>> {
    utxos::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Replaces the whole chainstate and the balances (reindex); the spent totals start again from
/// nothing (`balances::recount_spent` counts them from the undo data).
pub async fn replace_all(
    db: &impl ConnectionTrait,
    utxos: &HashMap<OutPoint, Utxo>,
) -> StoreResult<()> {
    utxos::Entity::delete_many().exec(db).await?;
    entity::balances::Entity::delete_many().exec(db).await?;
    let created: Vec<(OutPoint, Utxo)> = utxos.iter().map(|(o, u)| (*o, *u)).collect();
    apply(
        db,
        &UtxoChanges {
            spent: Vec::new(),
            created,
        },
        &[],
    )
    .await
}
