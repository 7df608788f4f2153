//! The dev chain's tables: `m` the mining settings (one row), `s` snapshots and `sp` the pool as
//! each snapshot saw it, and `u` undo data (the outputs each block spent, so that blocks can be
//! taken off the tip without replaying the chain). `c` gains an index by height, which a revert
//! deletes by. Every new table advances the state version, like the first six.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_state_version::add_bump_triggers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Mining {
    #[sea_orm(iden = "m")]
    Table,
    Id,
    Mode,
    IntervalSeconds,
    Address,
    TxCount,
}

#[derive(DeriveIden)]
enum Snapshots {
    #[sea_orm(iden = "s")]
    Table,
    Id,
    Name,
    Height,
    TipHash,
    LastWallet,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SnapshotPool {
    #[sea_orm(iden = "sp")]
    Table,
    Snapshot,
    Id,
    Txid,
    FromAddress,
    ToAddress,
    Amount,
    Tx,
    Error,
    ErrorText,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Undo {
    #[sea_orm(iden = "u")]
    Table,
    SpentHeight,
    Txid,
    Vout,
    Address,
    PubkeyHash,
    Value,
    Height,
    Coinbase,
}

#[derive(DeriveIden)]
enum Utxos {
    #[sea_orm(iden = "c")]
    Table,
    Height,
}

/// The new tables whose changes advance the state version.
const TABLES: [&str; 4] = ["m", "s", "sp", "u"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Mining::Table)
                .if_not_exists()
                .col(integer(Mining::Id).primary_key())
                .col(string_len(Mining::Mode, 16))
                .col(big_integer_null(Mining::IntervalSeconds))
                .col(string_len_null(Mining::Address, 40))
                .col(integer(Mining::TxCount))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Snapshots::Table)
                .if_not_exists()
                .col(big_pk_auto(Snapshots::Id))
                .col(string_len_null(Snapshots::Name, 100))
                .col(big_integer_null(Snapshots::Height))
                .col(string_len_null(Snapshots::TipHash, 64))
                .col(big_integer(Snapshots::LastWallet))
                .col(big_integer(Snapshots::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SnapshotPool::Table)
                .if_not_exists()
                .col(big_integer(SnapshotPool::Snapshot))
                .col(big_integer(SnapshotPool::Id))
                .col(string_len_null(SnapshotPool::Txid, 64))
                .col(string(SnapshotPool::FromAddress))
                .col(string(SnapshotPool::ToAddress))
                .col(big_integer(SnapshotPool::Amount))
                .col(blob_null(SnapshotPool::Tx))
                .col(boolean(SnapshotPool::Error))
                .col(text_null(SnapshotPool::ErrorText))
                .col(big_integer(SnapshotPool::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(SnapshotPool::Snapshot)
                        .col(SnapshotPool::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Undo::Table)
                .if_not_exists()
                .col(big_integer(Undo::SpentHeight))
                .col(string_len(Undo::Txid, 64))
                .col(big_integer(Undo::Vout))
                .col(string_len(Undo::Address, 40))
                .col(string_len(Undo::PubkeyHash, 40))
                .col(big_integer(Undo::Value))
                .col(big_integer(Undo::Height))
                .col(boolean(Undo::Coinbase))
                .primary_key(Index::create().col(Undo::Txid).col(Undo::Vout))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("u_spent_height")
                .table(Undo::Table)
                .col(Undo::SpentHeight)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("c_height")
                .table(Utxos::Table)
                .col(Utxos::Height)
                .to_owned(),
        )
        .await?;
        add_bump_triggers(m.get_connection(), &TABLES).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("c_height")
                .table(Utxos::Table)
                .to_owned(),
        )
        .await?;
        for table in [
            Mining::Table.into_iden(),
            Snapshots::Table.into_iden(),
            SnapshotPool::Table.into_iden(),
            Undo::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
