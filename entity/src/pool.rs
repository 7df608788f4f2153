//! `p`: the pool. Pending transactions oldest first, and rejected sends with their error text.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "p")]
pub struct Model {
    #[sea_orm(primary_key)]
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
