//! `u`: undo data, one row per output a block spent (as it was in `c`), keyed by the spending
//! block's height, then the outpoint, so a block's rows sit together at the end. Taking blocks off
//! the tip puts these rows back.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "u")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub spent_height: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub txid: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub vout: i64,
    pub address: String,
    pub pubkey_hash: String,
    pub value: i64,
    pub height: i64,
    pub coinbase: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
