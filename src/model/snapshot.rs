//! A snapshot: a named point of the chain to go back to.

use crate::chain::BlockHash;

/// A saved state of the whole node: its tip, its keystore and its pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Its id (increasing).
    pub id: i64,
    /// The name given, if any.
    pub name: Option<String>,
    /// The tip's height then; `None` for an empty chain.
    pub height: Option<u64>,
    /// The tip's hash then.
    pub tip_hash: Option<BlockHash>,
    /// The highest wallet id then (0: none); wallets created later go on revert.
    pub last_wallet: i64,
    /// When it was taken, Unix milliseconds.
    pub created_at: i64,
}
