//! The chain archive: the file `pocket export` writes and `pocket import` reads. Its layout is in
//! `docs/protocol.md` ("Chain archive"): a fixed header naming the format version and the chain
//! parameters, the blocks in their canonical encoding, each framed by its length, optionally the
//! sealed keystore, and a SHA-256 of everything before it.
//!
//! Decoding trusts nothing: every length and count is checked against the bytes that remain
//! (and a frame against [`MAX_BLOCK_BYTES`]) before anything is allocated.

use sha2::{Digest, Sha256};
use thiserror::Error;

use super::block::Block;
use super::encoding::{DecodeError, Reader};
use super::keys::PublicKey;
use super::params::Params;
use super::premine::Premine;

/// The file's first eight bytes.
pub const MAGIC: [u8; 8] = *b"POCKETCH";
/// The format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest framed block accepted.
pub const MAX_BLOCK_BYTES: u32 = 32 * 1024 * 1024;
/// Flag bit: a keystore section follows the blocks.
const FLAG_KEYSTORE: u32 = 1;
/// Flag bit: the chain's premine follows the flags (absent: a chain without one).
const FLAG_PREMINE: u32 = 2;
/// Smallest block frame: length, header, transaction count, one minimal transaction.
const MIN_FRAME: usize = 4 + 88 + 4 + 12;
/// Smallest keystore entry: public key, nonce length, ciphertext length, creation time.
const MIN_WALLET: usize = 33 + 1 + 2 + 8;
/// Bytes of the trailing checksum.
const CHECKSUM_LEN: usize = 32;

/// The parameters a chain's nodes must share, as the archive records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveParams {
    /// Leading zero bits a block hash needs.
    pub difficulty_bits: u32,
    /// Units paid per block.
    pub block_reward: u64,
    /// Most transactions per block.
    pub max_block_txs: u32,
    /// What the genesis coinbase pays besides the reward.
    pub premine: Premine,
}

impl From<&Params> for ArchiveParams {
    fn from(params: &Params) -> Self {
        Self {
            difficulty_bits: params.difficulty_bits,
            block_reward: params.block_reward,
            max_block_txs: params.max_block_txs as u32,
            premine: params.premine.clone(),
        }
    }
}

impl ArchiveParams {
    /// The chain parameters the archive records; fields it does not record take their defaults.
    pub fn to_params(&self) -> Params {
        Params {
            difficulty_bits: self.difficulty_bits,
            block_reward: self.block_reward,
            max_block_txs: self.max_block_txs as usize,
            premine: self.premine.clone(),
            ..Params::default()
        }
    }
}

/// A keystore wallet as archived: its public key and its secret key sealed by the keystore key
/// (readable only by a node holding the same key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedWallet {
    /// The wallet's public key.
    pub public_key: PublicKey,
    /// The AEAD nonce.
    pub nonce: Vec<u8>,
    /// The sealed secret key and tag.
    pub ciphertext: Vec<u8>,
    /// When the wallet was created, Unix milliseconds.
    pub created_at: i64,
}

/// A whole chain, ready to write or just read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// The chain's parameters.
    pub params: ArchiveParams,
    /// Blocks from genesis, in height order.
    pub blocks: Vec<Block>,
    /// The sealed keystore, if it was exported.
    pub wallets: Option<Vec<ArchivedWallet>>,
}

/// Why bytes are not a chain archive.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArchiveError {
    /// Not even a header and a checksum.
    #[error("not a chain archive: {0} bytes is too short")]
    TooShort(usize),
    /// The first eight bytes are not [`MAGIC`].
    #[error("not a chain archive: wrong magic bytes")]
    BadMagic,
    /// Another format version.
    #[error(
        "archive format version {0} is not supported (this build reads version {FORMAT_VERSION})"
    )]
    UnsupportedVersion(u32),
    /// Flag bits this version does not define.
    #[error("archive has unknown flags {0:#x}")]
    UnknownFlags(u32),
    /// The header could not be read.
    #[error("archive header: {0}")]
    Header(DecodeError),
    /// A block's frame (its length, or the bytes it announces) is broken.
    #[error("block at height {height}: {source}")]
    Frame {
        /// The frame's position, which is the block's height.
        height: u64,
        /// What is wrong.
        source: DecodeError,
    },
    /// More frames than were asked for.
    #[error("more than the {0} blocks asked for")]
    TooManyFrames(usize),
    /// A frame longer than [`MAX_BLOCK_BYTES`].
    #[error("block at height {height}: {length} bytes exceeds the {MAX_BLOCK_BYTES}-byte limit")]
    FrameTooLarge {
        /// The block's height.
        height: u64,
        /// The length announced.
        length: u32,
    },
    /// The keystore section is broken.
    #[error("keystore entry {index}: {reason}")]
    Wallet {
        /// The entry's position.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The checksum does not match: the file was damaged or cut.
    #[error("archive checksum does not match its contents (damaged or truncated file)")]
    Checksum,
}

