//! The mining settings (`m`): one row, absent until first set; it also holds the dev clock.

use entity::mining;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement,
};

use super::convert::{parse, to_i64, to_u64};
use super::error::{StoreError, StoreResult};
use crate::chain::ChainTip;
use crate::model::{DevClock, MiningMode, MiningSettings};

/// The stored settings and dev clock, if the row was ever written.
pub async fn get(db: &impl ConnectionTrait) -> StoreResult<Option<(MiningSettings, DevClock)>> {
    mining::Entity::find_by_id(1)
        .one(db)
        .await?
        .map(decode)
        .transpose()
}

/// What a batch of sends reads first, to know whether it mines and how.
#[derive(Debug, Clone, Copy)]
pub struct BatchStart {
    /// The settings.
    pub settings: MiningSettings,
    /// The dev clock.
    pub clock: DevClock,
    /// Whether the pool has a pending entry.
    pub pending: bool,
    /// The tip (sends do not move it).
    pub tip: Option<ChainTip>,
}

/// [`BatchStart`] in one statement; `None` while the settings were never stored (MANUAL mining).
pub async fn batch_start(db: &impl ConnectionTrait) -> StoreResult<Option<BatchStart>> {
    let backend = db.get_database_backend();
    // Columns read by position: a sea-orm row finds a column by name with a search.
    let sql = r#"SELECT "m"."mode", "m"."interval_seconds", "m"."address", "m"."tx_count",
        "m"."time_offset", "m"."next_timestamp", "l"."hash", "l"."height",
        CAST(CASE WHEN EXISTS (SELECT 1 FROM "p" WHERE "p"."error" = FALSE) THEN 1 ELSE 0 END
        AS BIGINT)
        FROM "m" LEFT JOIN "l" ON "l"."id" = 1 WHERE "m"."id" = 1"#;
    let Some(row) = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
    else {
        return Ok(None);
    };
    let (settings, clock) = decode(mining::Model {
        id: 1,
        mode: row.try_get_by_index(0)?,
        interval_seconds: row.try_get_by_index(1)?,
        address: row.try_get_by_index(2)?,
        tx_count: row.try_get_by_index(3)?,
        time_offset: row.try_get_by_index(4)?,
        next_timestamp: row.try_get_by_index(5)?,
    })?;
    let hash: Option<String> = row.try_get_by_index(6)?;
    let height: Option<i64> = row.try_get_by_index(7)?;
    let pending: i64 = row.try_get_by_index(8)?;
    let tip = match (hash, height) {
        (Some(hash), Some(height)) => Some(ChainTip {
            hash: parse("tip", &hash)?,
            height: to_u64("tip", height)?,
        }),
        _ => None,
    };
    Ok(Some(BatchStart {
        settings,
        clock,
        pending: pending != 0,
        tip,
    }))
}

fn decode(row: mining::Model) -> StoreResult<(MiningSettings, DevClock)> {
    let corrupt = |detail: &str| StoreError::corrupt("mining", detail.to_owned());
    let settings = MiningSettings {
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
    };
    let clock = DevClock {
        offset_seconds: row.time_offset,
        next_timestamp: row
            .next_timestamp
            .map(|t| to_u64("mining", t))
            .transpose()?,
    };
    Ok((settings, clock))
}

/// Stores the settings.
pub async fn set(db: &impl ConnectionTrait, settings: &MiningSettings) -> StoreResult<()> {
    let row = mining::ActiveModel {
        id: Set(1),
        mode: Set(settings.mode.as_str().to_owned()),
        interval_seconds: Set(settings.interval_seconds.map(i64::from)),
        address: Set(settings.address.map(|a| a.to_string())),
        tx_count: Set(i32::try_from(settings.tx_count).unwrap_or(i32::MAX)),
        // A new row starts with the clock's defaults; an existing one keeps its clock.
        time_offset: NotSet,
        next_timestamp: NotSet,
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
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The dev clock (the defaults while no row exists).
pub async fn clock(db: &impl ConnectionTrait) -> StoreResult<DevClock> {
    Ok(get(db).await?.map(|(_, clock)| clock).unwrap_or_default())
}

/// Stores the dev clock; the row must exist (store the settings first).
pub async fn set_clock(db: &impl ConnectionTrait, clock: &DevClock) -> StoreResult<()> {
    let next = clock
        .next_timestamp
        .map(|t| to_i64("mining", t))
        .transpose()?;
    mining::Entity::update_many()
        .col_expr(mining::Column::TimeOffset, clock.offset_seconds.into())
        .col_expr(mining::Column::NextTimestamp, next.into())
        .filter(mining::Column::Id.eq(1))
        .exec(db)
        .await?;
    Ok(())
}
