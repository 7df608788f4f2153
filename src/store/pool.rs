//! The pool (`p`): pending transactions, oldest first, and a bounded log of rejected sends; and
//! `pi`, the outputs the pending transactions spend, which every change to `p` keeps in step.

use entity::pool;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use super::convert::{execute_numbered, now_millis, padded_parameters, parse, to_i64, to_u64};
use super::error::{StoreError, StoreResult};
use crate::chain::{Address, Transaction, Txid};
use crate::model::{PendingTx, PoolEntry, RefusedSend};

use super::pool_inputs::{delete_inputs, insert_inputs};
pub use super::pool_inputs::{inputs_missing, rebuild_inputs, spenders};
pub use super::pool_outputs::{
    UNMINED, children, pending_by_txids, pending_outputs, unconfirmed_coins,
};

/// Longest `from`/`to` text kept from a rejected send: hostile input cannot grow rows.
pub const MAX_REJECTED_FIELD: usize = 64;
/// Longest error text kept.
pub const MAX_ERROR_TEXT: usize = 300;

/// A pending entry as the miner takes it: the entry, and the signed transaction to include.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTx {
    /// The entry.
    pub entry: PendingTx,
    /// The signed transaction.
    pub tx: Transaction,
}

impl TryFrom<pool::Model> for PoolEntry {
    type Error = StoreError;

    fn try_from(row: pool::Model) -> StoreResult<Self> {
        if row.error {
            return Ok(PoolEntry::Refused(RefusedSend {
                id: row.id,
                from: row.from_address,
                to: row.to_address,
                amount: row.amount,
                error: row.error_text.unwrap_or_default(),
                created_at: row.created_at,
            }));
        }
        Ok(PoolEntry::Pending(PooledTx::try_from(row)?.entry))
    }
}

impl TryFrom<pool::Model> for PooledTx {
    type Error = StoreError;

    fn try_from(row: pool::Model) -> StoreResult<Self> {
        let corrupt =
            |detail: &str| StoreError::corrupt("pool", format!("entry {}: {detail}", row.id));
        if row.error {
            return Err(corrupt("refused, not pending"));
        }
        let tx = Transaction::decode(row.tx.as_deref().ok_or_else(|| corrupt("no transaction"))?)
            .map_err(|e| corrupt(&e.to_string()))?;
        let txid: Txid = parse(
            "pool",
            row.txid.as_deref().ok_or_else(|| corrupt("no txid"))?,
        )?;
        if tx.txid() != txid {
            return Err(corrupt("its transaction has another id"));
        }
        let entry = PendingTx {
            id: row.id,
            txid,
            from: parse("pool", &row.from_address)?,
            to: parse("pool", &row.to_address)?,
            amount: to_u64("pool", row.amount)?,
            created_at: row.created_at,
        };
        Ok(Self { entry, tx })
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Adds a signed transaction to the pool.
pub async fn insert_pending(
    db: &impl ConnectionTrait,
    tx: &Transaction,
    from: &Address,
    to: &Address,
    amount: u64,
) -> StoreResult<PendingTx> {
    let row = pool::ActiveModel {
        id: NotSet,
        txid: Set(Some(tx.txid().to_string())),
        from_address: Set(from.to_string()),
        to_address: Set(to.to_string()),
        amount: Set(to_i64("pool", amount)?),
        tx: Set(Some(tx.encode())),
        error: Set(false),
        error_text: Set(None),
        created_at: Set(now_millis()),
    };
    let pooled: PooledTx = pool::Entity::insert(row)
        .exec_with_returning(db)
        .await?
        .try_into()?;
    insert_inputs(db, &pooled).await?;
    Ok(pooled.entry)
}

/// The entry of a transaction that arrives and is mined in the same commit (AUTO mining, nothing
/// else pending): it never rests in the pool, so none of its rows are written, but its id comes
/// from the pool's own sequence and keeps arrival order with the entries that do.
pub async fn reserve_pending(
    db: &impl ConnectionTrait,
    tx: &Transaction,
    from: &Address,
    to: &Address,
    amount: u64,
) -> StoreResult<PendingTx> {
    Ok(PendingTx {
        id: next_id(db).await?,
        txid: tx.txid(),
        from: *from,
        to: *to,
        amount,
        created_at: now_millis(),
    })
}

/// The id the pool's next row would take, taken: PostgreSQL's sequence for `p.id`, or SQLite's
/// `AUTOINCREMENT` counter (which has no row before the pool's first entry).
async fn next_id(db: &impl ConnectionTrait) -> StoreResult<i64> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "SELECT nextval(pg_get_serial_sequence('p', 'id'))",
        _ => "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'p' RETURNING seq",
    };
    if let Some(row) = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
    {
        return Ok(row.try_get_by_index(0)?);
    }
    db.execute_unprepared("INSERT INTO sqlite_sequence (name, seq) VALUES ('p', 1)")
        .await?;
    Ok(1)
}

