//! `ab`: each address's balance, the sum of its unspent outputs in `c`, kept by every change to
//! `c` in the same transaction; an address without coins has no row. A balance is then one
//! primary-key lookup instead of a sum over the address's outputs. It changes only together with
//! `c`, whose triggers advance the state version, so it needs none of its own. Filled here from
//! the chainstate as it stands.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Balances {
    #[sea_orm(iden = "ab")]
    Table,
    Address,
    Balance,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Balances::Table)
                .if_not_exists()
                .col(string_len(Balances::Address, 40).primary_key())
                .col(big_integer(Balances::Balance))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                r#"INSERT INTO "ab" ("address", "balance")
                   SELECT "address", CAST(SUM("value") AS BIGINT) FROM "c" GROUP BY "address""#,
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Balances::Table).to_owned())
            .await
    }
}
