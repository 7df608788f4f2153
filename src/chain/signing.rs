//! Signing away from the node: a transaction together with the outputs its inputs spend, which is
//! everything a signer needs, because each input's digest commits to the value and owner of the
//! output it spends (a lying node only gets signatures that do not verify).

use thiserror::Error;

use super::address::PubkeyHash;
use super::encoding::{DecodeError, Reader};
use super::keys::{KeyError, SecretKey};
use super::transaction::{Transaction, TxOut, Witness, signature_bytes};

/// Encoded output: value (8) + pubkey hash (20).
const OUTPUT_SIZE: usize = 28;

/// A transaction to sign and the output each of its inputs spends (`spent[i]` for input `i`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningRequest {
    /// The transaction; inputs already signed keep their signatures.
    pub tx: Transaction,
    /// The spent outputs, one per input, in input order.
    pub spent: Vec<TxOut>,
}

/// Why a signing request cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SigningRequestError {
    /// The bytes are not a transaction followed by one output per input.
    #[error("not a signing request: {0}")]
    Decode(#[from] DecodeError),
    /// A coinbase cannot be signed.
    #[error("input {0} is a coinbase input; a coinbase is never signed")]
    Coinbase(usize),
}

impl SigningRequest {
    /// `tx ‖ spent output × n_in` (see `docs/protocol.md`, "Signing away from the node").
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.tx.encode();
        for output in &self.spent {
            out.extend_from_slice(&output.value.to_le_bytes());
            out.extend_from_slice(&output.pubkey_hash.0);
        }
        out
    }

    /// Reads a request from untrusted bytes: exactly one output per input, nothing after them.
    pub fn decode(bytes: &[u8]) -> Result<Self, SigningRequestError> {
        let mut reader = Reader::new(bytes);
        let tx = Transaction::decode_from(&mut reader)?;
        if let Some(index) = tx
            .inputs
            .iter()
            .position(|i| matches!(i.witness, Witness::Coinbase { .. }))
        {
            return Err(SigningRequestError::Coinbase(index));
        }
        let needed = tx.inputs.len() * OUTPUT_SIZE;
        if reader.remaining() < needed {
            return Err(DecodeError::UnexpectedEnd {
                needed,
                remaining: reader.remaining(),
            }
            .into());
        }
        let mut spent = Vec::with_capacity(tx.inputs.len());
        for _ in 0..tx.inputs.len() {
            let value = reader.u64()?;
            let pubkey_hash = PubkeyHash(reader.array()?);
            spent.push(TxOut { value, pubkey_hash });
        }
        reader.finish()?;
        Ok(Self { tx, spent })
    }

    /// The digest each input signs, in input order.
    pub fn sighashes(&self) -> Vec<[u8; 32]> {
        let txid = self.tx.txid();
        self.spent
            .iter()
            .enumerate()
            .map(|(index, output)| Transaction::signature_digest(&txid, index as u32, output))
            .collect()
    }

    /// Signs every input spending an output locked to `key`; returns how many it signed.
    /// Inputs owned by other keys are left as they are.
    pub fn sign_with(&mut self, key: &SecretKey) -> Result<usize, KeyError> {
        let public_key = key.public_key();
        let owner = public_key.pubkey_hash();
        let public_key = public_key.to_bytes();
        let digests = self.sighashes();
        let mut signed = 0;
        for ((input, output), digest) in self.tx.inputs.iter_mut().zip(&self.spent).zip(digests) {
            if output.pubkey_hash == owner {
                input.witness = Witness::Signed {
                    signature: signature_bytes(&key.sign_digest(&digest)),
                    public_key,
                };
                signed += 1;
            }
        }
        Ok(signed)
    }

    /// Whether every input carries a signature.
    pub fn is_complete(&self) -> bool {
        self.tx
            .inputs
            .iter()
            .all(|i| matches!(i.witness, Witness::Signed { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::testing::key;
    use crate::chain::{OutPoint, Txid, Utxo, check_transaction};
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn a_request_round_trips_and_signs_only_its_keys_inputs() {
        let (alice, bob) = (key(1), key(2));
        let spent = vec![
            TxOut {
                value: 6,
                pubkey_hash: alice.public_key().pubkey_hash(),
            },
            TxOut {
                value: 4,
                pubkey_hash: bob.public_key().pubkey_hash(),
            },
        ];
        let outpoints = [
            OutPoint {
                txid: Txid([1; 32]),
                vout: 0,
            },
            OutPoint {
                txid: Txid([2; 32]),
                vout: 3,
            },
        ];
        let tx = Transaction::new_unsigned(
            &outpoints,
            vec![TxOut {
                value: 10,
                pubkey_hash: PubkeyHash([9; 20]),
            }],
        );
        let mut request = SigningRequest { tx, spent };
        assert_eq!(SigningRequest::decode(&request.encode()).unwrap(), request);
        assert_eq!(request.sign_with(&alice).unwrap(), 1);
        assert!(!request.is_complete());
        // A half-signed request travels to the next signer with its signature intact.
        let mut request = SigningRequest::decode(&request.encode()).unwrap();
        assert_eq!(request.sign_with(&bob).unwrap(), 1);
        assert!(request.is_complete());
        let view: HashMap<OutPoint, Utxo> = outpoints
            .iter()
            .zip(&request.spent)
            .map(|(o, output)| {
                let utxo = Utxo {
                    output: *output,
                    height: 0,
                    coinbase: false,
                };
                (*o, utxo)
            })
            .collect();
        check_transaction(&request.tx, &view).unwrap();
    }

    #[test]
    fn missing_or_extra_spent_outputs_are_refused() {
        let tx = Transaction::new_unsigned(
            &[OutPoint {
                txid: Txid([1; 32]),
                vout: 0,
            }],
            vec![TxOut {
                value: 1,
                pubkey_hash: PubkeyHash([9; 20]),
            }],
        );
        let bytes = tx.encode();
        assert!(matches!(
            SigningRequest::decode(&bytes),
            Err(SigningRequestError::Decode(
                DecodeError::UnexpectedEnd { .. }
            ))
        ));
        let mut long = bytes.clone();
        long.extend_from_slice(&[0; OUTPUT_SIZE + 1]);
        assert!(matches!(
            SigningRequest::decode(&long),
            Err(SigningRequestError::Decode(DecodeError::TrailingBytes(1)))
        ));
        let coinbase = Transaction::coinbase(0, 10, PubkeyHash([9; 20]));
        let mut bytes = coinbase.encode();
        bytes.extend_from_slice(&[0; OUTPUT_SIZE]);
        assert_eq!(
            SigningRequest::decode(&bytes),
            Err(SigningRequestError::Coinbase(0))
        );
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = SigningRequest::decode(&bytes);
        }
    }
}
