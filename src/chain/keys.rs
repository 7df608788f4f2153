//! secp256k1 key pairs. Public keys travel as 33-byte compressed SEC1 points.
//!
//! Signatures are verified by libsecp256k1, Bitcoin Core's library, in about half the time k256
//! takes (`cargo bench --bench chain -- ecdsa`); k256 signs, and keeps the [`Signature`] type.
//! A secret key is opened for every payment it signs, so it holds the bare scalar: k256's
//! `SigningKey` would compute its public point again on every opening, a second multiplication
//! beside libsecp256k1's.

use std::fmt;

use k256::ecdsa::{Signature, SigningKey};
use k256::elliptic_curve::Generate;
use k256::elliptic_curve::ff::PrimeField;
use k256::{NonZeroScalar, Secp256k1};
use secp256k1::Message;
use thiserror::Error;

use super::address::{Address, PubkeyHash};
use super::hash::hash160;

/// Why a key could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// 32 bytes that are zero or not below the curve order.
    #[error("invalid secret key: not a scalar in [1, n)")]
    InvalidSecretKey,
    /// Bytes that are not a compressed point on the curve.
    #[error("invalid public key {0}: not a 33-byte compressed secp256k1 point")]
    InvalidPublicKey(String),
    /// The operating system's random source failed.
    #[error("random number generator failed")]
    Rng,
}

/// A secret key. It never leaves the node: there is no `Display`, and `Debug` hides it.
#[derive(Clone)]
pub struct SecretKey {
    scalar: NonZeroScalar,
    /// Its public key, computed once.
    public: PublicKey,
}

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        let key = SigningKey::try_generate().map_err(|_| KeyError::Rng)?;
        Self::from_bytes(&key.to_bytes().into())
    }

    /// The key whose scalar is these 32 big-endian bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let secret = secp256k1::SecretKey::from_secret_bytes(*bytes)
            .map_err(|_| KeyError::InvalidSecretKey)?;
        let public = PublicKey(secp256k1::PublicKey::from_secret_key(&secret));
        Self::with_public_key(bytes, public)
    }

    /// The key whose scalar is these 32 big-endian bytes and whose public key is `public`, for a
    /// pair held bound together elsewhere (a keystore's row: its sealing names the address that
    /// `public` hashes to), so that opening it multiplies nothing. A `public` that is not the
    /// scalar's makes signatures that do not verify, which every transaction's check refuses.
    pub fn with_public_key(bytes: &[u8; 32], public: PublicKey) -> Result<Self, KeyError> {
        let scalar = Option::from(NonZeroScalar::from_repr((*bytes).into()))
            .ok_or(KeyError::InvalidSecretKey)?;
        Ok(Self { scalar, public })
    }

    /// The scalar as 32 big-endian bytes, for the keystore to encrypt.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.scalar.to_repr().into()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Signs a 32-byte digest (RFC 6979 nonces, low-S), with k256: libsecp256k1 re-randomizes
    /// its context after every signature, which made signing slower there.
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Signature {
        ecdsa::hazmat::sign_prehashed_rfc6979::<Secp256k1, sha2::Sha256>(&self.scalar, digest, &[])
            .0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<hidden>)")
    }
}

/// A public key; on the wire always 33 bytes, compressed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(secp256k1::PublicKey);

impl PublicKey {
    /// Parses a compressed SEC1 point. Uncompressed points are refused, so that one key has
    /// exactly one encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let bad = || KeyError::InvalidPublicKey(hex::encode(&bytes[..bytes.len().min(40)]));
        let compressed: [u8; 33] = bytes.try_into().map_err(|_| bad())?;
        secp256k1::PublicKey::from_byte_array_compressed(compressed)
            .map(Self)
            .map_err(|_| bad())
    }

    /// The compressed encoding.
    pub fn to_bytes(&self) -> [u8; 33] {
        self.0.serialize()
    }

    /// `HASH160` of the compressed encoding: what outputs are locked to.
    pub fn pubkey_hash(&self) -> PubkeyHash {
        PubkeyHash(hash160(&self.to_bytes()))
    }

    /// The address of this key.
    pub fn address(&self) -> Address {
        Address::from(self.pubkey_hash())
    }

    /// Verifies a signature over a 32-byte digest. High-S signatures are refused, so a valid
    /// signature cannot be altered into a second valid one.
    pub fn verify_digest(&self, digest: &[u8; 32], signature: &Signature) -> bool {
        if signature.normalize_s() != *signature {
            return false;
        }
        let Ok(signature) = secp256k1::ecdsa::Signature::from_compact(&signature.to_bytes()) else {
            return false;
        };
        signature
            .verify(Message::from_digest(*digest), &self.0)
            .is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.to_bytes()))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_round_trips_and_signatures_verify() {
        let key = SecretKey::generate().unwrap();
        let public = key.public_key();
        assert_eq!(PublicKey::from_bytes(&public.to_bytes()), Ok(public));
        let digest = [7u8; 32];
        let sig = key.sign_digest(&digest);
        assert!(public.verify_digest(&digest, &sig));
        assert!(!public.verify_digest(&[8u8; 32], &sig));
    }

    #[test]
    fn a_key_opened_with_its_public_key_signs_as_the_key() {
        let key = SecretKey::from_bytes(&[3u8; 32]).unwrap();
        let opened = SecretKey::with_public_key(&key.to_bytes(), key.public_key()).unwrap();
        assert_eq!(opened.public_key(), key.public_key());
        let digest = [5u8; 32];
        assert_eq!(opened.sign_digest(&digest), key.sign_digest(&digest));
        assert!(SecretKey::with_public_key(&[0u8; 32], key.public_key()).is_err());
    }

    #[test]
    fn high_s_signatures_are_refused() {
        let key = SecretKey::from_bytes(&[1u8; 32]).unwrap();
        let digest = [9u8; 32];
        let sig = key.sign_digest(&digest);
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        assert!(!key.public_key().verify_digest(&digest, &high));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(
            SecretKey::from_bytes(&[0u8; 32]).err(),
            Some(KeyError::InvalidSecretKey)
        );
        assert!(PublicKey::from_bytes(&[2u8; 32]).is_err());
        assert!(PublicKey::from_bytes(&[5u8; 33]).is_err());
        assert!(format!("{:?}", SecretKey::from_bytes(&[1u8; 32]).unwrap()).contains("hidden"));
    }
}
