//! The keystore (`w`): wallets the node signs for, their secret keys sealed by the node.

use entity::wallets;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::convert::{now_millis, numbered, parse, to_u64};
use super::error::{StoreError, StoreResult};
use crate::chain::hash::hash160;
use crate::chain::{Address, PubkeyHash, PublicKey};
use crate::model::Wallet;

/// A secret key encrypted at rest: an AEAD nonce and ciphertext (with tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedKey {
    /// The AEAD nonce.
    pub nonce: Vec<u8>,
    /// Encrypted key and tag.
    pub ciphertext: Vec<u8>,
}

/// A keystore wallet with its sealed secret key; only the node opens it, to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWallet {
    /// The wallet.
    pub wallet: Wallet,
    /// Its sealed secret key.
    pub sealed: SealedKey,
}

impl TryFrom<wallets::Model> for StoredWallet {
    type Error = StoreError;

    fn try_from(row: wallets::Model) -> StoreResult<Self> {
        Ok(Self {
            wallet: wallet_of(row.id, &row.address, &row.public_key, row.created_at)?,
            sealed: SealedKey {
                nonce: row.secret_nonce,
                ciphertext: row.secret_ciphertext,
            },
        })
    }
}

/// A wallet from its row's columns, checking that the stored address is its public key's (for
/// the rows the node signs with, exports, and `verify` reads).
fn wallet_of(id: i64, address: &str, public_key: &str, created_at: i64) -> StoreResult<Wallet> {
    let wallet = listed(id, public_key, created_at)?;
    let stored: Address = parse("wallets", address)?;
    if stored != wallet.address {
        return Err(StoreError::corrupt(
            "wallets",
            format!("{stored} does not match its public key"),
        ));
    }
    Ok(wallet)
}

/// A wallet as a listing shows it, its address derived from its public key (the stored text is
/// not parsed: that check is `wallet_of`'s, run by `verify`).
fn listed(id: i64, public_key: &str, created_at: i64) -> StoreResult<Wallet> {
    let mut key = [0u8; 33];
    hex::decode_to_slice(public_key, &mut key)
        .map_err(|e| StoreError::corrupt("wallets", e.to_string()))?;
    Ok(Wallet {
        id,
        address: Address::from(PubkeyHash(hash160(&key))),
        public_key: key,
        created_at,
    })
}

/// Adds a wallet.
pub async fn insert(
    db: &impl ConnectionTrait,
    public_key: &PublicKey,
    sealed: SealedKey,
) -> StoreResult<Wallet> {
    insert_at(db, public_key, sealed, now_millis()).await
}

/// Adds a wallet created at `created_at` (Unix milliseconds; an import keeps the original time).
pub async fn insert_at(
    db: &impl ConnectionTrait,
    public_key: &PublicKey,
    sealed: SealedKey,
    created_at: i64,
) -> StoreResult<Wallet> {
    let row = wallets::ActiveModel {
        id: NotSet,
        address: Set(public_key.address().to_string()),
        public_key: Set(public_key.to_string()),
        secret_nonce: Set(sealed.nonce),
        secret_ciphertext: Set(sealed.ciphertext),
        created_at: Set(created_at),
    };
    let stored: StoredWallet = wallets::Entity::insert(row)
        .exec_with_returning(db)
        .await?
        .try_into()?;
    Ok(stored.wallet)
}

/// The wallet with this address.
pub async fn get(
    db: &impl ConnectionTrait,
    address: &Address,
) -> StoreResult<Option<StoredWallet>> {
    const BY_ADDRESS: &str = r#"SELECT "id", "address", "public_key", "secret_nonce",
        "secret_ciphertext", "created_at" FROM "w" WHERE "address" = $1"#;
    wallets::Model::find_by_statement(numbered(db, BY_ADDRESS, [address.to_string().into()]))
        .one(db)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// A wallet row without its secret, and the balance of its address.
#[derive(FromQueryResult)]
struct WalletBalanceRow {
    id: i64,
    public_key: String,
    created_at: i64,
    balance: i64,
}

/// The balance of the row's address: one primary-key lookup in `ab`.
const BALANCE_OF_ROW: &str =
    r#"COALESCE((SELECT "ab"."balance" FROM "ab" WHERE "ab"."address" = "w"."address"), 0)"#;

/// A page of wallets in creation order after id `after`, each with its balance, in one statement
/// that reads no secrets.
pub async fn page_with_balances(
    db: &impl ConnectionTrait,
    after: Option<i64>,
    limit: u64,
) -> StoreResult<Vec<(Wallet, u64)>> {
    let mut query = wallets::Entity::find()
        .select_only()
        .columns([
            wallets::Column::Id,
            wallets::Column::PublicKey,
            wallets::Column::CreatedAt,
        ])
        .column_as(Expr::cust(BALANCE_OF_ROW), "balance")
        .order_by_asc(wallets::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(wallets::Column::Id.gt(after));
    }
    query
        .into_model::<WalletBalanceRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let wallet = listed(row.id, &row.public_key, row.created_at)?;
            Ok((wallet, to_u64("wallets", row.balance)?))
        })
        .collect()
}

/// Every wallet with its sealed key, in creation order (an export).
pub async fn all_sealed(db: &impl ConnectionTrait) -> StoreResult<Vec<StoredWallet>> {
    wallets::Entity::find()
        .order_by_asc(wallets::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// Number of wallets.
pub async fn count(db: &impl ConnectionTrait) -> StoreResult<u64> {
    Ok(wallets::Entity::find().count(db).await?)
}
