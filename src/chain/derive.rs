//! Dev accounts: secret keys derived from a seed phrase as hardware and software wallets derive
//! them (BIP-39 phrase to seed, BIP-32 path `m/44'/1'/0'/0/INDEX`), so one phrase gives the same
//! accounts on every machine, as Anvil's test accounts do. Coin type 1 is SLIP-44's "testnet,
//! all coins": the keys are public knowledge and for dev chains only.

use thiserror::Error;

use super::keys::SecretKey;

/// The phrase dev chains start with unless told otherwise (Anvil's and Hardhat's, so it is
/// already in every developer's test fixtures; the keys differ by the derivation path).
pub const DEFAULT_SEED_PHRASE: &str = "test test test test test test test test test test test junk";
/// The path of account 0 without its last step; account `i` is `{ACCOUNT_PATH}/i`.
pub const ACCOUNT_PATH: &str = "m/44'/1'/0'/0";

/// A phrase that derives no keys.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DeriveError {
    /// Not a BIP-39 phrase (unknown word, wrong length, bad checksum).
    #[error("not a BIP-39 seed phrase: {0}")]
    Phrase(String),
    /// The index is past BIP-32's unhardened range.
    #[error("account index {0} is past 2^31 - 1")]
    Index(u32),
    /// BIP-32 derivation failed (astronomically unlikely for any phrase).
    #[error("key derivation failed: {0}")]
    Derivation(String),
}

/// A parsed phrase and its seed (computed once: BIP-39 stretches it with 2048 rounds).
#[derive(Clone)]
pub struct SeedPhrase {
    phrase: String,
    seed: [u8; 64],
}

impl std::fmt::Debug for SeedPhrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedPhrase").finish_non_exhaustive()
    }
}

impl SeedPhrase {
    /// Parses an English BIP-39 phrase (words separated by any white space), no passphrase.
    pub fn parse(text: &str) -> Result<Self, DeriveError> {
        let normalized = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mnemonic = bip39::Mnemonic::parse_in(bip39::Language::English, &normalized)
            .map_err(|e| DeriveError::Phrase(e.to_string()))?;
        Ok(Self {
            phrase: normalized,
            seed: mnemonic.to_seed(""),
        })
    }

    /// [`DEFAULT_SEED_PHRASE`].
    pub fn default_phrase() -> Self {
        Self::parse(DEFAULT_SEED_PHRASE).expect("the default phrase is valid BIP-39")
    }

    /// The phrase, words separated by single spaces.
    pub fn phrase(&self) -> &str {
        &self.phrase
    }

    /// The secret key of account `index`.
    pub fn key(&self, index: u32) -> Result<SecretKey, DeriveError> {
        account_key(&self.account_parent()?, index)
    }

    /// The keys of accounts `0..count` (their parent derived once: each step of a path costs an
    /// elliptic-curve multiplication).
    pub fn keys(&self, count: u32) -> Result<Vec<SecretKey>, DeriveError> {
        let parent = self.account_parent()?;
        (0..count).map(|i| account_key(&parent, i)).collect()
    }

    /// The key at [`ACCOUNT_PATH`], whose children the accounts are.
    fn account_parent(&self) -> Result<bip32::XPrv, DeriveError> {
        let path: bip32::DerivationPath = ACCOUNT_PATH
            .parse()
            .map_err(|e: bip32::Error| DeriveError::Derivation(e.to_string()))?;
        bip32::XPrv::derive_from_path(&self.seed, &path)
            .map_err(|e| DeriveError::Derivation(e.to_string()))
    }
}

/// Account `index`: the unhardened child `index` of the accounts' parent.
fn account_key(parent: &bip32::XPrv, index: u32) -> Result<SecretKey, DeriveError> {
    if index >= 1 << 31 {
        return Err(DeriveError::Index(index));
    }
    let child = bip32::ChildNumber::new(index, false)
        .and_then(|number| parent.derive_child(number))
        .map_err(|e| DeriveError::Derivation(e.to_string()))?;
    SecretKey::from_bytes(&child.private_key().to_bytes().into())
        .map_err(|e| DeriveError::Derivation(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BIP-39's own test vector for a phrase with no passphrase.
    #[test]
    fn the_seed_is_bip39s() {
        let abandon = SeedPhrase::parse(
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
             abandon about",
        )
        .unwrap();
        assert_eq!(
            hex::encode(abandon.seed),
            "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1\
             9a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4"
        );
    }

    #[test]
    fn the_default_phrase_gives_fixed_keys() {
        let phrase = SeedPhrase::default_phrase();
        // Checked against @scure/bip32 by tests/clients/dev-accounts.test.mjs as well.
        assert_eq!(
            phrase.key(0).unwrap().public_key().address().to_string(),
            SeedPhrase::parse("  test test test test test test test test test test test junk\n")
                .unwrap()
                .key(0)
                .unwrap()
                .public_key()
                .address()
                .to_string()
        );
        assert_ne!(
            phrase.key(0).unwrap().to_bytes(),
            phrase.key(1).unwrap().to_bytes()
        );
    }

    #[test]
    fn the_derivation_is_bip32s() {
        // BIP-32's published result for Anvil's phrase at Ethereum's path, so the crates are
        // wired as the standard says; our path differs only in its coin type.
        let mnemonic = bip39::Mnemonic::parse(DEFAULT_SEED_PHRASE).unwrap();
        let path: bip32::DerivationPath = "m/44'/60'/0'/0/0".parse().unwrap();
        let key = bip32::XPrv::derive_from_path(&mnemonic.to_seed(""), &path).unwrap();
        assert_eq!(
            hex::encode(key.private_key().to_bytes()),
            "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        );
    }

    #[test]
    fn accounts_are_the_full_paths_keys() {
        let phrase = SeedPhrase::default_phrase();
        let mnemonic = bip39::Mnemonic::parse(DEFAULT_SEED_PHRASE).unwrap();
        for (index, key) in phrase.keys(3).unwrap().iter().enumerate() {
            let path: bip32::DerivationPath = format!("{ACCOUNT_PATH}/{index}").parse().unwrap();
            let full = bip32::XPrv::derive_from_path(&mnemonic.to_seed(""), &path).unwrap();
            assert_eq!(key.to_bytes()[..], full.private_key().to_bytes()[..]);
        }
    }

    #[test]
    fn bad_phrases_and_indexes_are_refused() {
        assert!(matches!(
            SeedPhrase::parse("test junk"),
            Err(DeriveError::Phrase(_))
        ));
        assert!(matches!(
            SeedPhrase::parse("test test test test test test test test test test test test"),
            Err(DeriveError::Phrase(_))
        ));
        assert_eq!(
            SeedPhrase::default_phrase().key(1 << 31).map(|_| ()),
            Err(DeriveError::Index(1 << 31))
        );
    }
}
