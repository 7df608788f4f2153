//! Balances by address (`ab`): the sum of each address's unspent outputs, kept in step with the
//! chainstate by every change to it, so that reading a balance is one primary-key lookup however
//! many coins the address holds. An address without coins has no row.

use std::collections::HashMap;

use entity::balances;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::convert::{execute_numbered, numbered, parse, to_u64};
use super::error::{StoreError, StoreResult};
use crate::chain::{Address, UtxoChanges};

/// Addresses per statement (two parameters each, well under SQLite's variable limit).
const BATCH: usize = 400;

/// Adds what a block's changes do to each address's balance: its created outputs, less the
/// outputs it spends. Rows that reach zero go.
pub async fn apply(db: &impl ConnectionTrait, changes: &UtxoChanges) -> StoreResult<()> {
    let mut deltas: HashMap<Address, i128> = HashMap::new();
    for (_, utxo) in &changes.created {
        *deltas.entry(utxo.output.pubkey_hash.into()).or_default() += i128::from(utxo.output.value);
    }
    for (_, utxo) in &changes.spent {
        *deltas.entry(utxo.output.pubkey_hash.into()).or_default() -= i128::from(utxo.output.value);
    }
    let deltas: Vec<(String, i64)> = deltas
        .into_iter()
        .filter(|(_, delta)| *delta != 0)
        .map(|(address, delta)| {
            let delta = i64::try_from(delta)
                .map_err(|_| StoreError::corrupt("balances", "a change beyond 64 bits"))?;
            Ok((address.to_string(), delta))
        })
        .collect::<StoreResult<_>>()?;
    let mut emptied: Vec<String> = Vec::new();
    for chunk in deltas.chunks(BATCH) {
        let rows = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            r#"INSERT INTO "ab" ("address", "balance") VALUES {rows}
               ON CONFLICT ("address") DO UPDATE SET "balance" = "ab"."balance" + "excluded"."balance""#
        );
        let values = chunk
            .iter()
            .flat_map(|(address, delta)| [address.clone().into(), (*delta).into()]);
        if chunk.iter().all(|(_, delta)| *delta > 0) {
            execute_numbered(db, &sql, values).await?;
            continue;
        }
        // A balance that went down may have reached zero: the rows say which did.
        let sql = format!(r#"{sql} RETURNING "address", "balance""#);
        for row in db.query_all_raw(numbered(db, &sql, values)).await? {
            if row.try_get_by_index::<i64>(1)? == 0 {
                emptied.push(row.try_get_by_index(0)?);
            }
        }
    }
    for chunk in emptied.chunks(BATCH) {
        balances::Entity::delete_many()
            .filter(balances::Column::Balance.eq(0))
            .filter(balances::Column::Address.is_in(chunk.iter().map(String::as_str)))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Before blocks above `height` come off: takes their outputs out of the balances (run while
/// they are still in `c`). The sums are read through `c`'s height index, so the cost follows
/// the outputs removed, not how many coins their addresses hold (every address summed has a row:
/// it holds these coins).
pub(super) const REWIND_REMOVED: &str = r#"INSERT INTO "ab" ("address", "balance")
       SELECT "address", -CAST(SUM("value") AS BIGINT) FROM "c"
       WHERE "height" > $1 GROUP BY "address"
       ON CONFLICT ("address") DO UPDATE SET "balance" = "ab"."balance" + "excluded"."balance""#;

/// After they came off: adds back the outputs they had spent that existed at `height` (run
/// while their undo rows are still in `u`); then [`DROP_EMPTY`].
pub(super) const REWIND_RESTORED: &str = r#"INSERT INTO "ab" ("address", "balance")
       SELECT "address", CAST(SUM("value") AS BIGINT) FROM "u"
       WHERE "spent_height" > $1 AND "height" <= $1 GROUP BY "address"
       ON CONFLICT ("address") DO UPDATE SET "balance" = "ab"."balance" + "excluded"."balance""#;

/// Drops the rows of addresses left without coins.
pub(super) const DROP_EMPTY: &str = r#"DELETE FROM "ab" WHERE "balance" = 0"#;

/// The balance of `address` (0 for an address without coins): one primary-key read whose
/// statement text never changes, so each connection prepares it once. A balance is the API's
/// most frequent read, and building its statement with the query builder on every request took
/// most of what SQLite took to run it (docs/performance.md).
pub async fn get(db: &impl ConnectionTrait, address: &Address) -> StoreResult<u64> {
    const ONE: &str = r#"SELECT "balance" FROM "ab" WHERE "address" = $1"#;
    match db
        .query_one_raw(numbered(db, ONE, [address.to_string().into()]))
        .await?
    {
        Some(row) => to_u64("balances", row.try_get_by_index(0)?),
        None => Ok(0),
    }
}

/// The balances of `addresses` that hold coins (the others are absent).
pub async fn get_many(
    db: &impl ConnectionTrait,
    addresses: &[Address],
) -> StoreResult<HashMap<Address, u64>> {
    let mut out = HashMap::with_capacity(addresses.len());
    for chunk in addresses.chunks(BATCH) {
        let rows = balances::Entity::find()
            .filter(balances::Column::Address.is_in(chunk.iter().map(ToString::to_string)))
            .all(db)
            .await?;
        for row in rows {
            out.insert(
                parse("balances", &row.address)?,
                to_u64("balances", row.balance)?,
            );
        }
    }
    Ok(out)
}

/// Every row (for `verify`).
pub async fn all(db: &impl ConnectionTrait) -> StoreResult<HashMap<Address, u64>> {
    balances::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                parse("balances", &row.address)?,
                to_u64("balances", row.balance)?,
            ))
        })
        .collect()
}
