//! Pocket Chain: a small, complete UTXO blockchain served as a GraphQL API.
//!
//! Layers, top to bottom (dependencies point down only): [`server`] (HTTP, CLI in [`cli`] and
//! [`config`]) → [`graphql`] (translates) → [`node`] (decides) → [`store`] (persists) → [`chain`]
//! (the protocol as pure functions).

pub mod chain;
pub mod cli;
pub mod config;
pub mod graphql;
pub mod metrics;
pub mod model;
pub mod node;
pub mod playground;
pub mod response_cache;
pub mod server;
pub mod store;
