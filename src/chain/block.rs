//! Blocks: a header and its transactions, the coinbase first; their encoding and assembly.

use super::address::PubkeyHash;
use super::encoding::{DecodeError, Reader};
use super::hash::{BlockHash, Txid};
use super::header::{BLOCK_VERSION, BlockHeader, HEADER_LEN};
use super::merkle::merkle_root;
use super::params::Params;
use super::transaction::Transaction;

/// The last block of a chain: what a new block must link to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainTip {
    /// Its hash.
    pub hash: BlockHash,
    /// Its height (genesis is 0).
    pub height: u64,
}

impl ChainTip {
    /// Height and previous hash of the block that would follow `tip` (`None`: the genesis block).
    pub fn next(tip: Option<&ChainTip>) -> (u64, BlockHash) {
        match tip {
            Some(tip) => (tip.height + 1, tip.hash),
            None => (0, BlockHash::ZERO),
        }
    }
}

/// A block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// What proof of work covers.
    pub header: BlockHeader,
    /// The coinbase, then the block's other transactions.
    pub transactions: Vec<Transaction>,
}

/// Smallest encoded transaction: version + two counts.
const MIN_TX_SIZE: usize = 12;

impl Block {
    /// A candidate block after `tip`: a coinbase paying `params.block_reward` to `miner` (a
    /// premined genesis pays the premine instead), then
    /// `transactions`, with the merkle root filled in and nonce 0 (mine it with [`super::pow::search`]).
    pub fn candidate(
        tip: Option<&ChainTip>,
        miner: PubkeyHash,
        transactions: Vec<Transaction>,
        params: &Params,
        timestamp: u64,
    ) -> Self {
        let (height, prev_hash) = ChainTip::next(tip);
        let mut all = Vec::with_capacity(transactions.len() + 1);
        let mut coinbase = Transaction::coinbase(height, params.block_reward, miner);
        if height == 0 && !params.premine.is_empty() {
            // A premined genesis pays the premine alone: each account holds exactly its share.
            coinbase.outputs = params.premine.outputs().to_vec();
        }
        all.push(coinbase);
        all.extend(transactions);
        let txids: Vec<Txid> = all.iter().map(Transaction::txid).collect();
        Self {
            header: BlockHeader {
                version: BLOCK_VERSION,
                prev_hash,
                merkle_root: merkle_root(&txids),
                timestamp,
                bits: params.difficulty_bits,
                nonce: 0,
            },
            transactions: all,
        }
    }

    /// The header's hash.
    pub fn hash(&self) -> BlockHash {
        self.header.hash()
    }

    /// The height its coinbase states, if it opens with a well-formed coinbase.
    pub fn height(&self) -> Option<u64> {
        self.transactions
            .first()
            .and_then(Transaction::coinbase_height)
    }

    /// `header ‖ tx count u32 ‖ each transaction's encoding`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + 4 + self.transactions.len() * 200);
        out.extend_from_slice(&self.header.encode());
        out.extend_from_slice(&(self.transactions.len() as u32).to_le_bytes());
        for tx in &self.transactions {
            tx.encode_into(&mut out, true);
        }
        out
    }

    /// Decodes exactly one block.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let header = BlockHeader::decode_from(&mut r)?;
        let count = r.count("transaction", MIN_TX_SIZE)?;
        let mut transactions = Vec::with_capacity(count);
        for _ in 0..count {
            transactions.push(Transaction::decode_from(&mut r)?);
        }
        r.finish()?;
        Ok(Self {
            header,
            transactions,
        })
    }

    /// Decodes a block given as hex (`submitBlock`, a peer's `rawBlocks`): at most
    /// [`MAX_BLOCK_BYTES`], checked before anything is decoded; canonical encoding; nothing after
    /// it.
    pub fn decode_hex(raw_hex: &str) -> Result<Self, BlockTextError> {
        let raw_hex = raw_hex.trim();
        if raw_hex.len() > 2 * MAX_BLOCK_BYTES {
            return Err(BlockTextError::TooLarge(raw_hex.len() / 2));
        }
        let bytes = hex::decode(raw_hex).map_err(|e| BlockTextError::NotHex(e.to_string()))?;
        Self::decode(&bytes).map_err(BlockTextError::Decode)
    }
}

/// Largest block accepted from outside, in bytes.
pub const MAX_BLOCK_BYTES: usize = 8 * 1024 * 1024;

/// Why text is not a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockTextError {
    /// More than [`MAX_BLOCK_BYTES`].
    #[error("{0} bytes, at most {MAX_BLOCK_BYTES} accepted")]
    TooLarge(usize),
    /// Not hexadecimal.
    #[error("not hex: {0}")]
    NotHex(String),
    /// Not a block's canonical encoding.
    #[error("{0}")]
    Decode(DecodeError),
}

impl BlockTextError {
    /// The name of the check it fails, as block errors name theirs.
    pub fn check(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "TOO_LARGE",
            Self::NotHex(_) | Self::Decode(_) => "DECODE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::transaction::tests::arb_tx;
    use proptest::prelude::*;

    #[test]
    fn candidate_opens_with_the_coinbase_at_the_next_height() {
        let tip = ChainTip {
            hash: BlockHash([9; 32]),
            height: 4,
        };
        let b = Block::candidate(
            Some(&tip),
            PubkeyHash([1; 20]),
            vec![],
            &Params::default(),
            5,
        );
        assert_eq!(b.height(), Some(5));
        assert_eq!(b.header.prev_hash, tip.hash);
        assert_eq!(b.transactions[0].outputs[0].value, 10);
        let genesis = Block::candidate(None, PubkeyHash([1; 20]), vec![], &Params::default(), 5);
        assert_eq!(
            (genesis.height(), genesis.header.prev_hash),
            (Some(0), BlockHash::ZERO)
        );
    }

    proptest! {
        #[test]
        fn block_encoding_round_trips(txs in prop::collection::vec(arb_tx(), 0..4), t: u64) {
            let b = Block::candidate(None, PubkeyHash([2; 20]), txs, &Params::default(), t);
            prop_assert_eq!(Block::decode(&b.encode()), Ok(b));
        }

        #[test]
        fn decoding_arbitrary_blocks_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = Block::decode(&bytes);
        }
    }
}
