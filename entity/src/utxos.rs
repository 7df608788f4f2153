//! `c`: the chainstate, one row per unspent output.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "c")]
pub struct Model {
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
