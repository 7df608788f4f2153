//! The options of `pocket serve` (and of `pocket` alone): listening, exposure, limits, timeouts,
//! peers and mining at start, with the node's own.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use clap::Args;

use super::args::ConfigError;
use super::fork::ForkArgs;
use super::node_args::{KeystoreArgs, NodeArgs};
use crate::graphql::QueryLimits;
use crate::server::ServerConfig;
use crate::store::ReadConfig;

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
    /// Whether clients may introspect the schema (`__schema`, `__type`): `false` keeps a
    /// production API's schema private; GraphiQL then runs queries without its docs pane.
    #[arg(long, env = "POCKET_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
    /// Answers to repeated queries kept until the next change (checked with one small read per
    /// query, so every replica stays exact); 0 turns the cache off.
    #[arg(long, env = "POCKET_RESPONSE_CACHE", default_value_t = 1024)]
    pub response_cache: usize,
    /// A PostgreSQL hot standby of --database-url (a streaming replica) to serve queries from;
    /// repeat or comma-separate. Writes, and reads that must see them, stay on the primary.
    #[arg(
        long,
        env = "POCKET_READ_DATABASE_URL",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub read_database_url: Vec<String>,
    /// Seconds a standby may be behind the primary and still answer a query that presents no
    /// state version (one that does is answered at or after that version).
    #[arg(long, env = "POCKET_MAX_REPLICA_LAG", default_value_t = 1.0)]
    pub max_replica_lag: f64,
    /// An Apollo persisted-query manifest (`apollo-persisted-query-manifest` JSON, as
    /// `@apollo/generate-persisted-query-manifest` writes it): its documents are known by hash
    /// from the start. Clients may still persist their own unless --persisted-only.
    #[arg(long, env = "POCKET_PERSISTED_QUERIES", value_name = "FILE")]
    pub persisted_queries: Option<std::path::PathBuf>,
    /// Run only the documents of --persisted-queries: any other document is refused
    /// (PERSISTED_QUERY_ONLY), the test stand and GraphiQL's free typing included.
    #[arg(long, env = "POCKET_PERSISTED_ONLY", requires = "persisted_queries")]
    pub persisted_only: bool,
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
    /// A fork of another node's chain.
    #[command(flatten)]
    pub fork: ForkArgs,
}

impl ServeConfig {
    /// The hot standbys to read from (an empty value, as a compose file passes when none is
    /// set, names none).
    pub fn read_config(&self) -> ReadConfig {
        ReadConfig {
            urls: self
                .read_database_url
                .iter()
                .filter(|url| !url.trim().is_empty())
                .cloned()
                .collect(),
            max_lag: Duration::try_from_secs_f64(self.max_replica_lag).unwrap_or(Duration::ZERO),
        }
    }

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
                introspection: self.introspection,
            },
            max_body_bytes: self.max_body_bytes,
            max_batch: self.max_batch,
            request_timeout: Duration::from_secs(self.request_timeout),
            header_timeout: Duration::from_secs(self.header_timeout),
            ws_init_timeout: Duration::from_secs(self.ws_init_timeout),
            response_cache: self.response_cache,
            drain_timeout: Duration::from_secs(self.drain_timeout),
            persisted_queries: self.persisted_queries.clone(),
            persisted_only: self.persisted_only,
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
