//! Pocket Chain: a small UTXO blockchain.
pub mod chain;
pub mod cli;
pub mod config;
pub mod node;
pub mod store;
