//! Configuration: one struct, from flags or `POCKET_*` environment variables. Only this module
//! reads the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::chain::Params;
use crate::graphql::QueryLimits;
use crate::node::{Keystore, NodeConfig};
use crate::server::ServerConfig;

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
    pub serve: ServeConfig,
    /// Settings shared by every command.
    #[command(flatten)]
    pub chain: ChainConfig,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API, GraphiQL and the test stand (the default command).
    Serve(Box<ServeConfig>),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Re-check every block, the transaction index and the chainstate.
    Verify,
    /// Rebuild the chainstate (table `c`) from the blocks.
    Reindex,
    /// Reset the chain and replay the reference's training scenario.
    Demo,
    /// Write the chain to a chain archive FILE (format in docs/protocol.md).
    Export {
        /// The file to write (replaced whole, never left half-written).
        file: PathBuf,
        /// Also write the keystore's wallets, their keys sealed by the keystore key (only a
        /// node with the same key can use them).
        #[arg(long)]
        keystore: bool,
    },
    /// Read a chain archive FILE into an empty database, re-validating every block.
    Import {
        /// The archive.
        file: PathBuf,
        /// Run every check and write nothing (the database need not be empty).
        #[arg(long)]
        dry_run: bool,
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
    /// Mine blocks to an address, printing each one once it is committed.
    Mine {
        /// The miner's address.
        address: String,
        /// How many blocks (default: until stopped).
        #[arg(long)]
        blocks: Option<u64>,
        /// Pending transactions per block.
        #[arg(long, default_value_t = 5)]
        tx_count: i64,
    },
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
}

/// Listening and exposure.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on. Anything but loopback needs --api-token (or --insecure).
    #[arg(long, env = "POCKET_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Bearer token every mutation must carry (`Authorization: Bearer <token>`); queries and
    /// subscriptions stay open.
    #[arg(long, env = "POCKET_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// Allow a non-loopback address without a token (anyone who can reach it can mutate).
    #[arg(long, env = "POCKET_INSECURE")]
    pub insecure: bool,
    /// Origins allowed to call the API from a browser (CORS); repeat or comma-separate. None by default.
    #[arg(long, env = "POCKET_CORS_ORIGIN", value_delimiter = ',')]
    pub cors_origin: Vec<String>,
    /// A node to follow (its API's base URL, `http://host:port`): this node catches up with its
    /// chain and takes its new blocks and transactions. Repeat or comma-separate.
    #[arg(long, env = "POCKET_PEER", value_delimiter = ',')]
    pub peer: Vec<String>,
    /// Bearer token this node presents when it announces blocks and transactions to its peers
    /// (peers with an API token refuse announcements without it; following needs none).
    #[arg(long, env = "POCKET_PEER_TOKEN", hide_env_values = true)]
    pub peer_token: Option<String>,
    /// Largest request body in bytes.
    #[arg(long, env = "POCKET_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,
    /// Most operations in one batched POST.
    #[arg(long, env = "POCKET_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,
    /// Deepest query nesting accepted.
    #[arg(long, env = "POCKET_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,
    /// Largest query complexity accepted (a paged field costs `first` times its selection).
    #[arg(long, env = "POCKET_MAX_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,
    /// Most lexical tokens in one document (counted before it is parsed).
    #[arg(long, env = "POCKET_MAX_TOKENS", default_value_t = 5_000)]
    pub max_tokens: usize,
    /// Most field selections in one document (a fragment counts where defined and where spread).
    #[arg(long, env = "POCKET_MAX_FIELDS", default_value_t = 1_000)]
    pub max_fields: usize,
    /// Most aliased fields in one document.
    #[arg(long, env = "POCKET_MAX_ALIASES", default_value_t = 50)]
    pub max_aliases: usize,
    /// Most directives in one document.
    #[arg(long, env = "POCKET_MAX_DIRECTIVES", default_value_t = 50)]
    pub max_directives: usize,
    /// Most root fields in one mutation (each is a state change of its own).
    #[arg(long, env = "POCKET_MAX_ROOT_MUTATIONS", default_value_t = 10)]
    pub max_root_mutations: usize,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, env = "POCKET_REQUEST_TIMEOUT", default_value_t = 120)]
    pub request_timeout: u64,
    /// Seconds a connection may take to send a request's headers, or stay idle between
    /// requests, before it is closed.
    #[arg(long, env = "POCKET_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a WebSocket may wait before sending `connection_init` (then closed with 4408).
    #[arg(long, env = "POCKET_WS_INIT_TIMEOUT", default_value_t = 10)]
    pub ws_init_timeout: u64,
    /// Seconds requests in flight may take to finish after SIGINT/SIGTERM; then a running nonce
    /// search is cancelled (nothing written) and open connections are closed.
    #[arg(long, env = "POCKET_DRAIN_TIMEOUT", default_value_t = 10)]
    pub drain_timeout: u64,
    /// Answers to repeated queries kept until the next change (checked with one small read per
    /// query, so every replica stays exact); 0 turns the cache off.
    #[arg(long, env = "POCKET_RESPONSE_CACHE", default_value_t = 1024)]
    pub response_cache: usize,
    /// Mining mode to set at start: manual, auto (a block right after each accepted
    /// transaction) or interval (a block every --block-time seconds). Without it the stored
    /// mode stays (manual on a new database).
    #[arg(long, env = "POCKET_MINING", value_parser = ["manual", "auto", "interval"])]
    pub mining: Option<String>,
    /// Seconds between blocks in interval mode (1…86400).
    #[arg(long, env = "POCKET_BLOCK_TIME")]
    pub block_time: Option<i64>,
    /// Address paid for blocks mined in auto and interval mode.
    #[arg(long, env = "POCKET_MINER_ADDRESS")]
    pub miner_address: Option<String>,
}

