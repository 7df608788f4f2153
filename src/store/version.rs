//! The state version: a counter that every committed change advances (triggers on every table,
//! see the migration), so one cheap read tells whether anything changed since the last one.

use entity::state_version;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::error::{StoreError, StoreResult};

/// The current state version.
pub async fn current(db: &impl ConnectionTrait) -> StoreResult<i64> {
    state_version::Entity::find_by_id(1)
        .one(db)
        .await?
        .map(|row| row.n)
        .ok_or_else(|| StoreError::corrupt("state version", "the version row is missing"))
}
