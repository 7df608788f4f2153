//! Transactions: outpoints, inputs, outputs, their canonical encoding, txids and signatures.
//!
//! The txid is the double SHA-256 of the *unsigned* encoding (every signature witness written as
//! empty), so signing does not change it. Each input signs a digest that commits to the txid (and so
//! to the whole unsigned transaction), the input's index and the output it spends.

use std::fmt;

use k256::ecdsa::Signature;

use super::address::PubkeyHash;
use super::encoding::{DecodeError, Reader};
use super::hash::{Txid, sha256d};
use super::keys::{KeyError, SecretKey};

/// The transaction format version this code writes.
pub const TX_VERSION: u32 = 1;

/// Domain tag hashed in front of every signature digest.
pub const SIGHASH_TAG: &[u8] = b"pocket-chain/sighash/v1";

/// A reference to one output of an earlier transaction.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutPoint {
    /// The transaction that created the output.
    pub txid: Txid,
    /// The output's index in that transaction.
    pub vout: u32,
}

impl OutPoint {
    /// The outpoint a coinbase input names: no previous output.
    pub const NULL: Self = Self {
        txid: Txid::ZERO,
        vout: u32::MAX,
    };

    /// Whether this is [`OutPoint::NULL`].
    pub fn is_null(&self) -> bool {
        *self == Self::NULL
    }
}

impl fmt::Display for OutPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.txid, self.vout)
    }
}

/// Why text is not an outpoint (`txid:vout`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not an outpoint (txid:vout)")]
pub struct OutPointParseError {
    /// The text, shortened.
    pub input: String,
}

impl std::str::FromStr for OutPoint {
    type Err = OutPointParseError;

    /// Parses `txid:vout`, as `Display` writes it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || OutPointParseError {
            input: s.chars().take(80).collect(),
        };
        let (txid, vout) = s.split_once(':').ok_or_else(error)?;
        Ok(Self {
            txid: txid.parse().map_err(|_| error())?,
            vout: vout.parse().map_err(|_| error())?,
        })
    }
}

impl fmt::Debug for OutPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OutPoint({self})")
    }
}

/// An output: an amount locked to a pubkey hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TxOut {
    /// Whole units.
    pub value: u64,
    /// Whose key may spend it.
    pub pubkey_hash: PubkeyHash,
}

/// What an input carries besides the outpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Witness {
    /// Not signed yet (and how every signature is written in the txid's encoding).
    Unsigned,
    /// A low-S ECDSA signature and the key it verifies under, as encoded. Decoding keeps the
    /// bytes; validation parses them, so reading a block never pays for point decompression.
    Signed {
        /// Compact `r ‖ s`, big-endian.
        signature: [u8; 64],
        /// Compressed SEC1 public key; must hash to the spent output's pubkey hash.
        public_key: [u8; 33],
    },
    /// The coinbase's data: the height of its block, so coinbase txids never repeat.
    Coinbase {
        /// Height of the block this coinbase opens.
        height: u64,
    },
}

impl Witness {
    const TAG_UNSIGNED: u8 = 0;
    const TAG_SIGNED: u8 = 1;
    const TAG_COINBASE: u8 = 2;
}

/// An input: the output it spends and the proof it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxIn {
    /// The output being spent ([`OutPoint::NULL`] in a coinbase).
    pub previous_output: OutPoint,
    /// Signature, coinbase data, or nothing yet.
    pub witness: Witness,
}

/// A transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Format version, [`TX_VERSION`].
    pub version: u32,
    /// What it spends.
    pub inputs: Vec<TxIn>,
    /// What it creates.
    pub outputs: Vec<TxOut>,
}

/// Smallest encoded input: outpoint (36) + witness tag (1).
const MIN_INPUT_SIZE: usize = 37;
/// Encoded output: value (8) + pubkey hash (20).
const OUTPUT_SIZE: usize = 28;

impl Transaction {
    /// An unsigned transaction spending `inputs`.
    pub fn new_unsigned(inputs: &[OutPoint], outputs: Vec<TxOut>) -> Self {
        Self {
            version: TX_VERSION,
            inputs: inputs
                .iter()
                .map(|&previous_output| TxIn {
                    previous_output,
                    witness: Witness::Unsigned,
                })
                .collect(),
            outputs,
        }
    }

    /// The coinbase of the block at `height`, paying `value` to `to`.
    pub fn coinbase(height: u64, value: u64, to: PubkeyHash) -> Self {
        Self {
            version: TX_VERSION,
            inputs: vec![TxIn {
                previous_output: OutPoint::NULL,
                witness: Witness::Coinbase { height },
            }],
            outputs: vec![TxOut {
                value,
                pubkey_hash: to,
            }],
        }
    }

    /// A coinbase is exactly one input naming the null outpoint.
    pub fn is_coinbase(&self) -> bool {
        self.inputs.len() == 1 && self.inputs[0].previous_output.is_null()
    }

