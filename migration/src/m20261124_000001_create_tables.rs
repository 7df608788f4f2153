//! The six tables and an index for every lookup the API makes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Blocks {
    #[sea_orm(iden = "b")]
    Table,
    Hash,
    Height,
    PrevHash,
    MerkleRoot,
    Timestamp,
    Bits,
    Nonce,
    TxCount,
    Body,
}

#[derive(DeriveIden)]
enum Tip {
    #[sea_orm(iden = "l")]
    Table,
    Id,
    Hash,
    Height,
}

#[derive(DeriveIden)]
enum Utxos {
    #[sea_orm(iden = "c")]
    Table,
    Txid,
    Vout,
    Address,
    PubkeyHash,
    Value,
    Height,
    Coinbase,
}

#[derive(DeriveIden)]
enum Pool {
    #[sea_orm(iden = "p")]
    Table,
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
enum Wallets {
    #[sea_orm(iden = "w")]
    Table,
    Id,
    Address,
    PublicKey,
    SecretNonce,
    SecretCiphertext,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TxIndex {
    #[sea_orm(iden = "t")]
    Table,
    Txid,
    Address,
    BlockHash,
    Height,
    Position,
}

/// Hashes are hex text. Varchar, not char(n): PostgreSQL compares a char(n) column to a text
/// parameter by casting the column, which disables its index.
const HASH_HEX: u32 = 64;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Blocks::Table)
                .if_not_exists()
                .col(string_len(Blocks::Hash, HASH_HEX).primary_key())
                .col(big_integer_uniq(Blocks::Height))
                .col(string_len(Blocks::PrevHash, HASH_HEX))
                .col(string_len(Blocks::MerkleRoot, HASH_HEX))
                .col(big_integer(Blocks::Timestamp))
                .col(integer(Blocks::Bits))
                .col(big_integer(Blocks::Nonce))
                .col(integer(Blocks::TxCount))
                .col(blob(Blocks::Body))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Tip::Table)
                .if_not_exists()
                .col(integer(Tip::Id).primary_key())
                .col(string_len(Tip::Hash, HASH_HEX))
                .col(big_integer(Tip::Height))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Utxos::Table)
                .if_not_exists()
                .col(string_len(Utxos::Txid, HASH_HEX))
                .col(big_integer(Utxos::Vout))
                .col(string_len(Utxos::Address, 40))
                .col(string_len(Utxos::PubkeyHash, 40))
                .col(big_integer(Utxos::Value))
                .col(big_integer(Utxos::Height))
                .col(boolean(Utxos::Coinbase))
                .primary_key(Index::create().col(Utxos::Txid).col(Utxos::Vout))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("c_address_value")
                .table(Utxos::Table)
                .col(Utxos::Address)
                .col(Utxos::Value)
                .col(Utxos::Txid)
                .col(Utxos::Vout)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Pool::Table)
                .if_not_exists()
                .col(big_pk_auto(Pool::Id))
                .col(string_len_null(Pool::Txid, HASH_HEX))
                .col(string(Pool::FromAddress))
                .col(string(Pool::ToAddress))
                .col(big_integer(Pool::Amount))
                .col(blob_null(Pool::Tx))
                .col(boolean(Pool::Error))
                .col(text_null(Pool::ErrorText))
                .col(big_integer(Pool::CreatedAt))
                .to_owned(),
        )
        .await?;
        // The sender lock ("one pending transaction per sender") and the pending/rejected listings.
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("p_from_error")
                .table(Pool::Table)
                .col(Pool::FromAddress)
                .col(Pool::Error)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("p_error_id")
                .table(Pool::Table)
                .col(Pool::Error)
                .col(Pool::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Wallets::Table)
                .if_not_exists()
                .col(big_pk_auto(Wallets::Id))
                .col(string_len_uniq(Wallets::Address, 40))
                .col(string_len(Wallets::PublicKey, 66))
                .col(blob(Wallets::SecretNonce))
                .col(blob(Wallets::SecretCiphertext))
                .col(big_integer(Wallets::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TxIndex::Table)
                .if_not_exists()
                .col(string_len(TxIndex::Txid, HASH_HEX))
                .col(string_len(TxIndex::Address, 40))
                .col(string_len(TxIndex::BlockHash, HASH_HEX))
                .col(big_integer(TxIndex::Height))
                .col(integer(TxIndex::Position))
                .primary_key(Index::create().col(TxIndex::Txid).col(TxIndex::Address))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("t_height")
                .table(TxIndex::Table)
                .col(TxIndex::Height)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("t_address_height")
                .table(TxIndex::Table)
                .col(TxIndex::Address)
                .col(TxIndex::Height)
                .col(TxIndex::Position)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Blocks::Table.into_iden(),
            Tip::Table.into_iden(),
            Utxos::Table.into_iden(),
            Pool::Table.into_iden(),
            Wallets::Table.into_iden(),
            TxIndex::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
