//! The premine: outputs a chain's genesis coinbase pays besides the reward. A dev chain's funded
//! accounts hold coins because the chain says so, and every node of the chain checks it: a
//! genesis block that pays other outputs belongs to another chain.

use std::sync::Arc;

use super::address::PubkeyHash;
use super::encoding::{DecodeError, Reader};
use super::transaction::TxOut;

/// Most outputs a premine may pay (the genesis block stays small).
pub const MAX_PREMINE_OUTPUTS: usize = 1000;
/// Bytes of one encoded output: value, pubkey hash.
const OUTPUT_BYTES: usize = 8 + 20;

/// The genesis coinbase's outputs after the miner's reward, in order. Empty on a chain without one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Premine(Arc<[TxOut]>);

/// A premine no chain can have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PremineError {
    /// More than [`MAX_PREMINE_OUTPUTS`].
    #[error("a premine pays at most {MAX_PREMINE_OUTPUTS} outputs, not {0}")]
    TooMany(usize),
    /// An output of 0 (a coinbase never pays one).
    #[error("premine output {0} pays 0")]
    ZeroValue(usize),
    /// The outputs sum past `u64::MAX`.
    #[error("the premine's outputs sum past the largest amount")]
    Overflow,
}

impl Premine {
    /// A premine paying `outputs`, checked.
    pub fn new(outputs: Vec<TxOut>) -> Result<Self, PremineError> {
        if outputs.len() > MAX_PREMINE_OUTPUTS {
            return Err(PremineError::TooMany(outputs.len()));
        }
        if let Some(index) = outputs.iter().position(|o| o.value == 0) {
            return Err(PremineError::ZeroValue(index));
        }
        let premine = Self(outputs.into());
        premine.total().ok_or(PremineError::Overflow)?;
        Ok(premine)
    }

    /// `value` to each of `owners`.
    pub fn equal(owners: &[PubkeyHash], value: u64) -> Result<Self, PremineError> {
        let outputs = owners
            .iter()
            .map(|&pubkey_hash| TxOut { value, pubkey_hash })
            .collect();
        Self::new(outputs)
    }

    /// The outputs, in the order the genesis coinbase pays them.
    pub fn outputs(&self) -> &[TxOut] {
        &self.0
    }

    /// Whether the chain has no premine.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The sum of the outputs (`None` past `u64::MAX`).
    pub fn total(&self) -> Option<u64> {
        self.0
            .iter()
            .try_fold(0u64, |sum, o| sum.checked_add(o.value))
    }

    /// The layout `docs/protocol.md` gives: a `u32` count, then each output as a transaction
    /// encodes it (value `u64`, pubkey hash 20 bytes), little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.0.len() * OUTPUT_BYTES);
        out.extend_from_slice(&(self.0.len() as u32).to_le_bytes());
        for output in self.0.iter() {
            out.extend_from_slice(&output.value.to_le_bytes());
            out.extend_from_slice(&output.pubkey_hash.0);
        }
        out
    }

    /// Reads [`Premine::encode`]'s layout from `r`, counts checked before allocating.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let count = r.count("premine output", OUTPUT_BYTES)?;
        let mut outputs = Vec::with_capacity(count);
        for _ in 0..count {
            let value = r.u64()?;
            let pubkey_hash = PubkeyHash(r.array()?);
            outputs.push(TxOut { value, pubkey_hash });
        }
        Self::new(outputs).map_err(|e| DecodeError::Invalid(e.to_string()))
    }

    /// Reads a whole premine.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let premine = Self::read(&mut r)?;
        r.finish()?;
        Ok(premine)
    }

    /// `10 outputs, 100000 units` (or `none`), as messages name it.
    pub fn describe(&self) -> String {
        match self.0.len() {
            0 => "no premine".to_owned(),
            n => format!(
                "premine of {n} outputs, {} units",
                self.total().unwrap_or(u64::MAX)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_and_refuses_what_new_refuses() {
        let premine = Premine::equal(&[PubkeyHash([1; 20]), PubkeyHash([2; 20])], 7).unwrap();
        assert_eq!(Premine::decode(&premine.encode()), Ok(premine.clone()));
        assert_eq!(premine.total(), Some(14));
        assert_eq!(
            Premine::decode(&Premine::default().encode()),
            Ok(Premine::default())
        );
        let zero = Premine(
            vec![TxOut {
                value: 0,
                pubkey_hash: PubkeyHash([1; 20]),
            }]
            .into(),
        );
        assert!(Premine::decode(&zero.encode()).is_err());
        let mut huge = 5000u32.to_le_bytes().to_vec();
        huge.extend([0; 10]);
        assert!(Premine::decode(&huge).is_err());
        assert_eq!(
            Premine::equal(&[PubkeyHash([1; 20]); 2], u64::MAX),
            Err(PremineError::Overflow)
        );
    }
}
