//! The premine with the chain's parameters (`cp`): the outputs the genesis coinbase pays besides
//! the reward, in the encoding `docs/protocol.md` gives. Chains before it have none (an empty
//! blob).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChainParams {
    #[sea_orm(iden = "cp")]
    Table,
    Premine,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ChainParams::Table)
                .add_column(ColumnDef::new(ChainParams::Premine).blob().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ChainParams::Table)
                .drop_column(ChainParams::Premine)
                .to_owned(),
        )
        .await
    }
}
