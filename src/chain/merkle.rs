//! The merkle root over a block's txids.
//!
//! Each level hashes pairs `SHA256d(left ‖ right)`; an odd level pairs its last txid with itself.
//! That rule lets two different lists share a root (`[a, b, c]` and `[a, b, c, c]`), which is why a
//! block with a duplicate txid is invalid: see [`first_duplicate`].

use std::collections::HashSet;

use super::hash::{MerkleRoot, Txid, sha256d};

/// The merkle root of `txids` (all zeros for an empty list; a valid block is never empty).
pub fn merkle_root(txids: &[Txid]) -> MerkleRoot {
    if txids.is_empty() {
        return MerkleRoot::ZERO;
    }
    let mut level: Vec<[u8; 32]> = txids.iter().map(|t| t.0).collect();
    let mut pair = [0u8; 64];
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|chunk| {
                let right = chunk.get(1).unwrap_or(&chunk[0]);
                pair[..32].copy_from_slice(&chunk[0]);
                pair[32..].copy_from_slice(right);
                sha256d(&pair)
            })
            .collect();
    }
    MerkleRoot(level[0])
}

/// The first txid that occurs twice, if any.
pub fn first_duplicate(txids: &[Txid]) -> Option<Txid> {
    let mut seen = HashSet::with_capacity(txids.len());
    txids.iter().copied().find(|t| !seen.insert(*t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(b: u8) -> Txid {
        Txid([b; 32])
    }

    fn pair(a: [u8; 32], b: [u8; 32]) -> [u8; 32] {
        sha256d(&[a, b].concat())
    }

    #[test]
    fn one_txid_is_its_own_root() {
        assert_eq!(merkle_root(&[t(1)]).0, t(1).0);
    }

    #[test]
    fn odd_levels_pair_the_last_with_itself() {
        let ab = pair(t(1).0, t(2).0);
        let cc = pair(t(3).0, t(3).0);
        assert_eq!(merkle_root(&[t(1), t(2), t(3)]).0, pair(ab, cc));
        assert_eq!(
            merkle_root(&[t(1), t(2), t(3)]),
            merkle_root(&[t(1), t(2), t(3), t(3)])
        );
    }

    #[test]
    fn duplicates_are_found() {
        assert_eq!(first_duplicate(&[t(1), t(2), t(1)]), Some(t(1)));
        assert_eq!(first_duplicate(&[t(1), t(2)]), None);
    }
}