impl ServeConfig {
    /// The server settings these flags describe.
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            listen: self.listen,
            api_token: self.api_token.clone().filter(|t| !t.is_empty()),
            insecure: self.insecure,
            cors_origins: self.cors_origin.clone(),
            peers: self.peer.clone(),
            peer_token: self.peer_token.clone().filter(|t| !t.is_empty()),
            limits: QueryLimits {
                depth: self.max_depth,
                complexity: self.max_complexity,
                tokens: self.max_tokens,
                fields: self.max_fields,
                aliases: self.max_aliases,
                directives: self.max_directives,
                root_mutations: self.max_root_mutations,
            },
            max_body_bytes: self.max_body_bytes,
            max_batch: self.max_batch,
            request_timeout: Duration::from_secs(self.request_timeout),
            header_timeout: Duration::from_secs(self.header_timeout),
            ws_init_timeout: Duration::from_secs(self.ws_init_timeout),
            response_cache: self.response_cache,
            drain_timeout: Duration::from_secs(self.drain_timeout),
        }
    }
}

/// Database, chain parameters and keystore.
#[derive(Debug, Clone, Args)]
pub struct ChainConfig {
    /// Database URL: sqlite://FILE?mode=rwc (embedded) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "POCKET_DATABASE_URL",
        default_value = "sqlite://data/pocket.db?mode=rwc"
    )]
    pub database_url: String,
    /// Leading zero bits a block hash needs (every node of one chain must agree).
    #[arg(long, global = true, env = "POCKET_DIFFICULTY", default_value_t = 12)]
    pub difficulty: u32,
    /// Units paid to the miner of each block (every node of one chain must agree).
    #[arg(long, global = true, env = "POCKET_REWARD", default_value_t = 10)]
    pub reward: u64,
    /// Threads for the nonce search (default: all cores).
    #[arg(long, global = true, env = "POCKET_MINING_THREADS")]
    pub mining_threads: Option<usize>,
    /// Keystore key (64 hex digits) sealing wallets' secret keys; every replica must share it.
    /// Without it the key is read from, or created once in, DATA_DIR/keystore.key.
    #[arg(
        long,
        global = true,
        env = "POCKET_KEYSTORE_KEY",
        hide_env_values = true
    )]
    pub keystore_key: Option<String>,
    /// Directory for the keystore key file.
    #[arg(long, global = true, env = "POCKET_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl ChainConfig {
    /// The node settings these flags describe.
    pub fn node_config(&self) -> NodeConfig {
        let defaults = NodeConfig::default();
        NodeConfig {
            params: Params {
                block_reward: self.reward,
                difficulty_bits: self.difficulty,
                ..Params::default()
            },
            mining_threads: self
                .mining_threads
                .unwrap_or(defaults.mining_threads)
                .max(1),
            ..defaults
        }
    }

    /// The keystore, from the flag or the key file.
    pub fn keystore(&self) -> Result<Keystore, ConfigError> {
        match &self.keystore_key {
            Some(hex_key) => {
                let key: [u8; 32] = hex::decode(hex_key.trim())
                    .ok()
                    .and_then(|k| k.try_into().ok())
                    .ok_or(ConfigError::KeystoreKey)?;
                Ok(Keystore::new(&key))
            }
            None => {
                let path = self.data_dir.join("keystore.key");
                Keystore::load_or_create(&path)
                    .map_err(|source| ConfigError::KeyFile { path, source })
            }
        }
    }
}

/// A configuration the process cannot start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--keystore-key` is not 32 bytes of hex.
    #[error("--keystore-key must be 64 hex digits")]
    KeystoreKey,
    /// The key file could not be read or created.
    #[error("keystore key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
