//! Conversions between domain values and column values: the one place that knows hashes are hex
//! and unsigned numbers are stored as `i64`.

use std::collections::HashMap;
use std::str::FromStr;

use super::error::{StoreError, StoreResult};
use crate::chain::Address;

/// A `u64` the domain bounds below `i64::MAX` (values, heights) as a column value.
pub(crate) fn to_i64(table: &'static str, value: u64) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::corrupt(table, format!("{value} exceeds i64")))
}

/// A column value back to `u64`; negative means a corrupt row.
pub(crate) fn to_u64(table: &'static str, value: i64) -> StoreResult<u64> {
    u64::try_from(value).map_err(|_| StoreError::corrupt(table, format!("negative value {value}")))
}

/// Parses a hex (or Base58) column into its domain type.
pub(crate) fn parse<T: FromStr>(table: &'static str, text: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| StoreError::corrupt(table, e.to_string()))
}

/// Milliseconds since the Unix epoch, the store's clock for `created_at` columns.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs `statements` in one round trip (a script), each with `$1` written as the integer `value`.
/// For bulk statements over ranges, where a round trip each would cost more than the work: only
/// an integer is ever written into the text, so nothing can be injected.
pub(crate) async fn execute_script(
    db: &impl sea_orm::ConnectionTrait,
    statements: &[&str],
    value: i64,
) -> StoreResult<()> {
    let value = value.to_string();
    let script = statements
        .iter()
        .map(|statement| statement.replace("$1", &value))
        .collect::<Vec<_>>()
        .join(";\n");
    db.execute_unprepared(&script).await?;
    Ok(())
}

/// Runs raw SQL written with PostgreSQL's `$n` parameters on either backend (SQLite spells them
/// `?n`, which also lets one parameter appear several times).
pub(crate) async fn execute_numbered(
    db: &impl sea_orm::ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> StoreResult<()> {
    db.execute_raw(numbered(db, sql, values)).await?;
    Ok(())
}

/// Inserts rows into `into` (`"table" ("column", …)`), `values` holding each row's `columns`
/// values in turn, in one statement of fixed text: sea-query builds the same text anew for every
/// statement, a measurable part of a block's writes.
pub(crate) async fn insert_rows(
    db: &impl sea_orm::ConnectionTrait,
    into: &str,
    columns: usize,
    values: Vec<sea_orm::Value>,
) -> StoreResult<()> {
    if values.is_empty() {
        return Ok(());
    }
    let rows = values.len() / columns;
    let sql = format!(
        "INSERT INTO {into} VALUES {}",
        row_parameters(rows, columns)
    );
    execute_numbered(db, &sql, values).await
}

/// `rows` parenthesised lists of `columns` parameters each, numbered on: `($1, $2), ($3, $4)`.
pub(crate) fn row_parameters(rows: usize, columns: usize) -> String {
    use std::fmt::Write;
    let mut list = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        list.push_str(if row == 0 { "(" } else { ", (" });
        for column in 1..=columns {
            let separator = if column == 1 { "" } else { ", " };
            let _ = write!(list, "{separator}${}", row * columns + column);
        }
        list.push(')');
    }
    list
}

/// Pads `values` (non-empty) to a multiple of 16 by repeating the first, and answers their
/// parameter list, `$1, $2, …`: an `IN` list of a few lengths only, so that each backend prepares
/// the statement once per length and reuses it (a repeated value changes no `IN`).
pub(crate) fn padded_parameters<T: Clone>(values: &mut Vec<T>) -> String {
    values.resize(values.len().div_ceil(16) * 16, values[0].clone());
    (1..=values.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A statement of raw SQL written with PostgreSQL's `$n` parameters, for `db`'s backend.
pub(crate) fn numbered(
    db: &impl sea_orm::ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Runs `sql` (PostgreSQL's `$n` parameters), which answers one row of one text joined with
/// `string_agg(…, ',')`, and returns the parts. For reads of many tiny rows: on SQLite each row
/// of an answer crosses from the connection's thread in a message of its own, which costs more
/// than the row.
pub(crate) async fn query_joined(
    db: &impl sea_orm::ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> StoreResult<Vec<String>> {
    let row = db.query_one_raw(numbered(db, sql, values)).await?;
    let joined: Option<String> = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    Ok(joined
        .map(|text| text.split(',').map(str::to_owned).collect())
        .unwrap_or_default())
}

/// Base58Check texts of addresses, each encoded once per write: a run of rows names the same
/// addresses again and again (miners, change, busy payees), and Base58 is the costliest part of
/// building a row.
#[derive(Default)]
pub(crate) struct AddressTexts(HashMap<Address, String>);

impl AddressTexts {
    /// The text of `address`.
    pub(crate) fn of(&mut self, address: impl Into<Address>) -> String {
        self.0
            .entry(address.into())
            .or_insert_with_key(ToString::to_string)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_parameters_number_every_row_on() {
        assert_eq!(row_parameters(1, 3), "($1, $2, $3)");
        assert_eq!(row_parameters(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(row_parameters(0, 2), "");
    }
}
