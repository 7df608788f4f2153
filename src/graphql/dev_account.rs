//! `DevAccount`: a funded account of a dev chain, its key shown (the phrase is public), and
//! `ResetTarget`, what `resetSystem` starts again with.

use async_graphql::{Enum, SimpleObject};

use crate::node;

/// A dev account: derived from the chain's seed phrase, funded by its genesis block, and a
/// keystore wallet of this node (usable with `send`). Its secret key is public knowledge: never
/// hold value with it outside a dev chain.
#[derive(SimpleObject, Clone, Debug)]
pub struct DevAccount {
    /// Its place in the derivation (`m/44'/1'/0'/0/INDEX`); the last one is the faucet.
    pub index: u32,
    /// The account's address.
    pub address: String,
    /// The secret key, hex (import it into a wallet, or sign with `pocket sign`).
    pub secret_key: String,
    /// Its balance now.
    pub balance: u64,
    /// Whether `fund` pays from it.
    pub faucet: bool,
}

/// What `resetSystem` starts the chain again with.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ResetTarget {
    /// No blocks, no wallets, no premine.
    Empty,
    /// The dev accounts and their premined genesis (the node's accounts, or the standard ten).
    Accounts,
    /// The reference's training scenario: 8 wallets, 12 blocks, two pending payments.
    Training,
}

impl From<ResetTarget> for node::ResetTarget {
    fn from(target: ResetTarget) -> Self {
        match target {
            ResetTarget::Empty => Self::Empty,
            ResetTarget::Accounts => Self::Accounts,
            ResetTarget::Training => Self::Training,
        }
    }
}
