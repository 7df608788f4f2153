//! Sealing wallets' secret keys at rest with ChaCha20-Poly1305.
//!
//! Each key is encrypted under the keystore key with a fresh random nonce and the wallet's address
//! as associated data, so a sealed key cannot be moved to another wallet's row unnoticed.

use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use super::error::{NodeError, NodeResult};
use crate::chain::{Address, PublicKey, SecretKey};
use crate::model::Wallet;
use crate::store::wallets::SealedKey;

/// The keystore key, 32 bytes.
#[derive(Clone)]
pub struct Keystore {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keystore(<hidden>)")
    }
}

impl Keystore {
    /// A keystore under `key`.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// A keystore under a random key that no file keeps, for a node that seals and opens no
    /// keys (`verify`, `mine`, `export` without wallets): nothing sealed with it outlives the
    /// process.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self::new(&key)
    }

    /// Reads the key from `path`, or creates it there (random, owner-only permissions) when absent.
    ///
    /// Several processes may start together on one fresh data directory: the key is written whole
    /// to a file of this process's own, then linked into place, which fails if another process was
    /// first; either way every process then reads the one key at `path`. No process ever sees a
    /// partly written key file.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => Self::from_key_file(path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Self::create_key_file(path)?;
                Self::from_key_file(path, &std::fs::read(path)?)
            }
            Err(e) => Err(e),
        }
    }

    fn from_key_file(path: &Path, bytes: &[u8]) -> std::io::Result<Self> {
        let key: [u8; 32] = hex::decode(bytes.trim_ascii())
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| {
                std::io::Error::other(format!("{} does not hold 64 hex digits", path.display()))
            })?;
        Ok(Self::new(&key))
    }

    /// Writes a new random key to `path` unless a key is already there.
    fn create_key_file(path: &Path) -> std::io::Result<()> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir)?;
        }
        let key = ChaCha20Poly1305::generate_key(&mut OsRng);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let draft = path.with_extension(format!(
            "new-{}-{}",
            std::process::id(),
            hex::encode(ChaCha20Poly1305::generate_nonce(&mut OsRng))
        ));
        let written = options.open(&draft).and_then(|mut file| {
            file.write_all(hex::encode(key).as_bytes())?;
            file.sync_all()
        });
        let linked = written.and_then(|()| match std::fs::hard_link(&draft, path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            linked => linked,
        });
        let _ = std::fs::remove_file(&draft);
        linked?;
        if let Some(dir) = dir {
            // The new directory entry survives a crash once the directory is synced.
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Encrypts `key` for the wallet at `address`.
    pub fn seal(&self, address: &Address, key: &SecretKey) -> NodeResult<SealedKey> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = address.to_string();
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &key.to_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| NodeError::Keystore("encryption failed".into()))?;
        Ok(SealedKey {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Decrypts the key of the wallet at `address`, and computes its public key: for a sealed key
    /// from outside the keystore (an archive's), which the caller checks against it.
    pub fn open(&self, address: &Address, sealed: &SealedKey) -> NodeResult<SecretKey> {
        let bytes = self.decrypt(address, sealed)?;
        SecretKey::from_bytes(&bytes).map_err(|e| NodeError::Keystore(e.to_string()))
    }

    /// Decrypts the key of a keystore wallet, with the public key its row holds. The row was
    /// checked when read (its public key hashes to its address) and the sealing names that address,
    /// so the pair is the one sealed together, and opening it for each payment multiplies nothing.
    pub fn open_stored(&self, wallet: &Wallet, sealed: &SealedKey) -> NodeResult<SecretKey> {
        let bytes = self.decrypt(&wallet.address, sealed)?;
        let public = PublicKey::from_bytes(&wallet.public_key)
            .map_err(|e| NodeError::Keystore(e.to_string()))?;
        SecretKey::with_public_key(&bytes, public).map_err(|e| NodeError::Keystore(e.to_string()))
    }

    /// The 32 bytes sealed for `address`.
    fn decrypt(&self, address: &Address, sealed: &SealedKey) -> NodeResult<[u8; 32]> {
        if sealed.nonce.len() != 12 {
            return Err(NodeError::Keystore(format!(
                "sealed key of {address} has a bad nonce"
            )));
        }
        let aad = address.to_string();
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                NodeError::Keystore(format!(
                    "cannot open the key of {address}: wrong keystore key?"
                ))
            })?;
        plain
            .try_into()
            .map_err(|_| NodeError::Keystore(format!("sealed key of {address} has a bad length")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_their_key_and_address() {
        let store = Keystore::new(&[1; 32]);
        let key = SecretKey::from_bytes(&[2; 32]).unwrap();
        let address = key.public_key().address();
        let sealed = store.seal(&address, &key).unwrap();
        assert_eq!(
            store.open(&address, &sealed).unwrap().to_bytes(),
            key.to_bytes()
        );
        assert!(Keystore::new(&[9; 32]).open(&address, &sealed).is_err());
        let other = SecretKey::from_bytes(&[3; 32])
            .unwrap()
            .public_key()
            .address();
        assert!(store.open(&other, &sealed).is_err());
        assert!(!sealed.ciphertext.windows(32).any(|w| w == key.to_bytes()));
    }

    /// A keystore row's key opens with the row's public key as it opens alone, and only under
    /// its own address.
    #[test]
    fn a_stored_wallets_key_opens_with_its_public_key() {
        let store = Keystore::new(&[1; 32]);
        let key = SecretKey::from_bytes(&[2; 32]).unwrap();
        let public_key = key.public_key();
        let wallet = Wallet {
            id: 1,
            address: public_key.address(),
            public_key: public_key.to_bytes(),
            created_at: 0,
        };
        let sealed = store.seal(&wallet.address, &key).unwrap();
        let opened = store.open_stored(&wallet, &sealed).unwrap();
        assert_eq!(opened.to_bytes(), key.to_bytes());
        assert_eq!(opened.public_key(), public_key);
        let elsewhere = Wallet {
            address: SecretKey::from_bytes(&[3; 32])
                .unwrap()
                .public_key()
                .address(),
            ..wallet
        };
        assert!(store.open_stored(&elsewhere, &sealed).is_err());
    }

    #[test]
    fn key_file_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/keystore.key");
        let a = Keystore::load_or_create(&path).unwrap();
        let b = Keystore::load_or_create(&path).unwrap();
        let key = SecretKey::from_bytes(&[2; 32]).unwrap();
        let address = key.public_key().address();
        assert!(b.open(&address, &a.seal(&address, &key).unwrap()).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn processes_starting_together_agree_on_one_key() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("data/keystore.key");
            let keys: Vec<Keystore> = std::thread::scope(|scope| {
                let starts: Vec<_> = (0..8)
                    .map(|_| scope.spawn(|| Keystore::load_or_create(&path)))
                    .collect();
                starts
                    .into_iter()
                    .map(|s| s.join().unwrap().expect("every start succeeds"))
                    .collect()
            });
            let key = SecretKey::from_bytes(&[2; 32]).unwrap();
            let address = key.public_key().address();
            let sealed = keys[0].seal(&address, &key).unwrap();
            assert!(keys.iter().all(|k| k.open(&address, &sealed).is_ok()));
            let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
            assert_eq!(left.len(), 1, "only the key file is left");
        }
    }
}
