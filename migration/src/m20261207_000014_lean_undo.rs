//! Fewer pages per block. Every index a block writes to costs at least one page in its commit, and
//! on SQLite each page is two writes to the log. The undo data (`u`) had three indexes besides its
//! table: its outpoint key, the spending height (for taking blocks off) and the address with the
//! value (for an address's spent total). Now:
//!
//! - `u` is keyed by the spending height, then the outpoint, so a block's undo rows go to the end
//!   of one tree, and taking blocks off deletes one range of it. On SQLite the key is the table
//!   (`WITHOUT ROWID`), so a block's undo rows cost one tree instead of four.
//! - Each address's spent total is kept beside its balance, in `ab.spent` (a row a block writes
//!   anyway), instead of summed through an index of `u`. An address keeps its row while it holds
//!   coins or has spent some; filled here from `u` as it stands.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `u`'s columns, in their order.
const COLUMNS: &str =
    r#""spent_height", "txid", "vout", "address", "pubkey_hash", "value", "height", "coinbase""#;

/// `u` keyed by the spending height, as a table of its own key (SQLite).
const UNDO_BY_HEIGHT: &str = r#"CREATE TABLE "u_new" (
    "spent_height" integer NOT NULL, "txid" varchar(64) NOT NULL, "vout" integer NOT NULL,
    "address" varchar(40) NOT NULL, "pubkey_hash" varchar(40) NOT NULL, "value" integer NOT NULL,
    "height" integer NOT NULL, "coinbase" boolean NOT NULL,
    PRIMARY KEY ("spent_height", "txid", "vout")) WITHOUT ROWID"#;

/// `u` keyed by the outpoint, as before (SQLite).
const UNDO_BY_OUTPOINT: &str = r#"CREATE TABLE "u_new" (
    "spent_height" integer NOT NULL, "txid" varchar(64) NOT NULL, "vout" integer NOT NULL,
    "address" varchar(40) NOT NULL, "pubkey_hash" varchar(40) NOT NULL, "value" integer NOT NULL,
    "height" integer NOT NULL, "coinbase" boolean NOT NULL,
    PRIMARY KEY ("txid", "vout"))"#;

/// Each address's spent total, from the undo rows.
const FILL_SPENT: &str = r#"INSERT INTO "ab" ("address", "balance", "spent")
    SELECT "address", 0, CAST(SUM("value") AS BIGINT) FROM "u" GROUP BY "address"
    ON CONFLICT ("address") DO UPDATE SET "spent" = "excluded"."spent""#;

/// `u` rebuilt as `create` (a table named `u_new`), on SQLite, which cannot change a key.
fn rebuild_undo(create: &'static str) -> [String; 4] {
    [
        create.to_owned(),
        format!(r#"INSERT INTO "u_new" ({COLUMNS}) SELECT {COLUMNS} FROM "u""#),
        r#"DROP TABLE "u""#.to_owned(),
        r#"ALTER TABLE "u_new" RENAME TO "u""#.to_owned(),
    ]
}

/// Runs `statements` as one script, on one connection. Outside a transaction the migrator's
/// statements may each go to another of the pool's connections, and a SQLite connection checks
/// names against the schema it last read before it notices that another one changed it: the
/// script's first statement reads the schema afresh, so the rest see every change before it.
async fn run(m: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = m.get_connection();
    let mut script = statements;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        script.insert(0, "SELECT COUNT(*) FROM sqlite_schema".to_owned());
    }
    db.execute_unprepared(&script.join(";\n")).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut script = vec![
            r#"ALTER TABLE "ab" ADD COLUMN "spent" bigint NOT NULL DEFAULT 0"#.to_owned(),
            FILL_SPENT.to_owned(),
            r#"DROP INDEX IF EXISTS "u_address_value""#.to_owned(),
        ];
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            script.extend(rebuild_undo(UNDO_BY_HEIGHT));
        } else {
            script.extend(
                [
                    r#"ALTER TABLE "u" DROP CONSTRAINT "u_pkey""#,
                    r#"ALTER TABLE "u" ADD PRIMARY KEY ("spent_height", "txid", "vout")"#,
                    r#"DROP INDEX IF EXISTS "u_spent_height""#,
                ]
                .map(str::to_owned),
            );
        }
        run(m, script).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut script = Vec::new();
        if m.get_database_backend() == DatabaseBackend::Sqlite {
            script.extend(rebuild_undo(UNDO_BY_OUTPOINT));
        } else {
            script.extend(
                [
                    r#"ALTER TABLE "u" DROP CONSTRAINT "u_pkey""#,
                    r#"ALTER TABLE "u" ADD PRIMARY KEY ("txid", "vout")"#,
                ]
                .map(str::to_owned),
            );
        }
        script.extend(
            [
                r#"CREATE INDEX IF NOT EXISTS "u_spent_height" ON "u" ("spent_height")"#,
                r#"CREATE INDEX IF NOT EXISTS "u_address_value" ON "u" ("address", "value")"#,
                r#"DELETE FROM "ab" WHERE "balance" = 0"#,
                r#"ALTER TABLE "ab" DROP COLUMN "spent""#,
            ]
            .map(str::to_owned),
        );
        run(m, script).await
    }
}