impl Archive {
    /// The archive's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&self.params.difficulty_bits.to_le_bytes());
        out.extend_from_slice(&self.params.block_reward.to_le_bytes());
        out.extend_from_slice(&self.params.max_block_txs.to_le_bytes());
        let mut flags = 0;
        if self.wallets.is_some() {
            flags |= FLAG_KEYSTORE;
        }
        if !self.params.premine.is_empty() {
            flags |= FLAG_PREMINE;
        }
        out.extend_from_slice(&flags.to_le_bytes());
        if !self.params.premine.is_empty() {
            out.extend_from_slice(&self.params.premine.encode());
        }
        out.extend_from_slice(&(self.blocks.len() as u32).to_le_bytes());
        for block in &self.blocks {
            write_frame(&mut out, &block.encode());
        }
        if let Some(wallets) = &self.wallets {
            out.extend_from_slice(&(wallets.len() as u32).to_le_bytes());
            for wallet in wallets {
                out.extend_from_slice(&wallet.public_key.to_bytes());
                out.push(wallet.nonce.len() as u8);
                out.extend_from_slice(&wallet.nonce);
                out.extend_from_slice(&(wallet.ciphertext.len() as u16).to_le_bytes());
                out.extend_from_slice(&wallet.ciphertext);
                out.extend_from_slice(&wallet.created_at.to_le_bytes());
            }
        }
        let checksum = Sha256::digest(&out);
        out.extend_from_slice(&checksum);
        out
    }

    /// Reads an archive. Blocks are decoded, not validated: that needs a chainstate.
    pub fn decode(bytes: &[u8]) -> Result<Self, ArchiveError> {
        let (body, checksum) = split(bytes)?;
        let mut r = Reader::new(&body[MAGIC.len()..]);
        let header = read_header(&mut r)?;
        let count = r.count("block", MIN_FRAME).map_err(ArchiveError::Header)?;
        let mut blocks = Vec::with_capacity(count);
        for height in 0..count as u64 {
            blocks.push(read_frame(&mut r, height)?);
        }
        let wallets = if header.keystore {
            Some(decode_wallets(&mut r)?)
        } else {
            None
        };
        r.finish().map_err(ArchiveError::Header)?;
        if Sha256::digest(body).as_slice() != checksum {
            return Err(ArchiveError::Checksum);
        }
        Ok(Self {
            params: header.params,
            blocks,
            wallets,
        })
    }
}

/// What an archive's header says, read without decoding its blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveHeader {
    /// The chain's parameters.
    pub params: ArchiveParams,
    /// Whether a sealed keystore follows the blocks.
    pub keystore: bool,
}

impl ArchiveHeader {
    /// Reads the header only, so a caller can refuse an archive (other parameters, a keystore
    /// it cannot open) before creating anything. The checksum is checked by [`Archive::decode`].
    pub fn peek(bytes: &[u8]) -> Result<Self, ArchiveError> {
        let (body, _) = split(bytes)?;
        read_header(&mut Reader::new(&body[MAGIC.len()..]))
    }
}

/// The body after the magic bytes, and the checksum.
fn split(bytes: &[u8]) -> Result<(&[u8], &[u8]), ArchiveError> {
    if bytes.len() < MAGIC.len() + 28 + CHECKSUM_LEN {
        return Err(ArchiveError::TooShort(bytes.len()));
    }
    if bytes[..MAGIC.len()] != MAGIC {
        return Err(ArchiveError::BadMagic);
    }
    Ok(bytes.split_at(bytes.len() - CHECKSUM_LEN))
}

