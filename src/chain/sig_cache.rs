//! Signatures already verified, as Bitcoin Core's signature cache: an ECDSA verification costs
//! about 40 µs here (libsecp256k1), and the same signature is checked more than once — when its
//! transaction enters the pool and again when a block mines it. An entry names everything a
//! verification looked at (the digest, which commits to the spent output, the public key and
//! the signature), so a hit means exactly that verification passed before. Only passes are kept.
//! Bounded: two generations of at most half the bound each; when the newer fills, the older is
//! dropped.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

/// Entries kept at most (32 bytes each, about 8 MiB with the sets' overhead).
pub const SIG_CACHE_ENTRIES: usize = 1 << 17;

/// The verified signatures of this process.
static CACHE: Mutex<Generations> = Mutex::new(Generations {
    newer: None,
    older: None,
});

struct Generations {
    newer: Option<HashSet<[u8; 32]>>,
    older: Option<HashSet<[u8; 32]>>,
}

fn key(digest: &[u8; 32], public_key: &[u8; 33], signature: &[u8; 64]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(digest);
    hasher.update(public_key);
    hasher.update(signature);
    hasher.finalize().into()
}

/// Whether this signature of `digest` under `public_key` was verified before.
pub fn verified_before(digest: &[u8; 32], public_key: &[u8; 33], signature: &[u8; 64]) -> bool {
    let key = key(digest, public_key, signature);
    let cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    [&cache.newer, &cache.older]
        .into_iter()
        .flatten()
        .any(|set| set.contains(&key))
}

/// Records that this signature verified.
pub fn remember(digest: &[u8; 32], public_key: &[u8; 33], signature: &[u8; 64]) {
    let key = key(digest, public_key, signature);
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    let newer = cache.newer.get_or_insert_with(HashSet::new);
    newer.insert(key);
    if newer.len() >= SIG_CACHE_ENTRIES / 2 {
        cache.older = cache.newer.take();
    }
}

/// Forgets every entry: a benchmark running several nodes in one process measures each node's
/// own verifications (nodes in separate processes never share entries).
pub fn clear() {
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    cache.newer = None;
    cache.older = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_was_remembered_is_found_and_the_oldest_go_first() {
        let entry = |n: u32| {
            let mut digest = [0u8; 32];
            digest[..4].copy_from_slice(&n.to_le_bytes());
            digest[4] = 0xa5; // apart from other tests' entries
            (digest, [2u8; 33], [3u8; 64])
        };
        let (d, k, s) = entry(0);
        assert!(!verified_before(&d, &k, &s));
        remember(&d, &k, &s);
        assert!(verified_before(&d, &k, &s));
        let mut other = s;
        other[0] ^= 1;
        assert!(!verified_before(&d, &k, &other));
        // Two generations later the first entry is gone.
        for n in 1..=SIG_CACHE_ENTRIES as u32 {
            let (d, k, s) = entry(n);
            remember(&d, &k, &s);
        }
        assert!(!verified_before(&d, &k, &s));
    }
}
