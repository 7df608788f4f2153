//! Chain parameters: the few numbers every node of one chain must agree on.

use thiserror::Error;

use super::premine::Premine;

/// The most leading zero bits a chain may demand. Past this a block could never be found.
pub const MAX_DIFFICULTY_BITS: u32 = 64;

/// Reward, difficulty, block size and premine, in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Units paid to the miner of each block (the reference's 10 "sign units").
    pub block_reward: u64,
    /// Leading zero bits a block hash needs (the reference's 12).
    pub difficulty_bits: u32,
    /// Pending transactions taken into a block when the caller does not say.
    pub default_txs_per_block: usize,
    /// The most transactions (coinbase included) one block may hold.
    pub max_block_txs: usize,
    /// What the genesis coinbase pays besides the reward (a dev chain's funded accounts).
    pub premine: Premine,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            block_reward: 10,
            difficulty_bits: 12,
            default_txs_per_block: 5,
            max_block_txs: 10_000,
            premine: Premine::default(),
        }
    }
}

/// A parameter set no chain can run with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamsError {
    /// The reward must be at least one unit, or no value could ever exist.
    #[error("block reward must be at least 1")]
    ZeroReward,
    /// Difficulty above [`MAX_DIFFICULTY_BITS`].
    #[error("difficulty must be at most {MAX_DIFFICULTY_BITS} bits, got {0}")]
    DifficultyTooHigh(u32),
    /// A block must fit at least its coinbase and one transaction.
    #[error("max_block_txs must be at least 2, got {0}")]
    BlockTooSmall(usize),
    /// The genesis coinbase could not state its value.
    #[error("the premine and the reward sum past the largest amount")]
    PremineOverflow,
}

impl Params {
    /// Checks the set is usable.
    pub fn validate(&self) -> Result<(), ParamsError> {
        if self.block_reward == 0 {
            return Err(ParamsError::ZeroReward);
        }
        if self.difficulty_bits > MAX_DIFFICULTY_BITS {
            return Err(ParamsError::DifficultyTooHigh(self.difficulty_bits));
        }
        if self.max_block_txs < 2 {
            return Err(ParamsError::BlockTooSmall(self.max_block_txs));
        }
        self.premine
            .total()
            .and_then(|total| total.checked_add(self.block_reward))
            .ok_or(ParamsError::PremineOverflow)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_reference_values() {
        let p = Params::default();
        assert_eq!(
            (p.block_reward, p.difficulty_bits, p.default_txs_per_block),
            (10, 12, 5)
        );
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn unusable_sets_are_refused() {
        let p = Params {
            block_reward: 0,
            ..Params::default()
        };
        assert_eq!(p.validate(), Err(ParamsError::ZeroReward));
        let p = Params {
            difficulty_bits: 65,
            ..Params::default()
        };
        assert_eq!(p.validate(), Err(ParamsError::DifficultyTooHigh(65)));
        let p = Params {
            max_block_txs: 1,
            ..Params::default()
        };
        assert_eq!(p.validate(), Err(ParamsError::BlockTooSmall(1)));
    }
}
