//! On SQLite the state version (`v`) moves once per committed write transaction, advanced by the
//! store's writer as it commits, instead of by a row trigger on every table: the triggers ran an
//! update of `v` for each row written, which nearly doubled a revert's statements, and made every
//! statement keep a statement journal. PostgreSQL keeps its statement triggers (one update per
//! statement).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table that had SQLite's row triggers.
const TABLES: [&str; 11] = ["b", "l", "c", "p", "w", "t", "m", "s", "sp", "u", "sb"];

const OPERATIONS: [&str; 3] = ["insert", "update", "delete"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        for table in TABLES {
            for op in OPERATIONS {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS v_{table}_{op}"))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        for table in TABLES {
            for op in OPERATIONS {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER IF NOT EXISTS v_{table}_{op} AFTER {op} ON {table} \
                     BEGIN UPDATE v SET n = n + 1 WHERE id = 1; END"
                ))
                .await?;
            }
        }
        Ok(())
    }
}
