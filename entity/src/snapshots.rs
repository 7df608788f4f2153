//! `s`: snapshots. A snapshot names a tip and the last wallet; the chain itself is append-only,
//! so nothing else is copied (the pool is, in `sp`).
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "s")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: Option<String>,
    /// The tip's height; null for an empty chain.
    pub height: Option<i64>,
    pub tip_hash: Option<String>,
    /// The highest wallet id at the time (0: none).
    pub last_wallet: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
