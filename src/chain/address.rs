//! Base58Check addresses: `Base58(0x00 ‖ HASH160(pubkey) ‖ checksum)`, 25 bytes, starting with `1`.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::hash::sha256d;

/// The version byte of every Pocket Chain address (Bitcoin's P2PKH version).
pub const ADDRESS_VERSION: u8 = 0x00;

/// `HASH160` of a compressed public key: what an output is locked to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PubkeyHash(pub [u8; 20]);

impl fmt::Debug for PubkeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PubkeyHash({})", hex::encode(self.0))
    }
}

impl fmt::Display for PubkeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// An address: the Base58Check form of a [`PubkeyHash`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(PubkeyHash);

/// Why a string is not an address. Each check has its own variant so a caller can say which failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    /// Empty input.
    #[error("the address is empty")]
    Empty,
    /// A character outside the Base58 alphabet.
    #[error("{input:?} is not an address: {character:?} (at {index}) is not a Base58 character")]
    InvalidCharacter {
        /// The input, cut to 80 characters.
        input: String,
        /// The offending character.
        character: char,
        /// Its position.
        index: usize,
    },
    /// Decodes to other than 25 bytes.
    #[error(
        "{input:?} is not an address: it decodes to {length} bytes, not 25 (cut short or run on?)"
    )]
    InvalidLength {
        /// The input, cut to 80 characters.
        input: String,
        /// The decoded length.
        length: usize,
    },
    /// Version byte other than 0x00.
    #[error(
        "{input:?} is not a Pocket Chain address: its version byte is {version:#04x}, not 0x00"
    )]
    InvalidVersion {
        /// The input.
        input: String,
        /// The version found.
        version: u8,
    },
    /// The last 4 bytes do not match the double SHA-256 of the rest.
    #[error("{input:?} is not an address: its checksum fails (a mistyped character?)")]
    InvalidChecksum {
        /// The input.
        input: String,
    },
}

impl Address {
    /// The pubkey hash this address pays to.
    pub fn pubkey_hash(&self) -> PubkeyHash {
        self.0
    }
}

impl From<PubkeyHash> for Address {
    fn from(hash: PubkeyHash) -> Self {
        Self(hash)
    }
}

impl From<Address> for PubkeyHash {
    fn from(address: Address) -> Self {
        address.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut payload = [0u8; 25];
        payload[0] = ADDRESS_VERSION;
        payload[1..21].copy_from_slice(&self.0.0);
        let checksum = sha256d(&payload[..21]);
        payload[21..].copy_from_slice(&checksum[..4]);
        // 25 bytes take at most 35 Base58 digits; encoded on the stack, not in a new String.
        let mut text = [0u8; 35];
        let len = bs58::encode(payload)
            .onto(&mut text[..])
            .map_err(|_| fmt::Error)?;
        f.write_str(std::str::from_utf8(&text[..len]).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let input = || s.chars().take(80).collect::<String>();
        if s.is_empty() {
            return Err(AddressError::Empty);
        }
        // 25 bytes are at most 35 Base58 digits; longer input cannot be an address.
        if s.len() > 64 {
            return Err(AddressError::InvalidLength {
                input: input(),
                length: s.len() * 3 / 4,
            });
        }
        let bytes = bs58::decode(s).into_vec().map_err(|e| match e {
            bs58::decode::Error::InvalidCharacter { character, index } => {
                AddressError::InvalidCharacter {
                    input: input(),
                    character,
                    index,
                }
            }
            _ => AddressError::InvalidLength {
                input: input(),
                length: 0,
            },
        })?;
        if bytes.len() != 25 {
            return Err(AddressError::InvalidLength {
                input: input(),
                length: bytes.len(),
            });
        }
        if sha256d(&bytes[..21])[..4] != bytes[21..] {
            return Err(AddressError::InvalidChecksum { input: input() });
        }
        if bytes[0] != ADDRESS_VERSION {
            return Err(AddressError::InvalidVersion {
                input: input(),
                version: bytes[0],
            });
        }
        let mut hash = [0u8; 20];
        hash.copy_from_slice(&bytes[1..21]);
        Ok(Self(PubkeyHash(hash)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_address_of_zero_hash() {
        // Bitcoin's well-known address for HASH160 = 0^20.
        let a = Address::from(PubkeyHash([0; 20]));
        assert_eq!(a.to_string(), "1111111111111111111114oLvT2");
    }

    #[test]
    fn each_kind_of_bad_address_has_its_own_error() {
        assert_eq!("".parse::<Address>(), Err(AddressError::Empty));
        assert!(matches!(
            "1O0".parse::<Address>(),
            Err(AddressError::InvalidCharacter { .. })
        ));
        assert!(matches!(
            "1abc".parse::<Address>(),
            Err(AddressError::InvalidLength { .. })
        ));
        assert!(matches!(
            "1111111111111111111114oLvT3".parse::<Address>(),
            Err(AddressError::InvalidChecksum { .. })
        ));
        // A valid Base58Check string with version 5 (a Bitcoin P2SH address).
        assert!(matches!(
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy".parse::<Address>(),
            Err(AddressError::InvalidVersion { version: 5, .. })
        ));
        assert!(matches!(
            "1".repeat(200).parse::<Address>(),
            Err(AddressError::InvalidLength { .. })
        ));
    }

    proptest! {
        #[test]
        fn addresses_round_trip(bytes in any::<[u8; 20]>()) {
            let a = Address::from(PubkeyHash(bytes));
            let s = a.to_string();
            prop_assert!(s.starts_with('1'));
            prop_assert_eq!(s.parse::<Address>(), Ok(a));
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,80}") {
            let _ = s.parse::<Address>();
        }
    }
}