/// Encoded blocks framed as the archive frames them (length, then the block), back to back with
/// no header: the body of a peer's `GET /blocks` answer.
pub fn frame_blocks(blocks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(blocks.iter().map(|b| b.len() + 4).sum());
    for bytes in blocks {
        write_frame(&mut out, bytes);
    }
    out
}

/// The blocks of a run of frames ([`frame_blocks`]), at most `max` of them, frame `i` reported
/// as height `from + i`.
pub fn unframe_blocks(bytes: &[u8], from: u64, max: usize) -> Result<Vec<Block>, ArchiveError> {
    let mut r = Reader::new(bytes);
    let mut blocks = Vec::new();
    while r.remaining() > 0 {
        if blocks.len() == max {
            return Err(ArchiveError::TooManyFrames(max));
        }
        blocks.push(read_frame(&mut r, from + blocks.len() as u64)?);
    }
    Ok(blocks)
}

/// One frame: the block's length, then the block.
fn write_frame(out: &mut Vec<u8>, block: &[u8]) {
    out.extend_from_slice(&(block.len() as u32).to_le_bytes());
    out.extend_from_slice(block);
}

/// The block of the frame at `height`: its length checked against [`MAX_BLOCK_BYTES`] and the
/// bytes that remain before anything is allocated.
fn read_frame(r: &mut Reader<'_>, height: u64) -> Result<Block, ArchiveError> {
    let frame = |source| ArchiveError::Frame { height, source };
    let length = r.u32().map_err(frame)?;
    if length > MAX_BLOCK_BYTES {
        return Err(ArchiveError::FrameTooLarge { height, length });
    }
    let bytes = r.take(length as usize).map_err(frame)?;
    Block::decode(bytes).map_err(frame)
}

fn read_header(r: &mut Reader<'_>) -> Result<ArchiveHeader, ArchiveError> {
    let version = r.u32().map_err(ArchiveError::Header)?;
    if version != FORMAT_VERSION {
        return Err(ArchiveError::UnsupportedVersion(version));
    }
    let difficulty_bits = r.u32().map_err(ArchiveError::Header)?;
    let block_reward = r.u64().map_err(ArchiveError::Header)?;
    let max_block_txs = r.u32().map_err(ArchiveError::Header)?;
    let flags = r.u32().map_err(ArchiveError::Header)?;
    if flags & !(FLAG_KEYSTORE | FLAG_PREMINE) != 0 {
        return Err(ArchiveError::UnknownFlags(flags));
    }
    let premine = if flags & FLAG_PREMINE != 0 {
        Premine::read(r).map_err(ArchiveError::Header)?
    } else {
        Premine::default()
    };
    let params = ArchiveParams {
        difficulty_bits,
        block_reward,
        max_block_txs,
        premine,
    };
    Ok(ArchiveHeader {
        params,
        keystore: flags & FLAG_KEYSTORE != 0,
    })
}

