//! `t`: the transaction index. One row per (transaction, address it pays or spends from), so it
//! answers both "where is this txid" and "what touched this address".
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "t")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub txid: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub address: String,
    pub block_hash: String,
    pub height: i64,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
