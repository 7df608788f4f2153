//! The dev chain's clock, kept with the mining settings (`m`): an offset added to the wall clock
//! for block timestamps, and a timestamp fixed for the next block only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Mining {
    #[sea_orm(iden = "m")]
    Table,
    TimeOffset,
    NextTimestamp,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        m.alter_table(
            Table::alter()
                .table(Mining::Table)
                .add_column(
                    ColumnDef::new(Mining::TimeOffset)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Mining::Table)
                .add_column(ColumnDef::new(Mining::NextTimestamp).big_integer().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Mining::NextTimestamp, Mining::TimeOffset] {
            m.alter_table(
                Table::alter()
                    .table(Mining::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
