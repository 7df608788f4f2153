//! The six tables and an index for every lookup the API makes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum B {
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
enum L {
    Table,
    Id,
    Hash,
    Height,
}

#[derive(DeriveIden)]
enum C {
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
enum P {
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
enum W {
    Table,
    Id,
    Address,
    PublicKey,
    SecretNonce,
    SecretCiphertext,
    CreatedAt,
}

#[derive(DeriveIden)]
enum T {
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
                .table(B::Table)
                .if_not_exists()
                .col(string_len(B::Hash, HASH_HEX).primary_key())
                .col(big_integer_uniq(B::Height))
                .col(string_len(B::PrevHash, HASH_HEX))
                .col(string_len(B::MerkleRoot, HASH_HEX))
                .col(big_integer(B::Timestamp))
                .col(integer(B::Bits))
                .col(big_integer(B::Nonce))
                .col(integer(B::TxCount))
                .col(blob(B::Body))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(L::Table)
                .if_not_exists()
                .col(integer(L::Id).primary_key())
                .col(string_len(L::Hash, HASH_HEX))
                .col(big_integer(L::Height))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(C::Table)
                .if_not_exists()
                .col(string_len(C::Txid, HASH_HEX))
                .col(big_integer(C::Vout))
                .col(string_len(C::Address, 40))
                .col(string_len(C::PubkeyHash, 40))
                .col(big_integer(C::Value))
                .col(big_integer(C::Height))
                .col(boolean(C::Coinbase))
                .primary_key(Index::create().col(C::Txid).col(C::Vout))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("c_address_value")
                .table(C::Table)
                .col(C::Address)
                .col(C::Value)
                .col(C::Txid)
                .col(C::Vout)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(P::Table)
                .if_not_exists()
                .col(big_pk_auto(P::Id))
                .col(string_len_null(P::Txid, HASH_HEX))
                .col(string(P::FromAddress))
                .col(string(P::ToAddress))
                .col(big_integer(P::Amount))
                .col(blob_null(P::Tx))
                .col(boolean(P::Error))
                .col(text_null(P::ErrorText))
                .col(big_integer(P::CreatedAt))
                .to_owned(),
        )
        .await?;
        // The sender lock ("one pending transaction per sender") and the pending/rejected listings.
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("p_from_error")
                .table(P::Table)
                .col(P::FromAddress)
                .col(P::Error)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("p_error_id")
                .table(P::Table)
                .col(P::Error)
                .col(P::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(W::Table)
                .if_not_exists()
                .col(big_pk_auto(W::Id))
                .col(string_len_uniq(W::Address, 40))
                .col(string_len(W::PublicKey, 66))
                .col(blob(W::SecretNonce))
                .col(blob(W::SecretCiphertext))
                .col(big_integer(W::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(T::Table)
                .if_not_exists()
                .col(string_len(T::Txid, HASH_HEX))
                .col(string_len(T::Address, 40))
                .col(string_len(T::BlockHash, HASH_HEX))
                .col(big_integer(T::Height))
                .col(integer(T::Position))
                .primary_key(Index::create().col(T::Txid).col(T::Address))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("t_height")
                .table(T::Table)
                .col(T::Height)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .if_not_exists()
                .name("t_address_height")
                .table(T::Table)
                .col(T::Address)
                .col(T::Height)
                .col(T::Position)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            B::Table.into_iden(),
            L::Table.into_iden(),
            C::Table.into_iden(),
            P::Table.into_iden(),
            W::Table.into_iden(),
            T::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
