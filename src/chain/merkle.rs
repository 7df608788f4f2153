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

/// The path from `txids[index]` up to the root: at each level, bottom-up, the hash it is paired
/// with (itself, when it is the last of an odd level). `None` if `index` is out of range.
pub fn merkle_proof(txids: &[Txid], index: usize) -> Option<Vec<[u8; 32]>> {
    if index >= txids.len() {
        return None;
    }
    let mut level: Vec<[u8; 32]> = txids.iter().map(|t| t.0).collect();
    let mut position = index;
    let mut siblings = Vec::new();
    while level.len() > 1 {
        let sibling = position ^ 1;
        siblings.push(*level.get(sibling).unwrap_or(&level[position]));
        level = level
            .chunks(2)
            .map(|chunk| {
                let right = chunk.get(1).unwrap_or(&chunk[0]);
                sha256d(&[chunk[0], *right].concat())
            })
            .collect();
        position /= 2;
    }
    Some(siblings)
}

/// The root a proof leads to: starting from `txid`, at each level hash `node ‖ sibling` when the
/// position is even and `sibling ‖ node` when odd, then halve the position. A proof is valid when
/// this equals the block's merkle root.
pub fn root_from_proof(txid: &Txid, index: usize, siblings: &[[u8; 32]]) -> MerkleRoot {
    let mut node = txid.0;
    let mut position = index;
    for sibling in siblings {
        node = if position.is_multiple_of(2) {
            sha256d(&[node, *sibling].concat())
        } else {
            sha256d(&[*sibling, node].concat())
        };
        position /= 2;
    }
    MerkleRoot(node)
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
    fn every_proof_leads_to_the_root() {
        for n in 1..=17u8 {
            let txids: Vec<Txid> = (1..=n).map(t).collect();
            let root = merkle_root(&txids);
            for index in 0..txids.len() {
                let proof = merkle_proof(&txids, index).unwrap();
                assert_eq!(proof.len(), (txids.len() as f64).log2().ceil() as usize);
                assert_eq!(
                    root_from_proof(&txids[index], index, &proof),
                    root,
                    "{n} {index}"
                );
                // Any other txid, position or sibling fails.
                assert_ne!(root_from_proof(&t(99), index, &proof), root);
                if let Some(first) = proof.first() {
                    let mut bent = proof.clone();
                    bent[0] = [first[0] ^ 1; 32];
                    assert_ne!(root_from_proof(&txids[index], index, &bent), root);
                }
            }
            assert_eq!(merkle_proof(&txids, txids.len()), None);
        }
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
