//! `sp`: the pool as each snapshot saw it (the rows of `p`, keyed by snapshot).
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sp")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub snapshot: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub txid: Option<String>,
    pub from_address: String,
    pub to_address: String,
    pub amount: i64,
    pub tx: Option<Vec<u8>>,
    pub error: bool,
    pub error_text: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
