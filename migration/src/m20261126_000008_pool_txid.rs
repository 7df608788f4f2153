//! `p` by txid: a pending transaction found without scanning the pool (`transactionStatus`,
//! `rawTransaction`, and each transaction a peer relays).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Pool {
    #[sea_orm(iden = "p")]
    Table,
    Txid,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("p_txid")
                .table(Pool::Table)
                .col(Pool::Txid)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("p_txid").table(Pool::Table).to_owned())
            .await
    }
}
