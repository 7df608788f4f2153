//! `t`: the transaction index, txid to the block holding it.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "t")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub txid: String,
    pub block_hash: String,
    pub height: i64,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
