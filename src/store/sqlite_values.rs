//! Values between sea-orm and the SQLite writer's own connection ([`super::writer`]).
//!
//! sea-orm reads a row's value only as the exact variant its Rust type names (`i32` from
//! `Value::Int`, `Option<String>` from `Value::String(None)`), while SQLite answers every integer
//! as an `i64`. So each result column is typed by where it comes from: a column of one of
//! Pocket's tables (SQLite names the table and column even through aliases, `RETURNING` and
//! `WITH`) takes the type its entity declares; an expression (`count(*)`, `changes()`) takes the
//! type of what it holds, integers as `i64`.
//!
//! A row reaches sea-orm as a [`ProxyRow`]: its values by name, and the names in the query's
//! order for reads by position (`vendor/sea-orm/POCKET_PATCHES.md`). Names must differ within a
//! row, as they must for any read by name: a query that answers one name twice is refused.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use rusqlite::ErrorCode;
use rusqlite::types::{ToSqlOutput, ValueRef};
use sea_orm::sea_query::ColumnType;
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, IdenStatic, Iterable, ProxyRow, RuntimeErr, Statement, Value,
};

/// What a result column is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    BigInt,
    Bool,
    Text,
    Bytes,
    Double,
    /// An expression: as what it holds (integers as `i64`, `NULL` as a missing `i64`).
    Any,
}

/// A result column: its name and how it is read.
#[derive(Debug)]
pub(super) struct Column {
    pub name: String,
    pub kind: Kind,
}

/// Every table's columns and their kinds, from the entities.
static KINDS: LazyLock<HashMap<String, HashMap<String, Kind>>> = LazyLock::new(|| {
    use entity::*;
    let mut map = HashMap::new();
    add::<balances::Entity>(&mut map);
    add::<blocks::Entity>(&mut map);
    add::<chain_params::Entity>(&mut map);
    add::<mining::Entity>(&mut map);
    add::<pool::Entity>(&mut map);
    add::<pool_inputs::Entity>(&mut map);
    add::<side_blocks::Entity>(&mut map);
    add::<snapshot_pool::Entity>(&mut map);
    add::<snapshots::Entity>(&mut map);
    add::<state_version::Entity>(&mut map);
    add::<tip::Entity>(&mut map);
    add::<tx_index::Entity>(&mut map);
    add::<undo::Entity>(&mut map);
    add::<utxos::Entity>(&mut map);
    add::<wallets::Entity>(&mut map);
    map
});

fn add<E: EntityTrait>(map: &mut HashMap<String, HashMap<String, Kind>>) {
    let columns = E::Column::iter()
        .map(|c| (c.as_str().to_owned(), Kind::of(c.def().get_column_type())))
        .collect();
    map.insert(E::default().table_name().to_owned(), columns);
}

impl Kind {
    fn of(column_type: &ColumnType) -> Self {
        match column_type {
            ColumnType::Integer => Self::Int,
            ColumnType::BigInteger => Self::BigInt,
            ColumnType::Boolean => Self::Bool,
            ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text => Self::Text,
            ColumnType::Blob | ColumnType::Binary(_) | ColumnType::VarBinary(_) => Self::Bytes,
            ColumnType::Float | ColumnType::Double => Self::Double,
            _ => Self::Any,
        }
    }

    /// The kind of `table`.`column` (an expression's when either is unknown).
    pub(super) fn of_origin(table: Option<&str>, column: Option<&str>) -> Self {
        table
            .zip(column)
            .and_then(|(table, column)| KINDS.get(table)?.get(column).copied())
            .unwrap_or(Self::Any)
    }

