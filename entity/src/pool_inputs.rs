//! `pi`: one row per output a pending transaction spends, keyed by the outpoint, naming the pool
//! entry (`p.id`) that spends it.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pi")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub txid: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub vout: i64,
    pub pool_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