/// Records a rejected send, truncating its fields, and drops the oldest rejections past `cap`.
pub async fn insert_rejected(
    db: &impl ConnectionTrait,
    from: &str,
    to: &str,
    amount: i64,
    error: &str,
    cap: u64,
) -> StoreResult<RefusedSend> {
    let row = pool::ActiveModel {
        id: NotSet,
        txid: Set(None),
        from_address: Set(truncate(from, MAX_REJECTED_FIELD)),
        to_address: Set(truncate(to, MAX_REJECTED_FIELD)),
        amount: Set(amount),
        tx: Set(None),
        error: Set(true),
        error_text: Set(Some(truncate(error, MAX_ERROR_TEXT))),
        created_at: Set(now_millis()),
    };
    let row = pool::Entity::insert(row).exec_with_returning(db).await?;
    trim_rejected(db, cap).await?;
    match PoolEntry::try_from(row)? {
        PoolEntry::Refused(send) => Ok(send),
        PoolEntry::Pending(tx) => Err(StoreError::corrupt(
            "pool",
            format!("refusal {} read back as pending", tx.id),
        )),
    }
}

/// Keeps only the newest `cap` rejections.
async fn trim_rejected(db: &impl ConnectionTrait, cap: u64) -> StoreResult<()> {
    let oldest_kept = pool::Entity::find()
        .filter(pool::Column::Error.eq(true))
        .order_by_desc(pool::Column::Id)
        .offset(cap.saturating_sub(1))
        .one(db)
        .await?;
    if let Some(kept) = oldest_kept {
        pool::Entity::delete_many()
            .filter(pool::Column::Error.eq(true))
            .filter(pool::Column::Id.lt(kept.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Marks a pending entry rejected (it failed its re-check at mining time), unlocking its sender.
pub async fn reject(db: &impl ConnectionTrait, id: i64, error: &str) -> StoreResult<()> {
    pool::Entity::update_many()
        .col_expr(pool::Column::Error, true.into())
        .col_expr(
            pool::Column::ErrorText,
            Some(truncate(error, MAX_ERROR_TEXT)).into(),
        )
        .filter(pool::Column::Id.eq(id))
        .exec(db)
        .await?;
    delete_inputs(db, &[id]).await
}

/// The sender's oldest pending entry, if it has one (under the reference's pool policy, it is
/// locked until that is mined).
pub async fn pending_from(
    db: &impl ConnectionTrait,
    from: &Address,
) -> StoreResult<Option<PendingTx>> {
    let row = pool::Entity::find()
        .filter(pool::Column::FromAddress.eq(from.to_string()))
        .filter(pool::Column::Error.eq(false))
        .order_by_asc(pool::Column::Id)
        .one(db)
        .await?;
    Ok(row.map(PooledTx::try_from).transpose()?.map(|p| p.entry))
}

/// Pending entries paying or spending from `address`, in arrival order.
pub async fn pending_touching(
    db: &impl ConnectionTrait,
    address: &Address,
    limit: u64,
) -> StoreResult<Vec<PendingTx>> {
    let text = address.to_string();
    pool::Entity::find()
        .filter(pool::Column::Error.eq(false))
        .filter(
            sea_orm::Condition::any()
                .add(pool::Column::FromAddress.eq(text.clone()))
                .add(pool::Column::ToAddress.eq(text)),
        )
        .order_by_asc(pool::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| Ok(PooledTx::try_from(row)?.entry))
        .collect()
}

/// The pending entry of transaction `txid`, with its place in the queue (1: mined next).
pub async fn pending_by_txid(
    db: &impl ConnectionTrait,
    txid: &Txid,
) -> StoreResult<Option<(PendingTx, u64)>> {
    let Some(row) = pool::Entity::find()
        .filter(pool::Column::Txid.eq(txid.to_string()))
        .filter(pool::Column::Error.eq(false))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let entry = PooledTx::try_from(row)?.entry;
    let ahead = pool::Entity::find()
        .filter(pool::Column::Error.eq(false))
        .filter(pool::Column::Id.lt(entry.id))
        .count(db)
        .await?;
    Ok(Some((entry, ahead + 1)))
}

/// The oldest `limit` pending entries, with their transactions, for the miner.
pub async fn oldest_pending(db: &impl ConnectionTrait, limit: u64) -> StoreResult<Vec<PooledTx>> {
    in_arrival_order(db, false, None, limit).await
}

/// Ids per statement when mined entries are removed.
const REMOVE_BATCH: usize = 256;

/// Removes mined entries with their `pi` rows, in two prepared statements per batch.
pub async fn remove(db: &impl ConnectionTrait, ids: &[i64]) -> StoreResult<()> {
    for chunk in ids.chunks(REMOVE_BATCH) {
        let mut ids = chunk.to_vec();
        let list = padded_parameters(&mut ids);
        for table in [r#""p" WHERE "id""#, r#""pi" WHERE "pool_id""#] {
            execute_numbered(
                db,
                &format!("DELETE FROM {table} IN ({list})"),
                ids.iter().map(|&id| id.into()),
            )
            .await?;
        }
    }
    Ok(())
}

/// A page in arrival order after id `after`; rejected entries only when asked.
pub async fn page(
    db: &impl ConnectionTrait,
    include_rejected: bool,
    after: Option<i64>,
    limit: u64,
) -> StoreResult<Vec<PoolEntry>> {
    in_arrival_order(db, include_rejected, after, limit).await
}

/// Rows in arrival order after id `after`, read as `T` (an entry, or a pending one with its
/// transaction); rejected rows only when asked.
pub(super) async fn in_arrival_order<T: TryFrom<pool::Model, Error = StoreError>>(
    db: &impl ConnectionTrait,
    include_rejected: bool,
    after: Option<i64>,
    limit: u64,
) -> StoreResult<Vec<T>> {
    let mut query = pool::Entity::find()
        .order_by_asc(pool::Column::Id)
        .limit(limit);
    if !include_rejected {
        query = query.filter(pool::Column::Error.eq(false));
    }
    if let Some(after) = after {
        query = query.filter(pool::Column::Id.gt(after));
    }
    query
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// The newest entry's id (ids only grow, also across resets on PostgreSQL).
pub async fn last_id(db: &impl ConnectionTrait) -> StoreResult<Option<i64>> {
    Ok(pool::Entity::find()
        .order_by_desc(pool::Column::Id)
        .one(db)
        .await?
        .map(|row| row.id))
}

/// Number of entries; rejected ones only when asked.
pub async fn count(db: &impl ConnectionTrait, include_rejected: bool) -> StoreResult<u64> {
    let mut query = pool::Entity::find();
    if !include_rejected {
        query = query.filter(pool::Column::Error.eq(false));
    }
    Ok(query.count(db).await?)
}

/// The pending transaction `txid`, signatures included.
pub async fn pending_tx(
    db: &impl ConnectionTrait,
    txid: &Txid,
) -> StoreResult<Option<Transaction>> {
    let row = pool::Entity::find()
        .filter(pool::Column::Txid.eq(txid.to_string()))
        .filter(pool::Column::Error.eq(false))
        .one(db)
        .await?;
    Ok(row.map(PooledTx::try_from).transpose()?.map(|p| p.tx))
}
