//! `sb`: blocks off the main chain, whole, with when they were first seen and, once their branch
//! was tried and failed, why.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sb")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    pub prev_hash: String,
    pub height: i64,
    pub body: Vec<u8>,
    pub seen: i64,
    pub invalid: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
