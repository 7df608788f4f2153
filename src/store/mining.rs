//! The mining settings (`m`): one row, absent until first set.

use entity::mining;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::convert::parse;
use super::error::{StoreError, StoreResult};
use crate::model::{MiningMode, MiningSettings};

/// The stored settings, if any were ever set.
pub async fn get(db: &impl ConnectionTrait) -> StoreResult<Option<MiningSettings>> {
    let Some(row) = mining::Entity::find_by_id(1).one(db).await? else {
        return Ok(None);
    };
    let corrupt = |detail: &str| StoreError::corrupt("mining", detail.to_owned());
    Ok(Some(MiningSettings {
        mode: MiningMode::parse(&row.mode).ok_or_else(|| corrupt("unknown mode"))?,
        interval_seconds: row
            .interval_seconds
            .map(|s| u32::try_from(s).map_err(|_| corrupt("interval out of range")))
            .transpose()?,
        address: row
            .address
            .as_deref()
            .map(|a| parse("mining", a))
            .transpose()?,
        tx_count: u32::try_from(row.tx_count).map_err(|_| corrupt("negative tx count"))?,
    }))
}

/// Stores the settings.
pub async fn set(db: &impl ConnectionTrait, settings: &MiningSettings) -> StoreResult<()> {
    let row = mining::ActiveModel {
        id: Set(1),
        mode: Set(settings.mode.as_str().to_owned()),
        interval_seconds: Set(settings.interval_seconds.map(i64::from)),
        address: Set(settings.address.map(|a| a.to_string())),
        tx_count: Set(i32::try_from(settings.tx_count).unwrap_or(i32::MAX)),
    };
    mining::Entity::insert(row)
        .on_conflict(
            OnConflict::column(mining::Column::Id)
                .update_columns([
                    mining::Column::Mode,
                    mining::Column::IntervalSeconds,
                    mining::Column::Address,
                    mining::Column::TxCount,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}
