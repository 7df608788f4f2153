//! An address's totals (balance, value spent, transactions) in one statement: an explorer's
//! address page asks for all three at once, and each is one indexed read.

use sea_orm::ConnectionTrait;

use super::convert::{numbered, to_u64};
use super::error::StoreResult;
use crate::chain::Address;

const TOTALS: &str = r#"SELECT
    COALESCE((SELECT "balance" FROM "ab" WHERE "address" = $1), 0),
    COALESCE((SELECT "spent" FROM "ab" WHERE "address" = $1), 0),
    (SELECT COUNT(*) FROM "t" WHERE "address" = $1)"#;

/// `address`'s balance and the value of its outputs blocks have spent (both `ab`), and the number
/// of mined transactions that touched it (`t`).
pub async fn of(db: &impl ConnectionTrait, address: &Address) -> StoreResult<(u64, u64, u64)> {
    let row = db
        .query_one_raw(numbered(db, TOTALS, [address.to_string().into()]))
        .await?;
    let Some(row) = row else {
        return Ok((0, 0, 0));
    };
    Ok((
        to_u64("ab", row.try_get_by_index(0)?)?,
        to_u64("ab", row.try_get_by_index(1)?)?,
        to_u64("t", row.try_get_by_index(2)?)?,
    ))
}
