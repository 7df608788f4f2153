//! Why a block cannot extend the chain: one variant per rule, each named by the check
//! `docs/protocol.md` gives it.

use thiserror::Error;

use super::hash::{BlockHash, MerkleRoot, Txid};
use super::tx_check::TxError;

/// Why a block cannot extend the chain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BlockError {
    /// No transactions at all.
    #[error("block has no transactions")]
    Empty,
    /// More transactions than `max_block_txs`.
    #[error("block has {count} transactions, at most {max} allowed")]
    TooManyTransactions {
        /// Transactions in the block.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Header version other than [`BLOCK_VERSION`].
    #[error("unknown block version {0}")]
    UnknownVersion(u32),
    /// Does not link to the tip.
    #[error("block links to {found}, but the tip is {expected}")]
    WrongPrevHash {
        /// The tip's hash (zero before genesis).
        expected: BlockHash,
        /// The header's prev hash.
        found: BlockHash,
    },
    /// The coinbase states another height than tip + 1.
    #[error("block claims height {found}, expected {expected}")]
    WrongHeight {
        /// Tip height + 1.
        expected: u64,
        /// The coinbase's height.
        found: u64,
    },
    /// The first transaction is not a well-formed coinbase.
    #[error("first transaction is not a coinbase")]
    MissingCoinbase,
    /// A second coinbase.
    #[error("transaction {index} is a second coinbase")]
    ExtraCoinbase {
        /// Its index in the block.
        index: usize,
    },
    /// The coinbase pays more than the reward (or an output of 0).
    #[error("coinbase pays {value}, at most {max} allowed")]
    CoinbaseValue {
        /// What it pays.
        value: u64,
        /// The reward.
        max: u64,
    },
    /// A genesis block whose coinbase does not end with the chain's premine: another chain.
    #[error("genesis coinbase does not pay this chain's premine (a chain with another premine)")]
    WrongPremine,
    /// Header bits other than the chain's difficulty.
    #[error("block declares difficulty {found} bits, the chain requires {expected}")]
    WrongDifficulty {
        /// The chain's difficulty.
        expected: u32,
        /// The header's.
        found: u32,
    },
    /// The hash has too few leading zero bits.
    #[error("block hash has {found} leading zero bits, {required} required")]
    InsufficientWork {
        /// Required bits.
        required: u32,
        /// Bits the hash has.
        found: u32,
    },
    /// The merkle root does not match the transactions.
    #[error("merkle root {found} does not match the transactions' root {expected}")]
    BadMerkleRoot {
        /// Computed from the transactions.
        expected: MerkleRoot,
        /// In the header.
        found: MerkleRoot,
    },
    /// The same txid twice.
    #[error("txid {0} occurs twice in the block")]
    DuplicateTxid(Txid),
    /// A transaction breaks a rule.
    #[error("transaction {index} ({txid}): {source}")]
    Transaction {
        /// Its index in the block.
        index: usize,
        /// Its txid.
        txid: Txid,
        /// The rule it breaks.
        #[source]
        source: TxError,
    },
}

impl BlockError {
    /// The rule that failed, as a stable name (`extensions.check` of `INVALID_BLOCK`); a
    /// transaction's failure is named by its own rule ([`TxError::check`]).
    pub fn check(&self) -> &'static str {
        match self {
            Self::Empty => "EMPTY",
            Self::TooManyTransactions { .. } => "TOO_MANY_TRANSACTIONS",
            Self::UnknownVersion(_) => "VERSION",
            Self::WrongPrevHash { .. } => "WRONG_LINK",
            Self::WrongHeight { .. } => "WRONG_HEIGHT",
            Self::MissingCoinbase => "MISSING_COINBASE",
            Self::ExtraCoinbase { .. } => "EXTRA_COINBASE",
            Self::CoinbaseValue { .. } => "COINBASE_VALUE",
            Self::WrongPremine => "WRONG_PREMINE",
            Self::WrongDifficulty { .. } => "WRONG_DIFFICULTY",
            Self::InsufficientWork { .. } => "PROOF_OF_WORK",
            Self::BadMerkleRoot { .. } => "MERKLE_ROOT",
            Self::DuplicateTxid(_) => "DUPLICATE_TXID",
            Self::Transaction { source, .. } => source.check(),
        }
    }

    /// The transaction the failure is about, when it is about one (its index in the block).
    pub fn transaction(&self) -> Option<usize> {
        match self {
            Self::ExtraCoinbase { index } | Self::Transaction { index, .. } => Some(*index),
            _ => None,
        }
    }
}
