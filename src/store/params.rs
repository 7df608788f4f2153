//! The chain's parameters (`cp`): one row, written when the chain is new.

use entity::chain_params;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::error::{StoreError, StoreResult};
use crate::chain::{Params, Premine};

/// The stored parameters, if the chain has recorded them. Fields that are not consensus
/// rules (`default_txs_per_block`) come from `defaults`. A chain recorded before premines
/// existed has none.
pub async fn get(db: &impl ConnectionTrait, defaults: &Params) -> StoreResult<Option<Params>> {
    let Some(row) = chain_params::Entity::find_by_id(1).one(db).await? else {
        return Ok(None);
    };
    let corrupt = |detail: &str| StoreError::corrupt("chain parameters", detail.to_owned());
    Ok(Some(Params {
        difficulty_bits: u32::try_from(row.difficulty_bits)
            .map_err(|_| corrupt("negative difficulty"))?,
        block_reward: row.block_reward as u64,
        max_block_txs: usize::try_from(row.max_block_txs)
            .map_err(|_| corrupt("negative block size"))?,
        premine: match &row.premine {
            Some(bytes) => Premine::decode(bytes).map_err(|e| corrupt(&e.to_string()))?,
            None => Premine::default(),
        },
        ..defaults.clone()
    }))
}

/// Records `params` as the chain's.
pub async fn set(db: &impl ConnectionTrait, params: &Params) -> StoreResult<()> {
    let row = chain_params::ActiveModel {
        id: Set(1),
        difficulty_bits: Set(i32::try_from(params.difficulty_bits).unwrap_or(i32::MAX)),
        // Bit-cast, as nonces are: the row gives back exactly the `u64` written.
        block_reward: Set(params.block_reward as i64),
        max_block_txs: Set(i32::try_from(params.max_block_txs).unwrap_or(i32::MAX)),
        premine: Set(Some(params.premine.encode())),
    };
    chain_params::Entity::insert(row)
        .on_conflict(
            OnConflict::column(chain_params::Column::Id)
                .update_columns([
                    chain_params::Column::DifficultyBits,
                    chain_params::Column::BlockReward,
                    chain_params::Column::MaxBlockTxs,
                    chain_params::Column::Premine,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
