//! An address's coins of one value ordered by height, then outpoint (`c_address_height`), in
//! place of by outpoint alone (`c_address_value`). A miner's address holds one coin of the same
//! value per block, so ordered by transaction id the coins of the last blocks sat on most of the
//! index's leaf pages, and a revert of 100 blocks rewrote about 35 of them; ordered by height they
//! are together at its end. Heights run backwards in the index, so a send reading the largest
//! coins backwards takes the oldest of equal value first.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Utxos {
    #[sea_orm(iden = "c")]
    Table,
    Txid,
    Vout,
    Address,
    Value,
    Height,
}

/// The index this migration makes: equal values by height, newest first, then by outpoint.
fn by_height() -> IndexCreateStatement {
    Index::create()
        .if_not_exists()
        .name("c_address_height")
        .table(Utxos::Table)
        .col(Utxos::Address)
        .col(Utxos::Value)
        .col((Utxos::Height, IndexOrder::Desc))
        .col(Utxos::Txid)
        .col(Utxos::Vout)
        .to_owned()
}

/// The index it replaces: equal values by outpoint.
fn by_value() -> IndexCreateStatement {
    Index::create()
        .if_not_exists()
        .name("c_address_value")
        .table(Utxos::Table)
        .col(Utxos::Address)
        .col(Utxos::Value)
        .col(Utxos::Txid)
        .col(Utxos::Vout)
        .to_owned()
}

fn drop(name: &str) -> IndexDropStatement {
    Index::drop()
        .if_exists()
        .name(name)
        .table(Utxos::Table)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(by_height()).await?;
        m.drop_index(drop("c_address_value")).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(by_value()).await?;
        m.drop_index(drop("c_address_height")).await
    }
}
