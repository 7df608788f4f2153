//! Configuration: one struct, from flags or `POCKET_*` environment variables. Only this module
//! reads the environment.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::chain::Params;
use crate::node::{Keystore, NodeConfig};

/// Pocket Chain: a small UTXO blockchain served as a GraphQL API.
#[derive(Debug, Parser)]
#[command(name = "pocket", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub chain: ChainConfig,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Re-check every block, the transaction index and the chainstate.
    Verify,
    /// Rebuild the chainstate (table `c`) from the blocks.
    Reindex,
    /// Reset the chain and replay the reference's training scenario.
    Demo,
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
