//! `u` by address: what an address has spent, summed without scanning the undo data.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Undo {
    #[sea_orm(iden = "u")]
    Table,
    Address,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("u_address_value")
                .table(Undo::Table)
                .col(Undo::Address)
                .col(Undo::Value)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("u_address_value")
                .table(Undo::Table)
                .to_owned(),
        )
        .await
    }
}