    /// The height a coinbase carries, if this is a well-formed coinbase.
    pub fn coinbase_height(&self) -> Option<u64> {
        match (self.is_coinbase(), self.inputs.first().map(|i| i.witness)) {
            (true, Some(Witness::Coinbase { height })) => Some(height),
            _ => None,
        }
    }

    /// Sum of output values, `None` on overflow.
    pub fn output_value(&self) -> Option<u64> {
        self.outputs
            .iter()
            .try_fold(0u64, |sum, o| sum.checked_add(o.value))
    }

    /// The canonical encoding, signatures included.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out, true);
        out
    }

    /// The encoding the txid is computed over: every signature written as [`Witness::Unsigned`].
    pub fn encode_unsigned(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out, false);
        out
    }

    fn encoded_len(&self) -> usize {
        12 + self.inputs.len() * (MIN_INPUT_SIZE + 97) + self.outputs.len() * OUTPUT_SIZE
    }

    /// Appends the encoding to `out`; `with_signatures = false` gives the txid's preimage.
    pub fn encode_into(&self, out: &mut Vec<u8>, with_signatures: bool) {
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&(self.inputs.len() as u32).to_le_bytes());
        for input in &self.inputs {
            out.extend_from_slice(input.previous_output.txid.as_bytes());
            out.extend_from_slice(&input.previous_output.vout.to_le_bytes());
            match input.witness {
                Witness::Signed {
                    signature,
                    public_key,
                } if with_signatures => {
                    out.push(Witness::TAG_SIGNED);
                    out.extend_from_slice(&signature);
                    out.extend_from_slice(&public_key);
                }
                Witness::Unsigned | Witness::Signed { .. } => out.push(Witness::TAG_UNSIGNED),
                Witness::Coinbase { height } => {
                    out.push(Witness::TAG_COINBASE);
                    out.extend_from_slice(&height.to_le_bytes());
                }
            }
        }
        out.extend_from_slice(&(self.outputs.len() as u32).to_le_bytes());
        for output in &self.outputs {
            out.extend_from_slice(&output.value.to_le_bytes());
            out.extend_from_slice(&output.pubkey_hash.0);
        }
    }

    /// Decodes exactly one transaction from `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let tx = Self::decode_from(&mut reader)?;
        reader.finish()?;
        Ok(tx)
    }

    pub(crate) fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u32()?;
        let input_count = r.count("input", MIN_INPUT_SIZE)?;
        let mut inputs = Vec::with_capacity(input_count);
        for _ in 0..input_count {
            let txid = Txid(r.array()?);
            let vout = r.u32()?;
            let witness = match r.u8()? {
                Witness::TAG_UNSIGNED => Witness::Unsigned,
                Witness::TAG_SIGNED => {
                    let signature = r.array()?;
                    let public_key = r.array()?;
                    Witness::Signed {
                        signature,
                        public_key,
                    }
                }
                Witness::TAG_COINBASE => Witness::Coinbase { height: r.u64()? },
                tag => return Err(DecodeError::UnknownWitnessTag(tag)),
            };
            inputs.push(TxIn {
                previous_output: OutPoint { txid, vout },
                witness,
            });
        }
        let output_count = r.count("output", OUTPUT_SIZE)?;
        let mut outputs = Vec::with_capacity(output_count);
        for _ in 0..output_count {
            let value = r.u64()?;
            let pubkey_hash = PubkeyHash(r.array()?);
            outputs.push(TxOut { value, pubkey_hash });
        }
        Ok(Self {
            version,
            inputs,
            outputs,
        })
    }

    /// Double SHA-256 of the unsigned encoding.
    pub fn txid(&self) -> Txid {
        Txid(sha256d(&self.encode_unsigned()))
    }

    /// The digest input `index` signs: `SHA256d(tag ‖ txid ‖ index ‖ spent.value ‖ spent.pubkey_hash)`.
    pub fn signature_digest(txid: &Txid, index: u32, spent: &TxOut) -> [u8; 32] {
        let mut preimage = Vec::with_capacity(SIGHASH_TAG.len() + 32 + 4 + OUTPUT_SIZE);
        preimage.extend_from_slice(SIGHASH_TAG);
        preimage.extend_from_slice(txid.as_bytes());
        preimage.extend_from_slice(&index.to_le_bytes());
        preimage.extend_from_slice(&spent.value.to_le_bytes());
        preimage.extend_from_slice(&spent.pubkey_hash.0);
        sha256d(&preimage)
    }

    /// Signs every input with `key`; `spent[i]` is the output input `i` spends.
    pub fn sign(&mut self, key: &SecretKey, spent: &[TxOut]) -> Result<(), KeyError> {
        let txid = self.txid();
        let public_key = key.public_key().to_bytes();
        for (index, (input, spent)) in self.inputs.iter_mut().zip(spent).enumerate() {
            let digest = Self::signature_digest(&txid, index as u32, spent);
            let signature = signature_bytes(&key.sign_digest(&digest));
            input.witness = Witness::Signed {
                signature,
                public_key,
            };
        }
        Ok(())
    }
}

