//! Snapshots (`s`, with the pool each saw in `sp`). Blocks, the transaction index and the
//! keystore only ever grow between resets, so a snapshot keeps just the tip and the last wallet
//! id; what a revert must put back of the chainstate comes from the undo data (`u`). Only the
//! pool, which changes in place, is copied.

use entity::{snapshot_pool, snapshots};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder,
};

use super::convert::{execute_numbered, now_millis, numbered, parse, to_i64, to_u64};
use super::error::StoreResult;
use super::{connect, pool};
use crate::chain::ChainTip;
use crate::model::Snapshot;

/// Longest name kept.
pub const MAX_NAME: usize = 100;

/// The pool's columns, in the same order in `p` and `sp`.
const POOL_COLUMNS: &str = r#""id", "txid", "from_address", "to_address", "amount", "tx", "error", "error_text", "created_at""#;

impl TryFrom<snapshots::Model> for Snapshot {
    type Error = super::StoreError;

    fn try_from(row: snapshots::Model) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            name: row.name,
            height: row.height.map(|h| to_u64("snapshots", h)).transpose()?,
            tip_hash: row
                .tip_hash
                .as_deref()
                .map(|h| parse("snapshots", h))
                .transpose()?,
            last_wallet: row.last_wallet,
            created_at: row.created_at,
        })
    }
}

/// The snapshot's row, reading the tip and the last wallet as it writes.
const INSERT_SNAPSHOT: &str = r#"INSERT INTO "s" ("name", "height", "tip_hash", "last_wallet", "created_at")
    SELECT $1, (SELECT "height" FROM "l" WHERE "id" = 1), (SELECT "hash" FROM "l" WHERE "id" = 1),
           COALESCE((SELECT MAX("id") FROM "w"), 0), $2"#;

/// A snapshot's columns, as `snapshots::Model` reads them.
const SNAPSHOT_COLUMNS: &str = r#""id", "name", "height", "tip_hash", "last_wallet", "created_at""#;

/// Takes a snapshot of the current state: the tip, the last wallet, a copy of the pool. On
/// PostgreSQL one statement, the pool copied in a `WITH` part (one network round trip); on SQLite
/// the insert, then the copy.
pub async fn take(db: &impl ConnectionTrait, name: Option<&str>) -> StoreResult<Snapshot> {
    let name: Option<String> = name.map(|n| n.chars().take(MAX_NAME).collect());
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    let insert = match postgres {
        true => format!(
            r#"WITH "new" AS ({INSERT_SNAPSHOT} RETURNING {SNAPSHOT_COLUMNS}),
            "copied" AS (INSERT INTO "sp" ("snapshot", {POOL_COLUMNS})
                SELECT (SELECT "id" FROM "new"), {POOL_COLUMNS} FROM "p")
            SELECT {SNAPSHOT_COLUMNS} FROM "new""#
        ),
        false => format!("{INSERT_SNAPSHOT} RETURNING {SNAPSHOT_COLUMNS}"),
    };
    let row = db
        .query_one_raw(numbered(db, &insert, [name.into(), now_millis().into()]))
        .await?
        .ok_or_else(|| super::StoreError::corrupt("snapshots", "the insert returned no row"))?;
    let snapshot: Snapshot = snapshots::Model::from_query_result(&row, "")?.try_into()?;
    if !postgres {
        let copy = format!(
            r#"INSERT INTO "sp" ("snapshot", {POOL_COLUMNS}) SELECT $1, {POOL_COLUMNS} FROM "p""#
        );
        execute_numbered(db, &copy, [snapshot.id.into()]).await?;
    }
    Ok(snapshot)
}

/// Every snapshot, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> StoreResult<Vec<Snapshot>> {
    snapshots::Entity::find()
        .order_by_asc(snapshots::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// The snapshot with this id.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> StoreResult<Option<Snapshot>> {
    snapshots::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// Deletes a snapshot and its pool copy; whether it existed.
pub async fn delete(db: &impl ConnectionTrait, id: i64) -> StoreResult<bool> {
    snapshot_pool::Entity::delete_many()
        .filter(snapshot_pool::Column::Snapshot.eq(id))
        .exec(db)
        .await?;
    let deleted = snapshots::Entity::delete_by_id(id)
        .exec_with_returning(db)
        .await?;
    Ok(deleted.is_some())
}

/// Puts the node back in the state `snapshot` recorded: blocks above its tip come off (see
/// [`connect::disconnect`]), the tip goes back, wallets created later go, the pool is its copy, and
/// snapshots taken later (whose blocks are gone) are deleted. The snapshot itself stays.
pub async fn revert(db: &impl ConnectionTrait, snapshot: &Snapshot) -> StoreResult<()> {
    let tip = match (snapshot.height, snapshot.tip_hash) {
        (Some(height), Some(hash)) => Some(ChainTip { hash, height }),
        _ => None,
    };
    connect::disconnect(db, tip.as_ref()).await?;
    let above = snapshot.height.map_or(Ok(-1), |h| to_i64("snapshots", h))?;
    // One round trip: only integers are written into the text.
    let (id, last_wallet) = (snapshot.id, snapshot.last_wallet);
    let script = format!(
        r#"DELETE FROM "sb" WHERE "height" > {above};
           DELETE FROM "w" WHERE "id" > {last_wallet};
           DELETE FROM "p";
           INSERT INTO "p" ({POOL_COLUMNS}) SELECT {POOL_COLUMNS} FROM "sp" WHERE "snapshot" = {id};
           DELETE FROM "sp" WHERE "snapshot" > {id};
           DELETE FROM "s" WHERE "id" > {id}"#
    );
    db.execute_unprepared(&script).await?;
    pool::rebuild_inputs(db).await?;
    Ok(())
}
