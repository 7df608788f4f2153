//! `cp`: the parameters the chain was created with, a single row (id 1).
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cp")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub difficulty_bits: i32,
    /// Bit-cast from `u64`.
    pub block_reward: i64,
    pub max_block_txs: i32,
    /// `Premine::encode`; none on chains without one.
    pub premine: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
