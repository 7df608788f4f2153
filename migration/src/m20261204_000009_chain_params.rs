//! `cp`: the parameters a chain was created with (one row), so that a start with other flags is
//! refused instead of mining blocks the chain's own rules reject.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChainParams {
    #[sea_orm(iden = "cp")]
    Table,
    Id,
    DifficultyBits,
    BlockReward,
    MaxBlockTxs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ChainParams::Table)
                .if_not_exists()
                .col(integer(ChainParams::Id).primary_key())
                .col(integer(ChainParams::DifficultyBits))
                .col(big_integer(ChainParams::BlockReward))
                .col(integer(ChainParams::MaxBlockTxs))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ChainParams::Table).to_owned())
            .await
    }
}
