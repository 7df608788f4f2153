//! Pocket Chain: a small UTXO blockchain.
pub mod chain;
