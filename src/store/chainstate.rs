//! The chainstate (`c`): one row per unspent output, indexed by outpoint and by address, so that
//! balances and spends cost the same at any chain length.

use std::collections::{HashMap, HashSet};

use entity::utxos;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Value,
};

use super::balances;
use super::convert::{
    AddressTexts, insert_rows, numbered, padded_parameters, parse, query_joined, row_parameters,
    to_i64, to_u64,
};
use super::error::{StoreError, StoreResult};
use crate::chain::{Address, OutPoint, PubkeyHash, TxOut, Utxo, UtxoChanges};

/// Rows per statement in batched reads and writes (well under SQLite's variable limit).
const BATCH: usize = 500;

/// Sums `value` as a 64-bit integer on both backends (PostgreSQL's SUM(bigint) is numeric).
const SUM_VALUE: &str = r#"CAST(COALESCE(SUM("value"), 0) AS BIGINT)"#;

/// A page of an address's coins that no pending transaction spends, largest first (the oldest of
/// equal value first): `c_address_height` read backwards.
const COINS_OF: &str = r#"SELECT "txid", "vout", "address", "pubkey_hash", "value", "height", "coinbase"
    FROM "c" WHERE "address" = $1
    AND NOT EXISTS (SELECT 1 FROM "pi" WHERE "pi"."txid" = "c"."txid" AND "pi"."vout" = "c"."vout")
    ORDER BY "value" DESC, "height" ASC, "txid" DESC, "vout" DESC LIMIT $2 OFFSET $3"#;

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

/// An unspent output's row, as [`values_of`] lists it.
const UTXO_ROW: &str =
    r#""c" ("txid", "vout", "address", "pubkey_hash", "value", "height", "coinbase")"#;

/// The values of an unspent output's row ([`UTXO_ROW`]) onto `values` (an undo row's after its
/// spending height).
pub(super) fn values_of(
    outpoint: &OutPoint,
    utxo: &Utxo,
    addresses: &mut AddressTexts,
    values: &mut Vec<Value>,
) -> StoreResult<()> {
    values.extend([
        outpoint.txid.to_string().into(),
        i64::from(outpoint.vout).into(),
        addresses.of(utxo.output.pubkey_hash).into(),
        utxo.output.pubkey_hash.to_string().into(),
        to_i64("utxos", utxo.output.value)?.into(),
        to_i64("utxos", utxo.height)?.into(),
        utxo.coinbase.into(),
    ]);
    Ok(())
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
        let values = [
            address.to_string().into(),
            to_i64("utxos", page)?.into(),
            to_i64("utxos", offset)?.into(),
        ];
        let rows = utxos::Model::find_by_statement(numbered(db, COINS_OF, values))
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
        let mut values = Vec::with_capacity(7 * chunk.len());
        for (outpoint, utxo) in chunk {
            values_of(outpoint, utxo, &mut addresses, &mut values)?;
        }
        insert_rows(db, UTXO_ROW, 7, values).await?;
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
    let count = outpoints.len();
    if count == 0 {
        return Ok(0);
    }
    let mut values: Vec<Value> = Vec::with_capacity(2 * count);
    for outpoint in outpoints {
        values.push(outpoint.txid.to_string().into());
        values.push(i64::from(outpoint.vout).into());
    }
    let sql = if db.get_database_backend() == DatabaseBackend::Postgres {
        format!(
            r#"DELETE FROM "c" USING (VALUES {}) AS "v"("txid", "vout") WHERE "c"."txid" = "v"."txid" AND "c"."vout" = "v"."vout""#,
            row_parameters(count, 2)
        )
    } else {
        let each = (0..count)
            .map(|i| format!(r#"("txid" = ${} AND "vout" = ${})"#, 2 * i + 1, 2 * i + 2))
            .collect::<Vec<_>>()
            .join(" OR ");
        format!(r#"DELETE FROM "c" WHERE {each}"#)
    };
    let done = db.execute_raw(numbered(db, &sql, values)).await?;
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
