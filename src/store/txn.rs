//! The writer's transaction. On SQLite every statement is a round trip to the connection's own
//! thread, and the two thread wake-ups of a round trip cost more than the statement (see
//! docs/performance.md, "Next to Anvil"). So a write whose result nobody reads is held, and held
//! writes go with the next statement that reads: one script, one round trip. A commit sends what
//! is still held first.
//!
//! What this changes for the store's functions, on SQLite:
//! - only plain writes are held (`INSERT`, `UPDATE`, `DELETE` without `RETURNING`); anything
//!   else runs at once, after what is held;
//! - a held write's `ExecResult` says nothing (no row counts): a write whose count matters reads
//!   it with `RETURNING`, which makes it a read;
//! - a held write that fails fails the statement that sends it (the next read, or the commit).
//!   Either way the transaction fails and rolls back, as it would have.
//!
//! On PostgreSQL a prepared statement is one statement, so every statement runs at once.

use std::sync::{Mutex, MutexGuard};

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, ExecResult, QueryResult,
    Statement, TransactionTrait, Value,
};

use super::error::StoreResult;

/// Held SQL beyond which the held writes are sent before more are held: the script is prepared
/// (and cached) as one statement, so it stays small.
const MAX_HELD_SQL: usize = 64 * 1024;

/// A database transaction: the writer's ([`super::Store::begin_write`]) or a savepoint inside one
/// ([`savepoint`]). Dropped uncommitted, it rolls back, held writes and all.
#[derive(Debug)]
pub struct Txn {
    inner: DatabaseTransaction,
    /// Whether writes are held (SQLite).
    holds: bool,
    held: Mutex<Held>,
}

/// Writes not sent yet: their SQL joined, each statement's parameters unnumbered (`?`), and
/// their values in order.
#[derive(Debug, Default)]
struct Held {
    sql: String,
    values: Vec<Value>,
}

impl Txn {
    pub(super) fn new(inner: DatabaseTransaction) -> Self {
        let holds = inner.get_database_backend() == DatabaseBackend::Sqlite;
        Self {
            inner,
            holds,
            held: Mutex::new(Held::default()),
        }
    }

    /// The driver's transaction, for what runs beside the store's functions (migrations).
    pub(super) fn inner(&self) -> &DatabaseTransaction {
        &self.inner
    }

    fn held(&self) -> Result<MutexGuard<'_, Held>, DbErr> {
        self.held
            .lock()
            .map_err(|_| DbErr::Custom("held writes poisoned".into()))
    }

    /// Takes the held writes, followed by `stmt` when given, as one statement.
    fn take_with(&self, stmt: Option<Statement>) -> Result<Option<Statement>, DbErr> {
        let mut held = self.held()?;
        if held.sql.is_empty() {
            return Ok(stmt);
        }
        if let Some(stmt) = stmt {
            held.push(stmt)?;
        }
        let Held { sql, values } = std::mem::take(&mut *held);
        Ok(Some(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            sql,
            values,
        )))
    }

    /// Sends the held writes, if any.
    async fn send_held(&self) -> Result<(), DbErr> {
        if let Some(script) = self.take_with(None)? {
            self.inner.execute_raw(script).await?;
        }
        Ok(())
    }

    /// Holds `stmt`, first sending what is held when the script would grow too long.
    async fn hold(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let full = self.held()?.sql.len() + stmt.sql.len() > MAX_HELD_SQL;
        if full {
            self.send_held().await?;
        }
        self.held()?.push(stmt)?;
        // Says nothing: no count is known before the write runs.
        Ok(sea_orm::sqlx::sqlite::SqliteQueryResult::default().into())
    }
}

impl Held {
    fn push(&mut self, stmt: Statement) -> Result<(), DbErr> {
        if !self.sql.is_empty() {
            self.sql.push_str(";\n");
        }
        let values = stmt.values.map(|v| v.0).unwrap_or_default();
        let sql = stmt
            .sql
            .trim_end_matches(|c: char| c == ';' || c.is_whitespace());
        unnumber(sql, &values, &mut self.sql, &mut self.values)
    }
}

/// Whether `sql` is a plain write: it starts with `INSERT`, `UPDATE` or `DELETE` and returns no
/// rows (no `RETURNING`). Only those are held; a held statement's rows would reach the next
/// read's caller.
fn holdable(sql: &str) -> bool {
    let sql = sql.trim_start().as_bytes();
    let starts = |verb: &[u8]| {
        sql.get(..verb.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(verb))
    };
    (starts(b"INSERT") || starts(b"UPDATE") || starts(b"DELETE"))
        && !sql
            .windows(b"RETURNING".len())
            .any(|w| w.eq_ignore_ascii_case(b"RETURNING"))
}

