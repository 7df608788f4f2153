//! Undo data (`u`): the outputs each block spent, so that blocks can come off the tip (a revert)
//! in time proportional to what they changed, not to the chain's length.

use entity::{undo, utxos};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Value};

use super::balances;
use super::chainstate;
use super::convert::{AddressTexts, execute_script, insert_rows, to_i64, to_u64};
use super::error::StoreResult;
use crate::chain::{OutPoint, Utxo};

/// Rows per insert statement.
const BATCH: usize = 500;

/// Records spent outputs of many blocks: (spending block's height, outpoint, output).
pub async fn record_many(
    db: &impl ConnectionTrait,
    spent: &[(u64, OutPoint, Utxo)],
) -> StoreResult<()> {
    const UNDO_ROW: &str = r#""u" ("spent_height", "txid", "vout", "address", "pubkey_hash", "value", "height", "coinbase")"#;
    let mut addresses = AddressTexts::default();
    for chunk in spent.chunks(BATCH) {
        let mut values: Vec<Value> = Vec::with_capacity(8 * chunk.len());
        for (height, outpoint, utxo) in chunk {
            // The spending height, then the output's row as the chainstate held it.
            values.push(to_i64("undo", *height)?.into());
            chainstate::values_of(outpoint, utxo, &mut addresses, &mut values)?;
        }
        insert_rows(db, UNDO_ROW, 8, values).await?;
    }
    Ok(())
}

/// An undo row: (spending height, outpoint, output as it was).
fn from_row(row: undo::Model) -> StoreResult<(u64, OutPoint, Utxo)> {
    let spent_height = to_u64("undo", row.spent_height)?;
    let (outpoint, utxo) = chainstate::from_row(utxos::Model {
        txid: row.txid,
        vout: row.vout,
        address: row.address,
        pubkey_hash: row.pubkey_hash,
        value: row.value,
        height: row.height,
        coinbase: row.coinbase,
    })?;
    Ok((spent_height, outpoint, utxo))
}

/// The outputs the blocks at `heights` spent (one statement per 500 heights).
pub async fn at_heights(
    db: &impl ConnectionTrait,
    heights: &[u64],
) -> StoreResult<Vec<(OutPoint, Utxo)>> {
    let mut out = Vec::new();
    for chunk in heights.chunks(500) {
        let wanted = chunk
            .iter()
            .map(|h| to_i64("undo", *h))
            .collect::<StoreResult<Vec<_>>>()?;
        let rows = undo::Entity::find()
            .filter(undo::Column::SpentHeight.is_in(wanted))
            .all(db)
            .await?;
        for row in rows {
            let (_, outpoint, utxo) = from_row(row)?;
            out.push((outpoint, utxo));
        }
    }
    Ok(out)
}

/// The undo rows of the blocks at heights `from..=to`, sorted by height and outpoint.
pub async fn range(
    db: &impl ConnectionTrait,
    from: u64,
    to: u64,
) -> StoreResult<Vec<(u64, OutPoint, Utxo)>> {
    let rows = undo::Entity::find()
        .filter(undo::Column::SpentHeight.between(to_i64("undo", from)?, to_i64("undo", to)?))
        .all(db)
        .await?;
    let mut out = rows
        .into_iter()
        .map(from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    out.sort_by_key(|(height, outpoint, _)| (*height, *outpoint));
    Ok(out)
}

/// Replaces all undo data (a reindex).
pub async fn replace_all(
    db: &impl ConnectionTrait,
    spent: &[(u64, OutPoint, Utxo)],
) -> StoreResult<()> {
    undo::Entity::delete_many().exec(db).await?;
    record_many(db, spent).await
}

/// Takes every block above `height` (all of them for `None`) off the chain: their outputs leave
/// the chainstate, the outputs they spent that existed at `height` come back (balances follow),
/// and their blocks,
/// index rows and undo rows go. The tip is the caller's to set. Every statement is a range over
/// an index by height, so the cost follows the blocks removed; they go as one script, one round
/// trip to the database.
pub async fn rewind(db: &impl ConnectionTrait, height: Option<u64>) -> StoreResult<()> {
    let above = height.map_or(Ok(-1), |h| to_i64("undo", h))?;
    let statements = [
        balances::REWIND_REMOVED,
        r#"DELETE FROM "c" WHERE "height" > $1"#,
        r#"INSERT INTO "c" ("txid", "vout", "address", "pubkey_hash", "value", "height", "coinbase")
           SELECT "txid", "vout", "address", "pubkey_hash", "value", "height", "coinbase"
           FROM "u" WHERE "spent_height" > $1 AND "height" <= $1"#,
        balances::REWIND_RESTORED,
        balances::DROP_EMPTY,
        r#"DELETE FROM "u" WHERE "spent_height" > $1"#,
        r#"DELETE FROM "t" WHERE "height" > $1"#,
        r#"DELETE FROM "b" WHERE "height" > $1"#,
    ];
    execute_script(db, &statements, above).await
}
