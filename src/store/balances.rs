//! Balances by address (`ab`): the sum of each address's unspent outputs, kept in step with the
//! chainstate by every change to it, so that reading a balance is one primary-key lookup however
//! many coins the address holds; beside it, the sum of the address's outputs blocks have spent
//! (its rows in `u`), in the same row, so a block writes no page for it. An address that neither
//! holds coins nor has spent any has no row.

use std::collections::HashMap;

use entity::balances;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::convert::{execute_numbered, numbered, parse, row_parameters, to_u64};
use super::error::{StoreError, StoreResult};
use crate::chain::{Address, OutPoint, Utxo, UtxoChanges};

/// Addresses per statement (three parameters each, well under SQLite's variable limit).
const BATCH: usize = 400;

/// Adds what blocks' changes do to each address's balance: their created outputs, less the
/// outputs they spend; and the outputs of their undo rows `spent` to the spent totals. The two
/// may come apart: a run's merged changes leave out outputs created and spent within it, its undo
/// rows do not. A spent total never falls here, so no row empties: only taking blocks off
/// empties rows ([`DROP_EMPTY`]).
pub async fn apply(
    db: &impl ConnectionTrait,
    changes: &UtxoChanges,
    spent: &[(u64, OutPoint, Utxo)],
) -> StoreResult<()> {
    let mut deltas: HashMap<Address, (i128, i128)> = HashMap::new();
    for (_, utxo) in &changes.created {
        deltas.entry(utxo.output.pubkey_hash.into()).or_default().0 +=
            i128::from(utxo.output.value);
    }
    for (_, utxo) in &changes.spent {
        deltas.entry(utxo.output.pubkey_hash.into()).or_default().0 -=
            i128::from(utxo.output.value);
    }
    for (_, _, utxo) in spent {
        deltas.entry(utxo.output.pubkey_hash.into()).or_default().1 +=
            i128::from(utxo.output.value);
    }
    let beyond = || StoreError::corrupt("balances", "a change beyond 64 bits");
    let deltas: Vec<(String, i64, i64)> = deltas
        .into_iter()
        .filter(|(_, delta)| *delta != (0, 0))
        .map(|(address, (balance, spent))| {
            let balance = i64::try_from(balance).map_err(|_| beyond())?;
            let spent = i64::try_from(spent).map_err(|_| beyond())?;
            Ok((address.to_string(), balance, spent))
        })
        .collect::<StoreResult<_>>()?;
    for chunk in deltas.chunks(BATCH) {
        let rows = row_parameters(chunk.len(), 3);
        let sql = format!(
            r#"INSERT INTO "ab" ("address", "balance", "spent") VALUES {rows}
               ON CONFLICT ("address") DO UPDATE SET "balance" = "ab"."balance" + "excluded"."balance",
               "spent" = "ab"."spent" + "excluded"."spent""#
        );
        let values = chunk.iter().flat_map(|(address, balance, spent)| {
            [address.clone().into(), (*balance).into(), (*spent).into()]
        });
        execute_numbered(db, &sql, values).await?;
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

/// After they came off: adds back the outputs they had spent that existed at `height`, and takes
/// every output they had spent out of the spent totals (run while their undo rows are still in
/// `u`); then [`DROP_EMPTY`].
pub(super) const REWIND_RESTORED: &str = r#"INSERT INTO "ab" ("address", "balance", "spent")
       SELECT "address", CAST(SUM(CASE WHEN "height" <= $1 THEN "value" ELSE 0 END) AS BIGINT),
       -CAST(SUM("value") AS BIGINT)
       FROM "u" WHERE "spent_height" > $1 GROUP BY "address"
       ON CONFLICT ("address") DO UPDATE SET "balance" = "ab"."balance" + "excluded"."balance",
       "spent" = "ab"."spent" + "excluded"."spent""#;

/// Drops the rows of addresses left without coins and without spent outputs, among those the
/// blocks above `height` touched (every address a block's outputs paid or its inputs spent from
/// has an index row at its height, still in `t` when this runs): a range over `t`'s height index,
/// not a scan of every address's row.
pub(super) const DROP_EMPTY: &str = r#"DELETE FROM "ab" WHERE "balance" = 0 AND "spent" = 0
       AND "address" IN (SELECT "address" FROM "t" WHERE "height" > $1)"#;

/// Sets every address's spent total to the sum of its rows in `u` (a reindex, after the undo data
/// was replaced).
pub async fn recount_spent(db: &impl ConnectionTrait) -> StoreResult<()> {
    db.execute_unprepared(r#"UPDATE "ab" SET "spent" = 0"#)
        .await?;
    db.execute_unprepared(
        r#"INSERT INTO "ab" ("address", "balance", "spent")
           SELECT "address", 0, CAST(SUM("value") AS BIGINT) FROM "u" GROUP BY "address"
           ON CONFLICT ("address") DO UPDATE SET "spent" = "excluded"."spent""#,
    )
    .await?;
    db.execute_unprepared(r#"DELETE FROM "ab" WHERE "balance" = 0 AND "spent" = 0"#)
        .await?;
    Ok(())
}

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
            .filter(balances::Column::Balance.ne(0))
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

/// Every row (for `verify`): each address's balance and spent total.
pub async fn all(db: &impl ConnectionTrait) -> StoreResult<HashMap<Address, (u64, u64)>> {
    balances::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                parse("balances", &row.address)?,
                (
                    to_u64("balances", row.balance)?,
                    to_u64("balances", row.spent)?,
                ),
            ))
        })
        .collect()
}
