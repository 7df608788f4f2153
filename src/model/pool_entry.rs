//! A row of the pool: a transaction waiting to be mined, or a send that was refused.

use crate::chain::{Address, Txid};

/// A row of the pool, in arrival order (`id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolEntry {
    /// A signed transaction waiting to be mined.
    Pending(PendingTx),
    /// A send the node refused, kept as it was given, with why.
    Refused(RefusedSend),
}

/// A pooled transaction: who pays whom how much (the signed transaction itself stays in the
/// store until it is mined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingTx {
    /// Position in arrival order.
    pub id: i64,
    /// The transaction's id.
    pub txid: Txid,
    /// The paying wallet.
    pub from: Address,
    /// The recipient.
    pub to: Address,
    /// Units paid to `to` (change back to `from` not counted).
    pub amount: u64,
    /// Arrival time, Unix milliseconds.
    pub created_at: i64,
}

impl PendingTx {
    /// The entry as the refusal log shows it once a re-check rejected it for `error`.
    pub fn rejected(&self, error: String) -> RefusedSend {
        RefusedSend {
            id: self.id,
            from: self.from.to_string(),
            to: self.to.to_string(),
            amount: i64::try_from(self.amount).unwrap_or(i64::MAX),
            error,
            created_at: self.created_at,
        }
    }
}

/// A refused send, its fields as given (any text, truncated) so the log shows what was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedSend {
    /// Position in arrival order.
    pub id: i64,
    /// Sender as given.
    pub from: String,
    /// Recipient as given.
    pub to: String,
    /// Amount as given.
    pub amount: i64,
    /// Why it was refused.
    pub error: String,
    /// Arrival time, Unix milliseconds.
    pub created_at: i64,
}

impl PoolEntry {
    /// Position in arrival order.
    pub fn id(&self) -> i64 {
        match self {
            Self::Pending(tx) => tx.id,
            Self::Refused(send) => send.id,
        }
    }

    /// Arrival time, Unix milliseconds.
    pub fn created_at(&self) -> i64 {
        match self {
            Self::Pending(tx) => tx.created_at,
            Self::Refused(send) => send.created_at,
        }
    }
}
