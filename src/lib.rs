//! Pocket Chain: a small, complete UTXO blockchain served as a GraphQL API.
//!
//! Layers, top to bottom (dependencies point down only): [`server`] (HTTP) and [`cli`] (the
//! command line: arguments, commands, offline keys and signing over `chain` only) → [`graphql`]
//! (translates) → [`net`] (follows peers over their API) → [`node`] (decides; every write
//! through one commit path) → [`store`] (persists) → [`chain`] (the protocol as pure functions). [`model`] holds the
//! read models the node answers with, which `store` builds and `graphql` shows.
//! `ARCHITECTURE.md` walks one `send` through every file it passes.

pub mod chain;
pub mod cli;
pub mod graphql;
pub mod model;
pub mod net;
pub mod node;
pub mod server;
pub mod store;