    fn value(self, value: ValueRef<'_>, column: &str) -> Result<Value, DbErr> {
        let wrong = || {
            DbErr::Type(format!(
                "column {column:?}: SQLite holds {:?}, read as {self:?}",
                value.data_type()
            ))
        };
        Ok(match (self, value) {
            (Self::Int, ValueRef::Null) => Value::Int(None),
            (Self::BigInt | Self::Any, ValueRef::Null) => Value::BigInt(None),
            (Self::Bool, ValueRef::Null) => Value::Bool(None),
            (Self::Text, ValueRef::Null) => Value::String(None),
            (Self::Bytes, ValueRef::Null) => Value::Bytes(None),
            (Self::Double, ValueRef::Null) => Value::Double(None),
            (Self::Int, ValueRef::Integer(i)) => {
                Value::Int(Some(i32::try_from(i).map_err(|_| wrong())?))
            }
            (Self::BigInt | Self::Any, ValueRef::Integer(i)) => Value::BigInt(Some(i)),
            (Self::Bool, ValueRef::Integer(i)) => Value::Bool(Some(i != 0)),
            (Self::Double, ValueRef::Integer(i)) => Value::Double(Some(i as f64)),
            (Self::Double | Self::Any, ValueRef::Real(f)) => Value::Double(Some(f)),
            (Self::Text | Self::Any, ValueRef::Text(t)) => Value::String(Some(
                std::str::from_utf8(t).map_err(|_| wrong())?.to_owned(),
            )),
            (Self::Bytes | Self::Any, ValueRef::Blob(b)) => Value::Bytes(Some(b.to_vec())),
            _ => return Err(wrong()),
        })
    }
}

/// The result columns of `stmt`, each with its kind.
pub(super) fn columns(stmt: &rusqlite::Statement<'_>) -> Vec<Column> {
    stmt.columns_with_metadata()
        .iter()
        .map(|c| Column {
            name: c.name().to_owned(),
            kind: Kind::of_origin(c.table_name(), c.origin_name()),
        })
        .collect()
}

/// Why a query failed: SQLite refused it, or a value did not convert.
#[derive(Debug)]
pub(super) enum Failure {
    Sqlite(rusqlite::Error),
    Value(DbErr),
}

impl Failure {
    /// Whether another connection holds the database.
    pub(super) fn is_busy(&self) -> bool {
        matches!(self, Self::Sqlite(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy))
    }
}

impl From<Failure> for DbErr {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Sqlite(e) => query_err(e),
            Failure::Value(e) => e,
        }
    }
}

/// Runs `stmt` on `conn` (prepared once, then taken from the connection's cache) and answers its
/// rows, the first alone when `first_only`.
pub(super) fn query(
    conn: &rusqlite::Connection,
    stmt: &Statement,
    first_only: bool,
) -> Result<Vec<ProxyRow>, Failure> {
    let mut prepared = conn.prepare_cached(&stmt.sql).map_err(Failure::Sqlite)?;
    rows(&mut prepared, stmt, first_only)
}

/// Binds `stmt`'s values to `prepared`, runs it and answers its rows, the first alone when
/// `first_only`.
pub(super) fn rows(
    prepared: &mut rusqlite::Statement<'_>,
    stmt: &Statement,
    first_only: bool,
) -> Result<Vec<ProxyRow>, Failure> {
    bind(prepared, stmt).map_err(Failure::Value)?;
    let columns = columns(prepared);
    let mut rows = prepared.raw_query();
    let mut out = Vec::new();
    while let Some(found) = rows.next().map_err(Failure::Sqlite)? {
        out.push(row(found, &columns).map_err(Failure::Value)?);
        if first_only {
            break;
        }
    }
    Ok(out)
}

/// Binds `stmt`'s values: a numbered parameter (`$n`, `?n`) takes the `n`th value, any other the
/// value at its own position, as sqlx binds them.
pub(super) fn bind(prepared: &mut rusqlite::Statement<'_>, stmt: &Statement) -> Result<(), DbErr> {
    let values: &[Value] = stmt.values.as_ref().map_or(&[], |v| &v.0);
    for index in 1..=prepared.parameter_count() {
        let at = prepared
            .parameter_name(index)
            .and_then(|name| name.strip_prefix(['$', '?']))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(index);
        let value = at
            .checked_sub(1)
            .and_then(|at| values.get(at))
            .ok_or_else(|| DbErr::Custom(format!("no value for parameter {at}")))?;
        prepared
            .raw_bind_parameter(index, param(value)?)
            .map_err(query_err)?;
    }
    Ok(())
}

