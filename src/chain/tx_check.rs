//! When a regular (non-coinbase) transaction is valid: its shape, the outputs it spends, the
//! value it conserves, and its signatures. Blocks apply the same rules to each transaction after
//! the first (see [`super::validation`]); the pool applies them to each transaction on its own.

use std::collections::HashSet;

use k256::ecdsa::Signature;
use thiserror::Error;

use super::address::PubkeyHash;
use super::hash::{Txid, hash160};
use super::keys::PublicKey;
use super::sig_cache;
use super::transaction::{OutPoint, Transaction, Witness};
use super::utxo::{Utxo, UtxoView};

/// Why a (non-coinbase) transaction is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TxError {
    /// Version other than the one this code knows.
    #[error("unknown transaction version {0}")]
    UnknownVersion(u32),
    /// Spends nothing.
    #[error("transaction has no inputs")]
    NoInputs,
    /// Creates nothing.
    #[error("transaction has no outputs")]
    NoOutputs,
    /// An output of value 0.
    #[error("output {index} has value 0")]
    ZeroValueOutput {
        /// The output's index.
        index: usize,
    },
    /// A coinbase-shaped input outside a block's first transaction.
    #[error("input {input} is a coinbase input in a regular transaction")]
    UnexpectedCoinbase {
        /// The input's index.
        input: usize,
    },
    /// Spends an output that does not exist or is already spent.
    #[error("input {input} spends {outpoint}, which is not an unspent output")]
    MissingOutput {
        /// The input's index.
        input: usize,
        /// What it tried to spend.
        outpoint: OutPoint,
    },
    /// Spends an output another input (of this or an earlier transaction in the block) spends.
    #[error("input {input} spends {outpoint} a second time")]
    DoubleSpend {
        /// The input's index.
        input: usize,
        /// The output spent twice.
        outpoint: OutPoint,
    },
    /// No signature.
    #[error("input {input} is not signed")]
    Unsigned {
        /// The input's index.
        input: usize,
    },
    /// The public key does not hash to the spent output's pubkey hash.
    #[error("input {input} is signed by a key that does not own {outpoint}")]
    WrongKey {
        /// The input's index.
        input: usize,
        /// The output it spends.
        outpoint: OutPoint,
    },
    /// The public key's bytes are not a point on the curve.
    #[error("input {input} carries an invalid public key")]
    InvalidPublicKey {
        /// The input's index.
        input: usize,
    },
    /// The signature does not verify (or is high-S, or not a valid scalar pair).
    #[error("input {input} has an invalid signature")]
    BadSignature {
        /// The input's index.
        input: usize,
    },
    /// A sum of values does not fit in 64 bits.
    #[error("value overflow")]
    ValueOverflow,
    /// Creates more than it spends.
    #[error("outputs total {outputs} but inputs only {inputs}")]
    InsufficientInputs {
        /// Sum of spent values.
        inputs: u64,
        /// Sum of output values.
        outputs: u64,
    },
}

impl TxError {
    /// The failed check's stable name, as the API reports it (`extensions.check`).
    pub fn check(&self) -> &'static str {
        match self {
            Self::UnknownVersion(_) => "VERSION",
            Self::NoInputs => "NO_INPUTS",
            Self::NoOutputs => "NO_OUTPUTS",
            Self::ZeroValueOutput { .. } => "ZERO_VALUE_OUTPUT",
            Self::UnexpectedCoinbase { .. } => "COINBASE",
            Self::MissingOutput { .. } => "INPUT_NOT_UNSPENT",
            Self::DoubleSpend { .. } => "DUPLICATE_INPUT",
            Self::Unsigned { .. } => "UNSIGNED",
            Self::WrongKey { .. } => "WRONG_KEY",
            Self::InvalidPublicKey { .. } => "INVALID_PUBLIC_KEY",
            Self::BadSignature { .. } => "BAD_SIGNATURE",
            Self::ValueOverflow => "VALUE_OVERFLOW",
            Self::InsufficientInputs { .. } => "VALUE_NOT_CONSERVED",
        }
    }

    /// The input the failure is about, when it is about one.
    pub fn input(&self) -> Option<usize> {
        match self {
            Self::UnexpectedCoinbase { input }
            | Self::MissingOutput { input, .. }
            | Self::DoubleSpend { input, .. }
            | Self::Unsigned { input }
            | Self::WrongKey { input, .. }
            | Self::InvalidPublicKey { input }
            | Self::BadSignature { input } => Some(*input),
            _ => None,
        }
    }
}