/// The compact 64-byte form of a signature.
pub fn signature_bytes(signature: &Signature) -> [u8; 64] {
    let mut bytes = [0u8; 64];
    bytes.copy_from_slice(&signature.to_bytes());
    bytes
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn outpoints_parse_as_they_display() {
        let outpoint = OutPoint {
            txid: Txid([7; 32]),
            vout: 3,
        };
        assert_eq!(outpoint.to_string().parse::<OutPoint>(), Ok(outpoint));
        for bad in [
            "",
            "07:1",
            &format!("{}", Txid([7; 32])),
            &format!("{}:-1", Txid([7; 32])),
        ] {
            assert!(bad.parse::<OutPoint>().is_err(), "{bad:?}");
        }
    }

    pub(crate) fn arb_outpoint() -> impl Strategy<Value = OutPoint> {
        (any::<[u8; 32]>(), any::<u32>()).prop_map(|(t, vout)| OutPoint {
            txid: Txid(t),
            vout,
        })
    }

    pub(crate) fn arb_txout() -> impl Strategy<Value = TxOut> {
        (any::<u64>(), any::<[u8; 20]>()).prop_map(|(value, h)| TxOut {
            value,
            pubkey_hash: PubkeyHash(h),
        })
    }

    fn arb_witness() -> impl Strategy<Value = Witness> {
        prop_oneof![
            Just(Witness::Unsigned),
            any::<u64>().prop_map(|height| Witness::Coinbase { height }),
            // [0xff; 32] is above the curve order, so not a key.
            (1u8..=254, any::<[u8; 32]>()).prop_map(|(k, d)| {
                let key = SecretKey::from_bytes(&[k; 32]).unwrap();
                Witness::Signed {
                    signature: signature_bytes(&key.sign_digest(&d)),
                    public_key: key.public_key().to_bytes(),
                }
            }),
        ]
    }

    pub(crate) fn arb_tx() -> impl Strategy<Value = Transaction> {
        (
            any::<u32>(),
            prop::collection::vec(
                (arb_outpoint(), arb_witness()).prop_map(|(previous_output, witness)| TxIn {
                    previous_output,
                    witness,
                }),
                0..4,
            ),
            prop::collection::vec(arb_txout(), 0..4),
        )
            .prop_map(|(version, inputs, outputs)| Transaction {
                version,
                inputs,
                outputs,
            })
    }

    #[test]
    fn signing_does_not_change_the_txid() {
        let key = SecretKey::from_bytes(&[3u8; 32]).unwrap();
        let spent = TxOut {
            value: 5,
            pubkey_hash: key.public_key().pubkey_hash(),
        };
        let prev = OutPoint {
            txid: Txid([1; 32]),
            vout: 0,
        };
        let mut tx = Transaction::new_unsigned(
            &[prev],
            vec![TxOut {
                value: 5,
                pubkey_hash: PubkeyHash([2; 20]),
            }],
        );
        let before = tx.txid();
        tx.sign(&key, &[spent]).unwrap();
        assert_eq!(tx.txid(), before);
        assert_ne!(tx.encode(), tx.encode_unsigned());
    }

    #[test]
    fn coinbase_carries_its_height() {
        let cb = Transaction::coinbase(7, 10, PubkeyHash([1; 20]));
        assert!(cb.is_coinbase());
        assert_eq!(cb.coinbase_height(), Some(7));
        assert_ne!(
            cb.txid(),
            Transaction::coinbase(8, 10, PubkeyHash([1; 20])).txid()
        );
    }

    #[test]
    fn hostile_counts_do_not_allocate() {
        let mut bytes = 1u32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            Transaction::decode(&bytes),
            Err(DecodeError::CountTooLarge { .. })
        ));
    }

    #[test]
    fn unknown_witness_tag_is_refused() {
        let mut bytes = Transaction::coinbase(1, 1, PubkeyHash([0; 20])).encode();
        bytes[4 + 4 + 36] = 9;
        assert_eq!(
            Transaction::decode(&bytes),
            Err(DecodeError::UnknownWitnessTag(9))
        );
    }

    proptest! {
        #[test]
        fn encoding_round_trips(tx in arb_tx()) {
            prop_assert_eq!(Transaction::decode(&tx.encode()), Ok(tx));
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = Transaction::decode(&bytes);
        }

        #[test]
        fn decoding_truncated_encodings_fails_cleanly(tx in arb_tx(), cut in any::<prop::sample::Index>()) {
            let bytes = tx.encode();
            let cut = cut.index(bytes.len());
            prop_assert!(Transaction::decode(&bytes[..cut]).is_err());
        }
    }
}