/// One row of an answer, for sea-orm.
pub(super) fn row(row: &rusqlite::Row<'_>, columns: &[Column]) -> Result<ProxyRow, DbErr> {
    let mut values = BTreeMap::new();
    for (i, column) in columns.iter().enumerate() {
        let value = row.get_ref(i).map_err(query_err)?;
        let value = column.kind.value(value, &column.name)?;
        if values.insert(column.name.clone(), value).is_some() {
            return Err(DbErr::Query(RuntimeErr::Internal(format!(
                "column {:?} answered twice: name each column once",
                column.name
            ))));
        }
    }
    let columns = columns.iter().map(|c| c.name.clone()).collect();
    Ok(ProxyRow { values, columns })
}

/// A parameter's value, borrowed where it can be.
pub(super) fn param(value: &Value) -> Result<ToSqlOutput<'_>, DbErr> {
    use rusqlite::types::Value as Owned;
    fn owned<'a, T>(v: Option<T>, f: impl FnOnce(T) -> Owned) -> ToSqlOutput<'a> {
        ToSqlOutput::Owned(v.map_or(Owned::Null, f))
    }
    Ok(match value {
        Value::Bool(b) => owned(*b, |b| Owned::Integer(b.into())),
        Value::TinyInt(i) => owned(*i, |i| Owned::Integer(i.into())),
        Value::SmallInt(i) => owned(*i, |i| Owned::Integer(i.into())),
        Value::Int(i) => owned(*i, |i| Owned::Integer(i.into())),
        Value::BigInt(i) => owned(*i, Owned::Integer),
        Value::TinyUnsigned(i) => owned(*i, |i| Owned::Integer(i.into())),
        Value::SmallUnsigned(i) => owned(*i, |i| Owned::Integer(i.into())),
        Value::Unsigned(i) => owned(*i, |i| Owned::Integer(i.into())),
        Value::BigUnsigned(i) => {
            let i = i
                .map(i64::try_from)
                .transpose()
                .map_err(|_| DbErr::Custom(format!("{i:?} does not fit SQLite's integer")))?;
            owned(i, Owned::Integer)
        }
        Value::Float(f) => owned(*f, |f| Owned::Real(f.into())),
        Value::Double(f) => owned(*f, Owned::Real),
        Value::Char(c) => owned(*c, |c| Owned::Text(c.to_string())),
        Value::String(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        Value::Bytes(Some(b)) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        Value::String(None) | Value::Bytes(None) => ToSqlOutput::Owned(Owned::Null),
        other => return Err(DbErr::Custom(format!("no SQLite value for {other:?}"))),
    })
}

/// A failed query, as sea-orm says it.
pub(super) fn query_err(e: rusqlite::Error) -> DbErr {
    DbErr::Query(RuntimeErr::Internal(e.to_string()))
}

/// A failed write, as sea-orm says it.
pub(super) fn exec_err(e: rusqlite::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column of every table the migrations make is typed by its entity, as its declared
    /// type allows: a table or column added without its entity here would read by what it holds.
    #[tokio::test]
    async fn every_migrated_column_has_its_entitys_kind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pocket.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        crate::store::Store::open(&url).await.expect("migrated");
        let conn = rusqlite::Connection::open(&path).expect("opens");
        let mut tables = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'",
            )
            .expect("prepared");
        let tables: Vec<String> = tables
            .query_map([], |row| row.get(0))
            .expect("tables")
            .collect::<Result<_, _>>()
            .expect("names");
        assert!(tables.len() >= 15, "{tables:?}");
        for table in tables {
            let mut info = conn
                .prepare(&format!(
                    "SELECT name, type FROM pragma_table_info('{table}')"
                ))
                .expect("prepared");
            let columns: Vec<(String, String)> = info
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .expect("columns")
                .collect::<Result<_, _>>()
                .expect("columns");
            for (column, declared) in columns {
                let kind = Kind::of_origin(Some(&table), Some(&column));
                let declared = declared.to_ascii_lowercase();
                let fits = match kind {
                    Kind::Int | Kind::BigInt => declared.contains("int"),
                    Kind::Bool => declared == "boolean",
                    Kind::Text => declared.contains("char") || declared == "text",
                    Kind::Bytes => declared == "blob",
                    Kind::Double | Kind::Any => false,
                };
                assert!(fits, "{table}.{column} ({declared}) reads as {kind:?}");
            }
        }
    }
}
