//! Configuration: one struct, from flags or `POCKET_*` environment variables. Only this module
//! reads the environment.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
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
    /// Reset the chain and replay the reference's training scenario (deletes every block).
    Demo {
        /// Delete a non-empty chain without asking (needed without a terminal).
        #[arg(long)]
        yes: bool,
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
        /// Reaching a server that holds the database.
        #[command(flatten)]
        remote: RemoteArgs,
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
    /// Address to listen on, `HOST:PORT` (a name such as `localhost` is resolved, IPv4 first).
    /// Anything but loopback needs --api-token (or --insecure).
    #[arg(long, env = "POCKET_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
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

/// `pocket serve`: the server's flags and the node's.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Listening, limits, peers.
    #[command(flatten)]
    pub server: ServeConfig,
    /// The node.
    #[command(flatten)]
    pub node: NodeArgs,
    /// The keystore key.
    #[command(flatten)]
    pub key: KeystoreArgs,
}

impl ServeConfig {
    /// The server settings these flags describe: the listen address resolved and every
    /// `--peer` checked, so a mistake stops the start before anything is served.
    pub fn server_config(&self) -> Result<ServerConfig, ConfigError> {
        let mut peers = Vec::with_capacity(self.peer.len());
        for peer in &self.peer {
            peers.push(crate::net::normalize(peer).map_err(ConfigError::Peer)?);
        }
        Ok(ServerConfig {
            listen: resolve(&self.listen)?,
            api_token: self.api_token.clone().filter(|t| !t.is_empty()),
            insecure: self.insecure,
            cors_origins: self.cors_origin.clone(),
            peers,
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
        })
    }
}

/// `HOST:PORT` as a socket address: a literal, or a name resolved (IPv4 addresses first, as
/// most clients try them first).
fn resolve(listen: &str) -> Result<SocketAddr, ConfigError> {
    let bad = |reason: String| ConfigError::Listen {
        listen: listen.to_owned(),
        reason,
    };
    let mut addresses: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| bad(format!("{e} (expected HOST:PORT, e.g. 127.0.0.1:8080)")))?
        .collect();
    addresses.sort_by_key(|a| a.is_ipv6());
    addresses
        .first()
        .copied()
        .ok_or_else(|| bad("the name resolves to no address".to_owned()))
}

/// Where the chain's database is.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Database URL: sqlite://FILE?mode=rwc (embedded) or postgres://USER@HOST/DB
    /// [default: sqlite://DATA_DIR/pocket.db?mode=rwc].
    #[arg(long, env = "POCKET_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory of the node's files: the SQLite database (unless --database-url names another),
    /// the keystore key file and the lock of the server that holds the database.
    #[arg(long, env = "POCKET_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl StoreArgs {
    /// The database URL: the flag, or the SQLite file in the data directory.
    pub fn url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("pocket.db").display()
            )
        })
    }
}

/// The chain parameters a new chain is created with; an existing chain keeps its own, and a
/// value given that differs from them is refused.
#[derive(Debug, Clone, Args)]
pub struct ParamsArgs {
    /// Leading zero bits a block hash needs, for a new chain [default: 12; an existing chain
    /// keeps its own].
    #[arg(long, env = "POCKET_DIFFICULTY")]
    pub difficulty: Option<u32>,
    /// Units paid to the miner of each block, for a new chain [default: 10; an existing chain
    /// keeps its own].
    #[arg(long, env = "POCKET_REWARD")]
    pub reward: Option<u64>,
}

impl ParamsArgs {
    /// The parameters asked for: each flag given, else the chain's own, else the default.
    pub fn resolve(&self, chain: Option<Params>) -> Params {
        let base = chain.unwrap_or_default();
        Params {
            difficulty_bits: self.difficulty.unwrap_or(base.difficulty_bits),
            block_reward: self.reward.unwrap_or(base.block_reward),
            ..base
        }
    }
}

/// The keystore key.
#[derive(Debug, Clone, Args)]
pub struct KeystoreArgs {
    /// Keystore key (64 hex digits) sealing wallets' secret keys; every replica must share it.
    /// Without it the key is read from, or created once in, DATA_DIR/keystore.key.
    #[arg(long, env = "POCKET_KEYSTORE_KEY", hide_env_values = true)]
    pub keystore_key: Option<String>,
}

impl KeystoreArgs {
    /// The key given with the flag, if any.
    pub fn given(&self) -> Result<Option<Keystore>, ConfigError> {
        let Some(hex_key) = &self.keystore_key else {
            return Ok(None);
        };
        let key: [u8; 32] = hex::decode(hex_key.trim())
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or(ConfigError::KeystoreKey)?;
        Ok(Some(Keystore::new(&key)))
    }

    /// The keystore: the flag's key, or the key file in `data_dir`, created when absent.
    pub fn load_or_create(&self, data_dir: &Path) -> Result<Keystore, ConfigError> {
        if let Some(keystore) = self.given()? {
            return Ok(keystore);
        }
        let path = data_dir.join("keystore.key");
        Keystore::load_or_create(&path).map_err(|source| ConfigError::KeyFile { path, source })
    }

    /// The keystore if there is one (the flag's key, or an existing key file); never creates
    /// a file.
    pub fn existing(&self, data_dir: &Path) -> Result<Option<Keystore>, ConfigError> {
        if let Some(keystore) = self.given()? {
            return Ok(Some(keystore));
        }
        let path = data_dir.join("keystore.key");
        if !path.exists() {
            return Ok(None);
        }
        Keystore::load_or_create(&path)
            .map(Some)
            .map_err(|source| ConfigError::KeyFile { path, source })
    }
}

/// A node that writes: its database, the parameters of a new chain, and its miner.
#[derive(Debug, Clone, Args)]
pub struct NodeArgs {
    /// The chain's database.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The parameters of a new chain.
    #[command(flatten)]
    pub params: ParamsArgs,
    /// Threads for the nonce search (default: all cores).
    #[arg(long, env = "POCKET_MINING_THREADS")]
    pub mining_threads: Option<usize>,
}

impl NodeArgs {
    /// The node settings these flags describe, with the parameters settled.
    pub fn node_config(&self, params: Params) -> NodeConfig {
        let defaults = NodeConfig::default();
        NodeConfig {
            params,
            mining_threads: self
                .mining_threads
                .unwrap_or(defaults.mining_threads)
                .max(1),
            ..defaults
        }
    }
}

/// How a command reaches the server that holds the database.
#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// The server's API token, when it has one (its mutations need it).
    #[arg(long, env = "POCKET_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
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
    /// The key file could not be read or created.
    #[error("keystore key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
