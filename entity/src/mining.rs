//! `m`: the mining settings, a single row (id 1) that outlives restarts.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "m")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// `manual`, `auto` or `interval`.
    pub mode: String,
    pub interval_seconds: Option<i64>,
    pub address: Option<String>,
    pub tx_count: i32,
    /// Seconds added to the wall clock for block timestamps.
    pub time_offset: i64,
    /// The next block's timestamp, if one was set.
    pub next_timestamp: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
