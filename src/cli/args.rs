//! Configuration: one struct, from flags or `POCKET_*` environment variables. Only this module
//! reads the environment.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use super::node_args::{KeystoreArgs, NodeArgs, ParamsArgs, RemoteArgs, StoreArgs};
pub use super::serve_args::{ServeArgs, ServeConfig};

/// Pocket Chain: a small UTXO blockchain served as a GraphQL API.
#[derive(Debug, Parser)]
#[command(
    name = "pocket",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serving flags, for `pocket` without a command.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The commands. Each takes only the options it uses.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API, GraphiQL and the test stand (the default command).
    Serve(Box<ServeArgs>),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Say which chain a database holds: its parameters, height, tip and who serves it.
    Status {
        /// The chain's database.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Re-check every block, the transaction index and the chainstate.
    Verify {
        /// The chain's database.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Rebuild the chainstate (table `c`) from the blocks.
    Reindex {
        /// The chain's database.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Reset the chain and start again: the reference's training scenario, the dev accounts'
    /// genesis, or an empty chain (deletes every block).
    Demo {
        /// Delete a non-empty chain without asking (needed without a terminal).
        #[arg(long)]
        yes: bool,
        /// What to start again with.
        #[arg(long, value_enum, default_value_t = DemoTarget::Training)]
        to: DemoTarget,
        /// The node.
        #[command(flatten)]
        node: NodeArgs,
        /// The keystore key sealing the new wallets.
        #[command(flatten)]
        key: KeystoreArgs,
        /// Reaching a server that holds the database.
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Write the chain to a chain archive FILE (format in docs/protocol.md).
    Export {
        /// The file to write (replaced whole, never left half-written).
        file: PathBuf,
        /// Also write the keystore's wallets, their keys sealed by the keystore key (only a
        /// node with the same key can use them).
        #[arg(long)]
        keystore: bool,
        /// The chain's database.
        #[command(flatten)]
        store: StoreArgs,
        /// The keystore key (for --keystore).
        #[command(flatten)]
        key: KeystoreArgs,
    },
    /// Read a chain archive FILE into an empty database, re-validating every block. A new
    /// database takes the archive's chain parameters.
    Import {
        /// The archive.
        file: PathBuf,
        /// Run every check and write nothing (the database need not be empty).
        #[arg(long)]
        dry_run: bool,
        /// The database to fill.
        #[command(flatten)]
        store: StoreArgs,
        /// Parameters the archive must have (default: the archive's).
        #[command(flatten)]
        params: ParamsArgs,
        /// The keystore key that opens the archive's wallets.
        #[command(flatten)]
        key: KeystoreArgs,
    },
    /// Keys kept in files, for signing away from any node (no server, no database).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Sign a transaction offline: reads `buildTransaction`'s signingRequest (hex, or the JSON
    /// answer) and prints the signed transaction's hex for submitTransaction.
    Sign {
        /// A key file (repeat for inputs of several keys).
        #[arg(long, required = true)]
        key: Vec<PathBuf>,
        /// The signing request as hex or JSON; `-` or nothing reads standard input.
        request: Option<String>,
    },
    /// Mine blocks to an address, printing each one once it is committed. When a server holds
    /// the database, the blocks are mined by that server (through its API), so its subscribers
    /// hear of them.
    Mine {
        /// The miner's address.
        address: String,
        /// How many blocks (default: until stopped).
        #[arg(long)]
        blocks: Option<u64>,
        /// Pending transactions per block.
        #[arg(long, default_value_t = 5)]
        tx_count: i64,
        /// The node.
        #[command(flatten)]
        node: NodeArgs,
        /// The keystore key sealing a new chain's dev accounts.
        #[command(flatten)]
        key: KeystoreArgs,
        /// Reaching a server that holds the database.
        #[command(flatten)]
        remote: RemoteArgs,
    },
}

/// What `pocket demo` starts again with (`resetSystem(to:)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoTarget {
    /// No blocks, no wallets.
    Empty,
    /// The dev accounts and their premined genesis.
    Accounts,
    /// The reference's training scenario: 8 wallets, 12 blocks, two pending payments.
    Training,
}

/// `pocket key …`.
#[derive(Debug, Clone, Subcommand)]
pub enum KeyCommand {
    /// Generate a key; with --out, write it to a new owner-only file and print its address.
    New {
        /// The key file to create (never replaces one).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the address of a key file.
    Address {
        /// The key file.
        file: PathBuf,
    },
    /// Print dev account INDEX's address and secret key, derived from the seed phrase as a
    /// dev chain derives its accounts (m/44'/1'/0'/0/INDEX).
    Derive {
        /// The account's index (0 is the first).
        index: u32,
        /// The BIP-39 phrase [default: "test test test test test test test test test test test
        /// junk"].
        #[arg(long, env = "POCKET_SEED_PHRASE", hide_env_values = true)]
        seed_phrase: Option<String>,
    },
}

/// Whether log lines may be coloured: only on a terminal, and not when `NO_COLOR` is set
/// (<https://no-color.org>).
pub fn log_colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A configuration the process cannot start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--keystore-key` is not 32 bytes of hex.
    #[error("--keystore-key must be 64 hex digits")]
    KeystoreKey,
    /// `--listen` is not an address to bind.
    #[error("--listen {listen}: {reason}")]
    Listen {
        /// The value given.
        listen: String,
        /// Why.
        reason: String,
    },
    /// A `--peer` that is not a node's URL.
    #[error("--peer: {0}")]
    Peer(crate::net::NetError),
    /// `--seed-phrase` derives no keys, or `--accounts` is past the range of indexes.
    #[error("--seed-phrase: {0}")]
    SeedPhrase(crate::chain::DeriveError),
    /// `--accounts` and `--account-balance` give a premine no chain can have.
    #[error("--accounts / --account-balance: {0}")]
    Premine(crate::chain::PremineError),
    /// The key file could not be read or created.
    #[error("keystore key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
