//! Double SHA-256, HASH160 and the 32-byte hash newtypes.
//!
//! Every hash in the protocol is the double SHA-256 of bytes (never of a debug string). Hashes are
//! shown as lower-case hex of their bytes in order, so a hash with leading zero bits starts with `0`s.

use std::fmt;
use std::str::FromStr;

use ripemd::Ripemd160;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// `SHA256(SHA256(data))`.
pub fn sha256d(data: &[u8]) -> [u8; 32] {
    let first = Sha256::digest(data);
    Sha256::digest(first).into()
}

/// `RIPEMD160(SHA256(data))`, the hash an address is made of.
pub fn hash160(data: &[u8]) -> [u8; 20] {
    Ripemd160::digest(Sha256::digest(data)).into()
}

/// A hex string that is not a 32-byte hash.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid hash {input:?}: expected 64 hex digits")]
pub struct HashParseError {
    /// The rejected input, cut to 80 characters.
    pub input: String,
}

macro_rules! hash_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// All zeros: the "no previous" value.
            pub const ZERO: Self = Self([0; 32]);

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = HashParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let mut bytes = [0u8; 32];
                hex::decode_to_slice(s, &mut bytes).map_err(|_| HashParseError {
                    input: s.chars().take(80).collect(),
                })?;
                Ok(Self(bytes))
            }
        }
    };
}

hash_newtype!(
    /// A transaction id: double SHA-256 of the transaction's unsigned encoding.
    Txid
);
hash_newtype!(
    /// A block hash: double SHA-256 of the block header.
    BlockHash
);
hash_newtype!(
    /// The merkle root of a block's txids.
    MerkleRoot
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256d_of_empty_input_is_the_known_value() {
        assert_eq!(
            hex::encode(sha256d(b"")),
            "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"
        );
    }

    #[test]
    fn hash_round_trips_through_hex() {
        let h = Txid([0xab; 32]);
        assert_eq!(h.to_string().parse::<Txid>(), Ok(h));
        assert!("xyz".parse::<Txid>().is_err());
        assert!("ab".repeat(33).parse::<Txid>().is_err());
    }
}
