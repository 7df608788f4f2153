//! `sb`: the block tree's side branches. Blocks off the main chain (stale blocks a reorganisation
//! disconnected, and branches that have not, or not yet, gathered more work) are kept whole, so
//! a branch can become the main chain later and `block(hash:)` still finds them. The main chain
//! stays in `b`. `invalid` holds why a block failed when its branch was tried (its descendants
//! are marked too). Changes advance the state version, like every table a query reads.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_state_version::add_bump_triggers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SideBlocks {
    #[sea_orm(iden = "sb")]
    Table,
    Hash,
    PrevHash,
    Height,
    Body,
    Seen,
    Invalid,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SideBlocks::Table)
                .if_not_exists()
                .col(string(SideBlocks::Hash).primary_key())
                .col(string(SideBlocks::PrevHash))
                .col(big_integer(SideBlocks::Height))
                .col(blob(SideBlocks::Body))
                .col(big_integer(SideBlocks::Seen))
                .col(string_null(SideBlocks::Invalid))
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("sb_prev_hash", SideBlocks::PrevHash),
            ("sb_height", SideBlocks::Height),
        ] {
            m.create_index(
                Index::create()
                    .if_not_exists()
                    .name(name)
                    .table(SideBlocks::Table)
                    .col(column)
                    .to_owned(),
            )
            .await?;
        }
        add_bump_triggers(m.get_connection(), &["sb"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SideBlocks::Table).to_owned())
            .await
    }
}
