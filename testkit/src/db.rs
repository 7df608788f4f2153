//! A fresh, empty database for each test: a SQLite file in a temporary directory, or a new
//! database on PostgreSQL (see [`crate::postgres`]).

use std::sync::Arc;

use pocket_chain::node::Node;
use pocket_chain::store::Store;
use sea_orm::ConnectionTrait;

use crate::fixtures::{keystore, test_config};
use crate::postgres::fresh_pg_database;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A database on PostgreSQL.
    Postgres,
}

/// A fresh, empty database for one test.
pub struct TestDb {
    /// Its URL, for `Store::open` or `--database-url`.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new database on `backend`.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("pocket.db").display()
                );
                Self {
                    url,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => Self {
                url: fresh_pg_database().await,
                _dir: None,
            },
        }
    }

    /// A store over it (another connection pool each time, like another process).
    pub async fn store(&self) -> Store {
        Store::open(&self.url).await.expect("store opens")
    }

    /// Runs SQL of the test's own (statistics, fault injection) on a connection of its own.
    pub async fn execute(&self, sql: &str) {
        self.store()
            .await
            .db()
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// A node over it with the tests' configuration and keystore.
    pub async fn node(&self) -> Arc<Node> {
        Arc::new(
            Node::open(self.store().await, test_config(), keystore())
                .await
                .expect("node opens"),
        )
    }
}
