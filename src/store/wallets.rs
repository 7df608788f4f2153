//! The keystore (`w`): wallets the node signs for, their secret keys sealed by the node.

use entity::wallets;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::convert::{now_millis, parse};
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
        let mut public_key = [0u8; 33];
        hex::decode_to_slice(&row.public_key, &mut public_key)
            .map_err(|e| StoreError::corrupt("wallets", e.to_string()))?;
        let address: Address = parse("wallets", &row.address)?;
        if Address::from(PubkeyHash(hash160(&public_key))) != address {
            return Err(StoreError::corrupt(
                "wallets",
                format!("{address} does not match its public key"),
            ));
        }
        Ok(Self {
            wallet: Wallet {
                id: row.id,
                address,
                public_key,
                created_at: row.created_at,
            },
            sealed: SealedKey {
                nonce: row.secret_nonce,
                ciphertext: row.secret_ciphertext,
            },
        })
    }
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
    wallets::Entity::find()
        .filter(wallets::Column::Address.eq(address.to_string()))
        .one(db)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// Wallets in creation order after id `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    after: Option<i64>,
    limit: u64,
) -> StoreResult<Vec<Wallet>> {
    let mut query = wallets::Entity::find()
        .order_by_asc(wallets::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(wallets::Column::Id.gt(after));
    }
    query
        .all(db)
        .await?
        .into_iter()
        .map(|row| StoredWallet::try_from(row).map(|stored| stored.wallet))
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
