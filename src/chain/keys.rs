//! secp256k1 key pairs. Public keys travel as 33-byte compressed SEC1 points.

use std::fmt;

use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use k256::elliptic_curve::Generate;
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
    /// Signing failed (only for a digest of the wrong length).
    #[error("signing failed")]
    Signing,
}

/// A secret key. It never leaves the node: there is no `Display`, and `Debug` hides it.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        SigningKey::try_generate()
            .map(Self)
            .map_err(|_| KeyError::Rng)
    }

    /// The key whose scalar is these 32 big-endian bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        SigningKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| KeyError::InvalidSecretKey)
    }

    /// The scalar as 32 big-endian bytes, for the keystore to encrypt.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes().into()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(*self.0.verifying_key())
    }

    /// Signs a 32-byte digest (RFC 6979 nonces, low-S).
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Signature, KeyError> {
        self.0.sign_prehash(digest).map_err(|_| KeyError::Signing)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<hidden>)")
    }
}

/// A public key; on the wire always 33 bytes, compressed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses a compressed SEC1 point. Uncompressed points are refused, so that one key has
    /// exactly one encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let bad = || KeyError::InvalidPublicKey(hex::encode(&bytes[..bytes.len().min(40)]));
        if bytes.len() != 33 {
            return Err(bad());
        }
        VerifyingKey::from_sec1_bytes(bytes)
            .map(Self)
            .map_err(|_| bad())
    }

    /// The compressed encoding.
    pub fn to_bytes(&self) -> [u8; 33] {
        let point = self.0.to_sec1_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(point.as_bytes());
        out
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
        signature.normalize_s() == *signature && self.0.verify_prehash(digest, signature).is_ok()
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
        let sig = key.sign_digest(&digest).unwrap();
        assert!(public.verify_digest(&digest, &sig));
        assert!(!public.verify_digest(&[8u8; 32], &sig));
    }

    #[test]
    fn high_s_signatures_are_refused() {
        let key = SecretKey::from_bytes(&[1u8; 32]).unwrap();
        let digest = [9u8; 32];
        let sig = key.sign_digest(&digest).unwrap();
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