/// What a valid transaction spends and leaves as fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxCheck {
    /// The outputs spent, in input order.
    pub spent: Vec<Utxo>,
    /// Inputs minus outputs (burned: the coinbase may not claim it).
    pub fee: u64,
}

/// Resolves inputs through `lookup`, checks shape and value; signatures are left to
/// [`verify_signatures`].
pub(super) fn resolve<F>(tx: &Transaction, mut lookup: F) -> Result<TxCheck, TxError>
where
    F: FnMut(usize, &OutPoint) -> Result<Utxo, TxError>,
{
    if tx.version != super::transaction::TX_VERSION {
        return Err(TxError::UnknownVersion(tx.version));
    }
    if tx.inputs.is_empty() {
        return Err(TxError::NoInputs);
    }
    if tx.outputs.is_empty() {
        return Err(TxError::NoOutputs);
    }
    if let Some(index) = tx.outputs.iter().position(|o| o.value == 0) {
        return Err(TxError::ZeroValueOutput { index });
    }
    let outputs = tx.output_value().ok_or(TxError::ValueOverflow)?;
    let mut spent = Vec::with_capacity(tx.inputs.len());
    let mut inputs = 0u64;
    for (index, input) in tx.inputs.iter().enumerate() {
        if input.previous_output.is_null() || matches!(input.witness, Witness::Coinbase { .. }) {
            return Err(TxError::UnexpectedCoinbase { input: index });
        }
        let utxo = lookup(index, &input.previous_output)?;
        inputs = inputs
            .checked_add(utxo.output.value)
            .ok_or(TxError::ValueOverflow)?;
        spent.push(utxo);
    }
    let fee = inputs
        .checked_sub(outputs)
        .ok_or(TxError::InsufficientInputs { inputs, outputs })?;
    Ok(TxCheck { spent, fee })
}

/// Checks every input's signature against the output it spends.
pub fn verify_signatures(tx: &Transaction, txid: &Txid, spent: &[Utxo]) -> Result<(), TxError> {
    for (index, (input, utxo)) in tx.inputs.iter().zip(spent).enumerate() {
        let Witness::Signed {
            signature,
            public_key,
        } = input.witness
        else {
            return Err(TxError::Unsigned { input: index });
        };
        if PubkeyHash(hash160(&public_key)) != utxo.output.pubkey_hash {
            return Err(TxError::WrongKey {
                input: index,
                outpoint: input.previous_output,
            });
        }
        let digest = Transaction::signature_digest(txid, index as u32, &utxo.output);
        if sig_cache::verified_before(&digest, &public_key, &signature) {
            continue;
        }
        let key = PublicKey::from_bytes(&public_key)
            .map_err(|_| TxError::InvalidPublicKey { input: index })?;
        let parsed = Signature::from_slice(&signature)
            .map_err(|_| TxError::BadSignature { input: index })?;
        if !key.verify_digest(&digest, &parsed) {
            return Err(TxError::BadSignature { input: index });
        }
        sig_cache::remember(&digest, &public_key, &signature);
    }
    Ok(())
}

/// Checks a regular transaction on its own against `view`: shape, ownership, signatures, value.
pub fn check_transaction(tx: &Transaction, view: &impl UtxoView) -> Result<TxCheck, TxError> {
    let check = check_transaction_except_signatures(tx, view)?;
    verify_signatures(tx, &tx.txid(), &check.spent)?;
    Ok(check)
}

/// [`check_transaction`] without the signatures: the cheap rules, which a caller can re-run
/// against a newer view after verifying the signatures (they depend only on the spent outputs).
pub fn check_transaction_except_signatures(
    tx: &Transaction,
    view: &impl UtxoView,
) -> Result<TxCheck, TxError> {
    let mut seen = HashSet::with_capacity(tx.inputs.len());
    resolve(tx, |input, outpoint| {
        if !seen.insert(*outpoint) {
            return Err(TxError::DoubleSpend {
                input,
                outpoint: *outpoint,
            });
        }
        view.utxo(outpoint).ok_or(TxError::MissingOutput {
            input,
            outpoint: *outpoint,
        })
    })
}