/// Appends `sql` to `out` with every parameter written `?`, and its values to `out_values` in the
/// order they appear: a numbered parameter (`$n`, `?n`) counts from the first value of its own
/// statement, and once statements are joined, only unnumbered ones still do. Quoted text,
/// quoted names and comments are copied as they are.
fn unnumber(
    sql: &str,
    values: &[Value],
    out: &mut String,
    out_values: &mut Vec<Value>,
) -> Result<(), DbErr> {
    let bytes = sql.as_bytes();
    let mut next = 0;
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'?' | b'$' => {
                let digits = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let index = match (bytes[i], digits) {
                    (b'?', 0) => {
                        next += 1;
                        next
                    }
                    (b'$', 0) => {
                        i += 1;
                        continue;
                    }
                    _ => sql[i + 1..i + 1 + digits]
                        .parse::<usize>()
                        .map_err(|e| DbErr::Custom(format!("parameter: {e}")))?,
                };
                let value = index
                    .checked_sub(1)
                    .and_then(|at| values.get(at))
                    .ok_or_else(|| DbErr::Custom(format!("no value for parameter {index}")))?;
                out.push_str(&sql[copied..i]);
                out.push('?');
                out_values.push(value.clone());
                i += 1 + digits;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    Ok(())
}

#[async_trait::async_trait]
impl ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        if self.holds && holdable(&stmt.sql) {
            return self.hold(stmt).await;
        }
        self.send_held().await?;
        self.inner.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        if self.holds && holdable(sql) {
            return self
                .hold(Statement::from_string(DatabaseBackend::Sqlite, sql))
                .await;
        }
        self.send_held().await?;
        self.inner.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self.take_with(Some(stmt))? {
            Some(stmt) => self.inner.query_one_raw(stmt).await,
            None => Ok(None),
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.take_with(Some(stmt))? {
            Some(stmt) => self.inner.query_all_raw(stmt).await,
            None => Ok(Vec::new()),
        }
    }

    fn support_returning(&self) -> bool {
        self.inner.support_returning()
    }
}

/// Commits a transaction (or releases a savepoint into its parent), sending held writes first.
pub async fn commit(txn: Txn) -> StoreResult<()> {
    txn.send_held().await?;
    Ok(txn.inner.commit().await?)
}

/// Rolls a transaction (or a savepoint) back; held writes are forgotten.
pub async fn rollback(txn: Txn) -> StoreResult<()> {
    Ok(txn.inner.rollback().await?)
}

/// Sends `txn`'s held writes now, for writes that should run while the caller waits on other
/// work (a run's signature checks).
pub async fn flush(txn: &Txn) -> StoreResult<()> {
    Ok(txn.send_held().await?)
}

/// A savepoint inside `txn`: what happens in it can be rolled back alone. `txn`'s held writes
/// are sent first, so they stay whatever happens to the savepoint.
pub async fn savepoint(txn: &Txn) -> StoreResult<Txn> {
    txn.send_held().await?;
    Ok(Txn::new(txn.inner.begin().await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(sql: &str, values: Vec<Value>) -> (String, Vec<Value>) {
        let (mut out, mut out_values) = (String::new(), Vec::new());
        unnumber(sql, &values, &mut out, &mut out_values).expect("unnumbered");
        (out, out_values)
    }

    #[test]
    fn numbered_parameters_become_positional_in_order_of_appearance() {
        let (sql, values) = run(
            r#"SELECT "a" FROM "t" WHERE "h" > $2 AND "x" = ?1 OR "h" < $2"#,
            vec![1i64.into(), 2i64.into()],
        );
        assert_eq!(
            sql,
            r#"SELECT "a" FROM "t" WHERE "h" > ? AND "x" = ? OR "h" < ?"#
        );
        assert_eq!(values, vec![2i64.into(), 1i64.into(), 2i64.into()]);
    }

    #[test]
    fn unnumbered_parameters_keep_their_order() {
        let (sql, values) = run("INSERT INTO t VALUES (?, ?)", vec!["a".into(), "b".into()]);
        assert_eq!(sql, "INSERT INTO t VALUES (?, ?)");
        assert_eq!(values, vec!["a".into(), "b".into()]);
    }

    #[test]
    fn quoted_text_names_and_comments_are_not_parameters() {
        let sql = "SELECT '$1 ?', \"?2\" -- $3\n/* ?4 */ FROM t WHERE a = $1";
        let (out, values) = run(sql, vec![7i64.into()]);
        assert_eq!(
            out,
            "SELECT '$1 ?', \"?2\" -- $3\n/* ?4 */ FROM t WHERE a = ?"
        );
        assert_eq!(values, vec![7i64.into()]);
    }

    #[test]
    fn only_plain_writes_are_held() {
        assert!(holdable("  INSERT INTO t VALUES (?)"));
        assert!(holdable("delete from t where a = 1; DELETE FROM u"));
        assert!(holdable(r#"UPDATE "m" SET "a" = ?"#));
        assert!(!holdable("INSERT INTO t VALUES (?) RETURNING id"));
        assert!(!holdable("SELECT changes()"));
        assert!(!holdable("PRAGMA optimize"));
        assert!(!holdable("WITH x AS (SELECT 1) DELETE FROM t"));
    }

    #[test]
    fn a_parameter_without_a_value_is_an_error() {
        let (mut out, mut values) = (String::new(), Vec::new());
        assert!(unnumber("SELECT $2", &[1i64.into()], &mut out, &mut values).is_err());
    }
}
