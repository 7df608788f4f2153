//! The options of commands that open a node: where the chain's database is, the parameters of a
//! new chain, the keystore key, the miner's threads, and the server that holds the database.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::ConfigError;
use crate::chain::{Params, Premine, SeedPhrase};
use crate::node::{DevAccounts, Keystore, NodeConfig, PoolPolicy};

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
    /// Dev accounts funded by a new chain's genesis block, their keys printed at start (dev
    /// chains only) [default: 10; 0 starts empty, as the reference does].
    #[arg(long, env = "POCKET_ACCOUNTS")]
    pub accounts: Option<u32>,
    /// Units each dev account holds at genesis [default: 10000].
    #[arg(long, env = "POCKET_ACCOUNT_BALANCE")]
    pub account_balance: Option<u64>,
    /// BIP-39 phrase the dev accounts derive from, at m/44'/1'/0'/0/INDEX [default: "test test
    /// test test test test test test test test test junk"].
    #[arg(long, env = "POCKET_SEED_PHRASE", hide_env_values = true)]
    pub seed_phrase: Option<String>,
}

impl ParamsArgs {
    /// The parameters asked for: each flag given, else the chain's own, else the default; and
    /// the dev accounts they fund. A new chain has ten accounts unless `--accounts 0`; an
    /// existing chain keeps its premine unless an account flag is given (then it must match).
    pub fn resolve(
        &self,
        chain: Option<Params>,
    ) -> Result<(Params, Option<DevAccounts>), ConfigError> {
        self.resolve_with(chain, || self.new_chain_accounts())
    }

    /// [`Self::resolve`], a new chain's accounts taken from `new_chain` (derived beforehand,
    /// beside other work: stretching the phrase and deriving the keys takes milliseconds).
    pub fn resolve_with(
        &self,
        chain: Option<Params>,
        new_chain: impl FnOnce() -> Result<Option<DevAccounts>, ConfigError>,
    ) -> Result<(Params, Option<DevAccounts>), ConfigError> {
        let base = chain.clone().unwrap_or_default();
        let given =
            self.accounts.is_some() || self.account_balance.is_some() || self.seed_phrase.is_some();
        let accounts = match (&chain, given) {
            (Some(_), false) => None,
            (Some(chain), true) => self.accounts_on(Some(&chain.premine))?,
            (None, _) => new_chain()?,
        };
        let premine = match (&accounts, &chain, given) {
            (Some(accounts), _, _) => accounts.premine().map_err(ConfigError::Premine)?,
            (None, Some(chain), false) => chain.premine.clone(),
            (None, _, _) => Premine::default(),
        };
        let params = Params {
            difficulty_bits: self.difficulty.unwrap_or(base.difficulty_bits),
            block_reward: self.reward.unwrap_or(base.block_reward),
            premine,
            ..base
        };
        Ok((params, accounts))
    }

    /// These flags without the account ones: a fork takes the source's premine.
    pub fn without_accounts(&self) -> Self {
        Self {
            accounts: None,
            account_balance: None,
            seed_phrase: None,
            ..self.clone()
        }
    }

    /// The accounts a new chain starts with under these flags.
    pub fn new_chain_accounts(&self) -> Result<Option<DevAccounts>, ConfigError> {
        self.accounts_on(None)
    }

    /// The accounts the flags describe; values not given come from `premine` (an existing
    /// chain's), else the defaults. `None` for zero accounts.
    fn accounts_on(&self, premine: Option<&Premine>) -> Result<Option<DevAccounts>, ConfigError> {
        let count = self.accounts.unwrap_or_else(|| match premine {
            Some(p) => p.outputs().len() as u32,
            None => DevAccounts::DEFAULT_COUNT,
        });
        if count == 0 {
            return Ok(None);
        }
        let balance = self.account_balance.unwrap_or_else(|| {
            premine
                .and_then(|p| p.outputs().first())
                .map_or(DevAccounts::DEFAULT_BALANCE, |o| o.value)
        });
        let phrase = match &self.seed_phrase {
            Some(text) => SeedPhrase::parse(text).map_err(ConfigError::SeedPhrase)?,
            None => SeedPhrase::default_phrase(),
        };
        let accounts =
            DevAccounts::derive(phrase, count, balance).map_err(ConfigError::SeedPhrase)?;
        Ok(Some(accounts))
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
    /// Which payments the pool takes: `chained` (a payment may spend pending transactions'
    /// outputs, so a wallet may have many pending sends) or `reference` (one pending send per
    /// keystore wallet, WALLET_LOCKED until it is mined, as the reference teaches).
    #[arg(long, env = "POCKET_POOL_POLICY", value_enum, default_value_t = PolicyArg::Chained)]
    pub pool_policy: PolicyArg,
}

/// `--pool-policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyArg {
    /// Chained payments.
    Chained,
    /// The reference's one pending send per wallet.
    Reference,
}

impl NodeArgs {
    /// The node settings these flags describe, with the parameters settled.
    pub fn node_config(&self, params: Params, accounts: Option<DevAccounts>) -> NodeConfig {
        let defaults = NodeConfig::default();
        NodeConfig {
            params,
            accounts,
            pool_policy: match self.pool_policy {
                PolicyArg::Chained => PoolPolicy::Chained,
                PolicyArg::Reference => PoolPolicy::Reference,
            },
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
