//! A peer's chain as headers, checked before any of its bodies is asked for (headers-first
//! sync, as Bitcoin Core does since 0.10): each header links to the one before, declares the
//! chain's difficulty and carries proof of work that meets it. Every block needs the same work,
//! so the chain's work follows from its height, and a chain of headers shows whether the
//! peer's branch has more work than ours before a single body travels.

use thiserror::Error;

use super::block::ChainTip;
use super::block_error::BlockError;
use super::encoding::DecodeError;
use super::hash::BlockHash;
use super::header::{BlockHeader, HEADER_LEN};
use super::header_rules::check_header;
use super::params::Params;

/// Why a peer's headers are refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderChainError {
    /// The bytes are not a whole number of headers.
    #[error("{0} bytes of headers: not a multiple of {HEADER_LEN}")]
    Length(usize),
    /// A header does not decode.
    #[error("a header does not decode: {0}")]
    Decode(#[from] DecodeError),
    /// A header does not follow the one before it (or the block it should start from).
    #[error("the header at height {height} follows {found}, not {expected}")]
    Unlinked {
        /// Its height on the peer's chain.
        height: u64,
        /// What it should follow.
        expected: BlockHash,
        /// What it names.
        found: BlockHash,
    },
    /// A header breaks a rule a header alone shows.
    #[error("the header at height {height}: {error}")]
    Invalid {
        /// Its height on the peer's chain.
        height: u64,
        /// The rule.
        error: BlockError,
    },
}

/// Headers in their wire form: encodings of [`HEADER_LEN`] bytes, one after another.
pub fn decode_headers(bytes: &[u8]) -> Result<Vec<BlockHeader>, HeaderChainError> {
    if !bytes.len().is_multiple_of(HEADER_LEN) {
        return Err(HeaderChainError::Length(bytes.len()));
    }
    Ok(bytes
        .chunks_exact(HEADER_LEN)
        .map(BlockHeader::decode)
        .collect::<Result<_, _>>()?)
}

/// Headers in their wire form.
pub fn encode_headers(headers: &[BlockHeader]) -> Vec<u8> {
    headers.iter().flat_map(|h| h.encode()).collect()
}

/// A run of checked headers on top of a block both chains share (or from genesis): only their
/// hashes are kept, 32 bytes a block, to check each body against when it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderChain {
    /// The block the run starts after; `None` when it starts with a genesis block.
    fork: Option<ChainTip>,
    hashes: Vec<BlockHash>,
}

impl HeaderChain {
    /// An empty run on top of `fork`.
    pub fn after(fork: Option<ChainTip>) -> Self {
        Self {
            fork,
            hashes: Vec::new(),
        }
    }

    /// The block the run starts after.
    pub fn fork(&self) -> Option<ChainTip> {
        self.fork
    }

    /// The last header's block (the fork when the run is empty).
    pub fn tip(&self) -> Option<ChainTip> {
        match self.hashes.last() {
            Some(&hash) => Some(ChainTip {
                hash,
                height: self.height_of(self.hashes.len() - 1),
            }),
            None => self.fork,
        }
    }

    /// Headers in the run.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the run has no header.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The hash of the run's block at `height`, if the run has one there.
    pub fn hash_at(&self, height: u64) -> Option<BlockHash> {
        let first = self.fork.map_or(0, |f| f.height + 1);
        let index = usize::try_from(height.checked_sub(first)?).ok()?;
        self.hashes.get(index).copied()
    }

    fn height_of(&self, index: usize) -> u64 {
        self.fork.map_or(0, |f| f.height + 1) + index as u64
    }

    /// Appends `headers`, in order: each must follow the last (the first, the fork, or nothing
    /// for a genesis block) and pass [`check_header`]. On a refusal the run is as it was.
    pub fn extend(
        &mut self,
        headers: &[BlockHeader],
        params: &Params,
    ) -> Result<(), HeaderChainError> {
        let mut added = Vec::with_capacity(headers.len());
        let mut last = self.tip();
        for header in headers {
            let (height, expected) = ChainTip::next(last.as_ref());
            if header.prev_hash != expected {
                return Err(HeaderChainError::Unlinked {
                    height,
                    expected,
                    found: header.prev_hash,
                });
            }
            check_header(header, params)
                .map_err(|error| HeaderChainError::Invalid { height, error })?;
            let hash = header.hash();
            added.push(hash);
            last = Some(ChainTip { hash, height });
        }
        self.hashes.extend(added);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::testing::{ChainBuilder, GENESIS_TIME, pkh, tip_of};

    fn headers(builder: &ChainBuilder, count: u64) -> Vec<BlockHeader> {
        let mut tip = None;
        (0..count)
            .map(|height| {
                let block = builder.block_paying(tip.as_ref(), pkh(1), GENESIS_TIME + height);
                tip = Some(tip_of(&block, height));
                block.header
            })
            .collect()
    }

    #[test]
    fn a_chain_of_headers_is_checked_link_by_link() {
        let builder = ChainBuilder::with_bits(4);
        let all = headers(&builder, 6);
        let wire = encode_headers(&all);
        assert_eq!(decode_headers(&wire).unwrap(), all);
        assert_eq!(
            decode_headers(&wire[..HEADER_LEN + 1]),
            Err(HeaderChainError::Length(HEADER_LEN + 1))
        );

        let mut chain = HeaderChain::after(None);
        chain.extend(&all[..3], &builder.params).unwrap();
        chain.extend(&all[3..], &builder.params).unwrap();
        let tip = ChainTip {
            hash: all[5].hash(),
            height: 5,
        };
        assert_eq!(chain.tip(), Some(tip));
        assert_eq!(chain.hash_at(0), Some(all[0].hash()));
        assert_eq!(chain.hash_at(6), None);

        // From a shared block: heights follow it.
        let fork = Some(ChainTip {
            hash: all[1].hash(),
            height: 1,
        });
        let mut chain = HeaderChain::after(fork);
        chain.extend(&all[2..], &builder.params).unwrap();
        assert_eq!(chain.hash_at(1), None);
        assert_eq!(chain.hash_at(2), Some(all[2].hash()));
        assert_eq!(chain.tip().unwrap().height, 5);

        // A gap, a wrong difficulty, no proof of work: refused, and the run is unchanged.
        let before = chain.clone();
        assert!(matches!(
            chain.extend(&all[1..2], &builder.params),
            Err(HeaderChainError::Unlinked { height: 6, .. })
        ));
        let mut tampered = all[5];
        tampered.prev_hash = chain.tip().unwrap().hash;
        tampered.bits = 3;
        assert!(matches!(
            chain.extend(&[tampered], &builder.params),
            Err(HeaderChainError::Invalid { height: 6, .. })
        ));
        tampered.bits = builder.params.difficulty_bits;
        while crate::chain::pow::meets_difficulty(&tampered.hash(), tampered.bits) {
            tampered.nonce += 1;
        }
        assert!(matches!(
            chain.extend(&[tampered], &builder.params),
            Err(HeaderChainError::Invalid {
                error: BlockError::InsufficientWork { .. },
                ..
            })
        ));
        assert_eq!(chain, before);
    }
}
