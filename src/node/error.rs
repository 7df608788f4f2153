//! Errors of the use cases: each names what the caller did wrong, or that the node failed.

use thiserror::Error;

use crate::chain::{
    Address, AddressError, BlockError, BlockHash, KeyError, OutPoint, ParamsError, TxError, Txid,
};
use crate::store::StoreError;

/// Why a use case refused or failed.
#[derive(Debug, Error)]
pub enum NodeError {
    /// An address that fails to parse; `field` says which argument.
    #[error("{field}: {source}")]
    InvalidAddress {
        /// The argument's name.
        field: &'static str,
        /// What is wrong with it.
        source: AddressError,
    },
    /// An amount below 1 (or beyond the range of values).
    #[error("invalid amount {0}: must be a whole number of units, at least 1")]
    InvalidAmount(i64),
    /// Sending to oneself.
    #[error("cannot send from {0} to itself")]
    SameAddress(Address),
    /// The sender is not a keystore wallet of this node.
    #[error("{0} is not a wallet of this node")]
    UnknownWallet(Address),
    /// The sender's coins do not cover the amount.
    #[error("{address} has {available} units available, {requested} requested")]
    InsufficientFunds {
        /// The sender.
        address: Address,
        /// Its balance.
        available: u64,
        /// The amount asked for.
        requested: u64,
    },
    /// `fund` on a chain without dev accounts.
    #[error(
        "this chain has no dev accounts to fund from: start a new chain with --accounts N, or \
         resetSystem(to: ACCOUNTS)"
    )]
    NoFaucet,
    /// The faucet's coins do not cover a `fund`.
    #[error("the faucet {faucet} has {available} units available, {requested} requested")]
    FaucetEmpty {
        /// The faucet account.
        faucet: Address,
        /// Its balance.
        available: u64,
        /// The amount asked for.
        requested: u64,
    },
    /// The sender has a pending transaction; it is locked until that is mined.
    #[error("{address} is locked until its pending transaction {txid} is mined")]
    WalletLocked {
        /// The sender.
        address: Address,
        /// Its pending transaction.
        txid: Txid,
    },
    /// A submitted transaction fails a check.
    #[error(transparent)]
    InvalidTransaction(InvalidTx),
    /// A submitted transaction spends an output a pending transaction already spends.
    #[error("input {input} spends {outpoint}, which pending transaction {pending} already spends")]
    DoubleSpend {
        /// The input.
        input: usize,
        /// The output both spend.
        outpoint: OutPoint,
        /// The pending transaction that spends it first.
        pending: Txid,
    },
    /// A block from a peer or an outside miner breaks a rule, or extends a branch that does.
    #[error("block {hash} refused: {reason}")]
    InvalidBlock {
        /// Its hash (the header's, even when the body does not decode: zeros then).
        hash: BlockHash,
        /// The rule that failed ([`BlockError::check`], or `DECODE`, `TOO_LARGE`,
        /// `INVALID_PARENT`, `OTHER_GENESIS`).
        check: &'static str,
        /// The transaction the failure is about, by its index in the block.
        transaction: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// Paying the amount would take more inputs than a transaction may hold.
    #[error(
        "paying this amount needs {needed} coins, more than the {max} one transaction may spend; pay a smaller amount first"
    )]
    TooManyInputs {
        /// Coins needed.
        needed: usize,
        /// The most one transaction takes.
        max: usize,
    },
    /// The chain has no genesis block yet.
    #[error("the chain is not initialized: mine the genesis block first")]
    NotInitialized,
    /// Genesis exists already.
    #[error("the chain is already initialized")]
    AlreadyInitialized,
    /// A transaction count outside what one block may hold.
    #[error("invalid transaction count {requested}: must be between 0 and {max}")]
    InvalidTxCount {
        /// What was asked for.
        requested: i64,
        /// The most a block may take from the pool.
        max: usize,
    },
    /// A block count outside what one call may mine.
    #[error("invalid block count {requested}: must be between 1 and {max}")]
    InvalidBlockCount {
        /// What was asked for.
        requested: i64,
        /// The most one call may mine.
        max: u32,
    },
    /// Mining many blocks stopped early: the blocks before the failure are committed.
    #[error("mined {mined} of {requested} blocks (up to height {last_height}), then: {source}")]
    StoppedAfter {
        /// Blocks committed.
        mined: u32,
        /// Blocks asked for.
        requested: u32,
        /// Height of the last block committed.
        last_height: u64,
        /// Why the next one failed.
        source: Box<NodeError>,
    },
    /// The archive is not readable (the text says where and why).
    #[error("chain archive refused: {0}")]
    Archive(#[from] crate::chain::archive::ArchiveError),
    /// The node was opened with other parameters than the chain's own.
    #[error("this chain runs with {chain}; asked to run it with {requested}")]
    ParamsMismatch {
        /// The chain's.
        chain: String,
        /// Those asked for.
        requested: String,
    },
    /// The archive is of a chain with other parameters.
    #[error("chain archive refused: it is for a chain with {theirs}; this node runs {ours}")]
    ArchiveParams {
        /// The archive's parameters.
        theirs: String,
        /// This node's.
        ours: String,
    },
    /// A block of the archive breaks a protocol rule.
    #[error("chain archive refused: block at height {height} is invalid: {source}")]
    InvalidArchiveBlock {
        /// Its height.
        height: u64,
        /// The first check it fails.
        source: crate::chain::BlockError,
    },
    /// The archive's keystore section cannot be used by this node.
    #[error("chain archive refused: keystore entry {index}: {reason}")]
    ArchiveKeystore {
        /// The entry's position.
        index: usize,
        /// Why.
        reason: String,
    },
    /// An import needs an empty database.
    #[error("import needs an empty database; this one has {blocks} blocks and {wallets} wallets")]
    NotEmpty {
        /// Blocks stored.
        blocks: u64,
        /// Keystore wallets.
        wallets: u64,
    },
    /// A lab patch names what the block does not have.
    #[error("invalid patch: {0}")]
    InvalidPatch(String),
    /// No snapshot has this id.
    #[error("no snapshot {0}")]
    UnknownSnapshot(i64),
    /// Mining on the node's own initiative needs an address to pay.
    #[error("{0} mining needs a miner address: pass address (or --miner-address)")]
    MinerAddressRequired(&'static str),
    /// Mining settings that cannot work (the text says which).
    #[error("invalid mining settings: {0}")]
    InvalidMining(String),
    /// The node is shutting down; the operation was cancelled and nothing was written.
    #[error("the node is shutting down")]
    ShuttingDown,
    /// The stored chain contradicts itself (found at start-up, by `verify_chain`, or while mining).
    #[error("chain inconsistent: {0}")]
    Inconsistent(String),
    /// A keystore secret could not be opened (wrong keystore key or a damaged row).
    #[error("keystore error: {0}")]
    Keystore(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The chain parameters the node was given are unusable.
    #[error("invalid chain parameters: {0}")]
    Params(#[from] ParamsError),
    /// Generating a key or signing failed (the random source, or a damaged key).
    #[error("key error: {0}")]
    Key(#[from] KeyError),
    /// The node built a transaction that its own checks refuse.
    #[error("built an invalid transaction: {0}")]
    BuiltInvalid(#[from] TxError),
    /// The nonce search's thread failed (it panicked).
    #[error("nonce search failed: {0}")]
    Search(#[from] tokio::task::JoinError),
    /// Every nonce was tried without finding a block hash under the target.
    #[error("nonce space exhausted")]
    NonceSpaceExhausted,
    /// A queued send was not committed: the batch it was in rolled back (the text says why).
    #[error("send not committed: {0}")]
    SendNotCommitted(String),
    /// The send queue's lock was poisoned by a panic, or a queued send was dropped unanswered.
    #[error("the send queue failed")]
    SendQueue,
}

/// Why a submitted transaction is refused: the failed check's stable name (a rule's, see
/// [`TxError::check`], or `DECODE`, `TOO_LARGE`, `ALREADY_MINED`), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid transaction ({check}): {reason}")]
pub struct InvalidTx {
    /// The failed check's stable name.
    pub check: &'static str,
    /// The input it is about, if one.
    pub input: Option<usize>,
    /// What is wrong.
    pub reason: String,
}

impl From<&TxError> for InvalidTx {
    fn from(err: &TxError) -> Self {
        Self {
            check: err.check(),
            input: err.input(),
            reason: err.to_string(),
        }
    }
}

impl NodeError {
    /// A block refused for breaking `rule`.
    pub fn invalid_block(hash: BlockHash, rule: &BlockError) -> Self {
        Self::InvalidBlock {
            hash,
            check: rule.check(),
            transaction: rule.transaction(),
            reason: rule.to_string(),
        }
    }

    /// Whether the caller's request was refused (as opposed to the node failing): refused sends
    /// are recorded in the pool with their error text.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::InvalidAddress { .. }
                | Self::InvalidAmount(_)
                | Self::SameAddress(_)
                | Self::UnknownWallet(_)
                | Self::InsufficientFunds { .. }
                | Self::WalletLocked { .. }
                | Self::NotInitialized
                | Self::InvalidTransaction(_)
                | Self::DoubleSpend { .. }
        )
    }
}

/// Node result.
pub type NodeResult<T> = Result<T, NodeError>;
