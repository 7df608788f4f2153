//! `pi`: the outputs pending transactions spend, one row per input, keyed by the outpoint. The
//! primary key makes a double spend within the pool impossible to store, and lets coin selection
//! skip what the pool already spends. It changes only together with `p`, whose triggers advance
//! the state version, so it needs none of its own. Pools pending at the upgrade are indexed by
//! the node when it opens the database (the migration cannot decode transactions).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PoolInputs {
    #[sea_orm(iden = "pi")]
    Table,
    Txid,
    Vout,
    PoolId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PoolInputs::Table)
                .if_not_exists()
                .col(string(PoolInputs::Txid))
                .col(big_integer(PoolInputs::Vout))
                .col(big_integer(PoolInputs::PoolId))
                .primary_key(Index::create().col(PoolInputs::Txid).col(PoolInputs::Vout))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("pi_pool_id")
                .table(PoolInputs::Table)
                .col(PoolInputs::PoolId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PoolInputs::Table).to_owned())
            .await
    }
}