fn decode_wallets(r: &mut Reader<'_>) -> Result<Vec<ArchivedWallet>, ArchiveError> {
    let count = r
        .count("keystore entry", MIN_WALLET)
        .map_err(ArchiveError::Header)?;
    let mut wallets = Vec::with_capacity(count);
    for index in 0..count {
        let bad = |reason: String| ArchiveError::Wallet { index, reason };
        let public_key = r.array::<33>().map_err(|e| bad(e.to_string()))?;
        let public_key = PublicKey::from_bytes(&public_key).map_err(|e| bad(e.to_string()))?;
        let nonce_len = r.u8().map_err(|e| bad(e.to_string()))?;
        let nonce = r.take(nonce_len.into()).map_err(|e| bad(e.to_string()))?;
        let ciphertext_len = u16::from_le_bytes(r.array().map_err(|e| bad(e.to_string()))?);
        let ciphertext = r
            .take(ciphertext_len.into())
            .map_err(|e| bad(e.to_string()))?;
        let created_at = r.u64().map_err(|e| bad(e.to_string()))?;
        // Milliseconds since 1970 as written by export: a value past i64 is no time at all.
        let created_at = i64::try_from(created_at)
            .map_err(|_| bad(format!("created at {created_at} ms is out of range")))?;
        wallets.push(ArchivedWallet {
            public_key,
            nonce: nonce.to_vec(),
            ciphertext: ciphertext.to_vec(),
            created_at,
        });
    }
    Ok(wallets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::testing::{ChainBuilder, key, pkh};
    use proptest::prelude::*;

    fn sample() -> Archive {
        let mut chain = ChainBuilder::new();
        chain.mine(pkh(1), vec![]);
        let tx = chain.pay(1, pkh(2), 3);
        chain.mine(pkh(1), vec![tx]);
        Archive {
            params: ArchiveParams::from(&chain.params),
            blocks: chain.blocks.clone(),
            wallets: Some(vec![ArchivedWallet {
                public_key: key(1).public_key(),
                nonce: vec![7; 12],
                ciphertext: vec![9; 48],
                created_at: 1_700_000_000_000,
            }]),
        }
    }

    #[test]
    fn block_batches_round_trip_and_lying_frames_are_refused() {
        let blocks = sample().blocks;
        let encoded: Vec<Vec<u8>> = blocks.iter().map(Block::encode).collect();
        let batch = frame_blocks(&encoded);
        assert_eq!(unframe_blocks(&batch, 0, 10), Ok(blocks.clone()));
        assert_eq!(unframe_blocks(&[], 0, 10), Ok(vec![]));
        assert_eq!(
            unframe_blocks(&batch, 0, blocks.len() - 1),
            Err(ArchiveError::TooManyFrames(blocks.len() - 1))
        );
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(&[0; 100]);
        assert!(matches!(
            unframe_blocks(&huge, 7, 10),
            Err(ArchiveError::FrameTooLarge { height: 7, .. })
        ));
        assert!(matches!(
            unframe_blocks(&batch[..batch.len() - 1], 0, 10),
            Err(ArchiveError::Frame { .. })
        ));
    }

    #[test]
    fn an_archive_round_trips() {
        let archive = sample();
        assert_eq!(Archive::decode(&archive.encode()), Ok(archive.clone()));
        let bare = Archive {
            wallets: None,
            ..archive
        };
        assert_eq!(Archive::decode(&bare.encode()), Ok(bare));
    }

    #[test]
    fn the_header_is_read_alone_and_a_creation_time_past_i64_is_refused() {
        let archive = sample();
        let header = ArchiveHeader::peek(&archive.encode()).unwrap();
        assert_eq!(header.params, archive.params);
        assert!(header.keystore);
        let mut wallets = archive.wallets.clone().unwrap();
        wallets[0].created_at = -1; // written as 2^64 - 1
        let bytes = Archive {
            wallets: Some(wallets),
            ..archive
        }
        .encode();
        assert!(matches!(
            Archive::decode(&bytes),
            Err(ArchiveError::Wallet { index: 0, reason }) if reason.contains("out of range")
        ));
    }

    #[test]
    fn damaged_archives_are_refused_with_their_reason() {
        let bytes = sample().encode();
        assert_eq!(
            Archive::decode(&bytes[..20]),
            Err(ArchiveError::TooShort(20))
        );
        let mut wrong = bytes.clone();
        wrong[0] = b'X';
        assert_eq!(Archive::decode(&wrong), Err(ArchiveError::BadMagic));
        let mut version = bytes.clone();
        version[8] = 2;
        assert_eq!(
            Archive::decode(&version),
            Err(ArchiveError::UnsupportedVersion(2))
        );
        let mut count = bytes.clone();
        count[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            Archive::decode(&count),
            Err(ArchiveError::Header(DecodeError::CountTooLarge { .. }))
        ));
        let mut huge = bytes.clone();
        huge[36..40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            Archive::decode(&huge),
            Err(ArchiveError::FrameTooLarge { height: 0, .. })
        ));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 40;
        flipped[last] ^= 1;
        assert_eq!(Archive::decode(&flipped), Err(ArchiveError::Checksum));
        let cut = &bytes[..bytes.len() - 100];
        assert!(Archive::decode(cut).is_err());
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut with_magic = MAGIC.to_vec();
            with_magic.extend_from_slice(&bytes);
            let _ = Archive::decode(&bytes);
            let _ = Archive::decode(&with_magic);
        }

        #[test]
        fn every_truncation_is_refused(cut in 0usize..1000) {
            let bytes = sample().encode();
            let cut = cut % bytes.len();
            prop_assert!(Archive::decode(&bytes[..cut]).is_err());
        }
    }
}
