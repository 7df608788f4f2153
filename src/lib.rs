//! Pocket Chain: a small UTXO blockchain.
pub mod chain;
pub mod node;
pub mod store;
