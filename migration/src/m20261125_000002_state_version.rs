//! `v`: one counter that every change to the six tables advances, in the changing transaction,
//! so a reader can tell with one cheap statement whether anything changed since it last looked
//! (the server's response cache). On PostgreSQL statement triggers make every write path count,
//! including ones written later; on SQLite the store's write transaction advances it as it
//! commits (see `m20261206_000012_version_per_commit`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose changes advance the counter.
const TABLES: [&str; 6] = ["b", "l", "c", "p", "w", "t"];

/// Makes every change to `tables` advance the counter on PostgreSQL (the function must exist).
/// SQLite has row triggers only, which nearly doubled a revert's statements; there the store's
/// write transaction advances the counter once as it commits.
pub(crate) async fn add_bump_triggers(
    db: &SchemaManagerConnection<'_>,
    tables: &[&str],
) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for table in tables {
        db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS v_bump ON {table}"))
            .await?;
        db.execute_unprepared(&format!(
            "CREATE TRIGGER v_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE \
             ON {table} FOR EACH STATEMENT EXECUTE FUNCTION pocket_bump_version()"
        ))
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE TABLE IF NOT EXISTS v (id integer PRIMARY KEY, n bigint NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO v (id, n) VALUES (1, 0) ON CONFLICT DO NOTHING")
            .await?;
        if db.get_database_backend() == DatabaseBackend::Postgres {
            // One bump per statement: a block's bulk inserts cost one update, not one per row.
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION pocket_bump_version() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN UPDATE v SET n = n + 1 WHERE id = 1; \
                 RETURN NULL; END $$",
            )
            .await?;
        }
        add_bump_triggers(db, &TABLES).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                for table in TABLES {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS v_bump ON {table}"))
                        .await?;
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS pocket_bump_version()")
                    .await?;
            }
            _ => {
                for table in TABLES {
                    for op in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS v_{table}_{op}"))
                            .await?;
                    }
                }
            }
        }
        db.execute_unprepared("DROP TABLE IF EXISTS v").await?;
        Ok(())
    }
}
