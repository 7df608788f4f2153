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
    /// The database URL names no supported backend.
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
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
