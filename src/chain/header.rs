//! The block header and its 88-byte encoding.
//!
//! Layout: `version u32 ‖ prev_hash [32] ‖ merkle_root [32] ‖ timestamp u64 ‖ bits u32 ‖ nonce u64`,
//! integers little-endian. The nonce sits in the last 8 bytes, all inside the second SHA-256 block,
//! so a nonce search hashes the first 64 bytes once (see [`super::pow`]).

use super::encoding::{DecodeError, Reader};
use super::hash::{BlockHash, MerkleRoot, sha256d};

/// The header format version this code writes.
pub const BLOCK_VERSION: u32 = 1;

/// Encoded header length in bytes.
pub const HEADER_LEN: usize = 88;

/// A block header: what proof of work is done over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Format version, [`BLOCK_VERSION`].
    pub version: u32,
    /// Hash of the previous block; zero for genesis.
    pub prev_hash: BlockHash,
    /// Merkle root of the block's txids.
    pub merkle_root: MerkleRoot,
    /// Seconds since the Unix epoch when mining started.
    pub timestamp: u64,
    /// Leading zero bits the hash must have.
    pub bits: u32,
    /// Varied by the miner until the hash meets `bits`.
    pub nonce: u64,
}

impl BlockHeader {
    /// The 88-byte encoding.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&self.version.to_le_bytes());
        out[4..36].copy_from_slice(self.prev_hash.as_bytes());
        out[36..68].copy_from_slice(self.merkle_root.as_bytes());
        out[68..76].copy_from_slice(&self.timestamp.to_le_bytes());
        out[76..80].copy_from_slice(&self.bits.to_le_bytes());
        out[80..88].copy_from_slice(&self.nonce.to_le_bytes());
        out
    }

    pub(crate) fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            version: r.u32()?,
            prev_hash: BlockHash(r.array()?),
            merkle_root: MerkleRoot(r.array()?),
            timestamp: r.u64()?,
            bits: r.u32()?,
            nonce: r.u64()?,
        })
    }

    /// Decodes exactly one header.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let header = Self::decode_from(&mut r)?;
        r.finish()?;
        Ok(header)
    }

    /// Double SHA-256 of the encoding.
    pub fn hash(&self) -> BlockHash {
        BlockHash(sha256d(&self.encode()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn header_round_trips(v: u32, p: [u8; 32], m: [u8; 32], t: u64, b: u32, n: u64) {
            let h = BlockHeader { version: v, prev_hash: BlockHash(p), merkle_root: MerkleRoot(m), timestamp: t, bits: b, nonce: n };
            prop_assert_eq!(BlockHeader::decode(&h.encode()), Ok(h));
        }
    }
}
