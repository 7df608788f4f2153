//! `b`: one row per block, its header fields and its canonical encoding.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "b")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    #[sea_orm(unique)]
    pub height: i64,
    pub prev_hash: String,
    pub merkle_root: String,
    pub timestamp: i64,
    pub bits: i32,
    /// The u64 nonce, bit-cast.
    pub nonce: i64,
    pub tx_count: i32,
    pub body: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
