//! Errors of the persistence layer.

use thiserror::Error;

/// Why the store could not answer.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database refused or failed (connection, constraint, I/O).
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A row holds what no valid write could have put there.
    #[error("corrupt {table} row: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// `--read-database-url` beside a SQLite primary.
    #[error(
        "read replicas (--read-database-url) are PostgreSQL hot standbys: the primary \
         (--database-url) must be PostgreSQL too"
    )]
    StandbysNeedPostgres,
    /// The database URL names no supported backend.
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    /// The PostgreSQL server could not be reached or refused the connection.
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Unreachable {
        /// `host:port/database`.
        target: String,
        /// Refused, unknown host, authentication failed, database missing, no answer.
        reason: String,
    },
    /// A command that only reads found no chain database.
    #[error(
        "no chain database at {0} (this command never creates one): name the chain's with \
         --data-dir DIR or --database-url URL"
    )]
    Missing(String),
    /// The SQLite file's directory could not be created.
    #[error("cannot create database directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn corrupt(table: &'static str, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            table,
            detail: detail.into(),
        }
    }
}

/// Store result.
pub type StoreResult<T> = Result<T, StoreError>;
