//! Dev accounts, as Anvil's test accounts: keys derived from a seed phrase, funded by the chain's
//! premine in a genesis block that is the same on every machine, kept as keystore wallets (so
//! `send` works from them), and a faucet (the last account) that `fund` pays from.

use std::sync::Arc;

use crate::chain::{Address, DeriveError, Params, Premine, PremineError, SecretKey, SeedPhrase};
use crate::model::{MiningMode, MiningSettings, StoredBlock, Wallet};
use crate::node::mining::mine::BlockTime;
use crate::node::{Node, NodeError, NodeEvent, NodeResult, Sent};
use crate::store::{Db, mining, wallets};

/// The timestamp of a premined genesis block (2025-12-01T00:00:00Z): fixed, so the same flags
/// give the same genesis hash everywhere.
pub const DEV_GENESIS_TIME: u64 = 1_764_547_200;

/// The accounts a dev chain starts with.
#[derive(Debug, Clone)]
pub struct DevAccounts {
    phrase: SeedPhrase,
    keys: Vec<SecretKey>,
    balance: u64,
}

impl DevAccounts {
    /// Accounts on a new chain unless told otherwise (Anvil's 10).
    pub const DEFAULT_COUNT: u32 = 10;
    /// Units each account holds at genesis (Anvil's 10,000).
    pub const DEFAULT_BALANCE: u64 = 10_000;

    /// Accounts `0..count` of `phrase`, `balance` each.
    pub fn derive(phrase: SeedPhrase, count: u32, balance: u64) -> Result<Self, DeriveError> {
        let keys = phrase.keys(count)?;
        Ok(Self {
            phrase,
            keys,
            balance,
        })
    }

    /// The default set: ten accounts of 10,000 from the default phrase.
    pub fn standard() -> Result<Self, DeriveError> {
        Self::derive(
            SeedPhrase::default_phrase(),
            Self::DEFAULT_COUNT,
            Self::DEFAULT_BALANCE,
        )
    }

    /// The premine that funds them: `balance` to each, in account order.
    pub fn premine(&self) -> Result<Premine, PremineError> {
        let owners: Vec<_> = self
            .keys
            .iter()
            .map(|k| k.public_key().pubkey_hash())
            .collect();
        Premine::equal(&owners, self.balance)
    }

    /// The accounts' keys, account 0 first.
    pub fn keys(&self) -> &[SecretKey] {
        &self.keys
    }

    /// The phrase they come from.
    pub fn phrase(&self) -> &str {
        self.phrase.phrase()
    }

    /// Units each held at genesis.
    pub fn balance(&self) -> u64 {
        self.balance
    }

    /// The faucet `fund` pays from, and AUTO mining pays: the last account.
    pub fn faucet(&self) -> Option<Address> {
        self.keys.last().map(|k| k.public_key().address())
    }
}

/// A dev account as the API and the start-up banner list it.
#[derive(Debug, Clone)]
pub struct DevAccountBalance {
    /// Its place in the derivation.
    pub index: u32,
    /// Its address.
    pub address: Address,
    /// Its secret key (public knowledge: derived from the chain's phrase).
    pub key: SecretKey,
    /// Its balance now.
    pub balance: u64,
    /// Whether `fund` pays from it.
    pub faucet: bool,
}

impl Node {
    /// This chain's dev accounts: the configured set (or the standard phrase's) when the chain's
    /// premine is theirs; `None` on a chain started without accounts or with a phrase this node
    /// was not given. Remembered per premine (deriving keys takes a few milliseconds).
    pub fn dev_accounts(&self) -> Option<DevAccounts> {
        let premine = self.params().premine;
        let first = premine.outputs().first()?;
        let mut known = self
            .known_accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((for_premine, accounts)) = known.as_ref()
            && *for_premine == premine
        {
            return accounts.clone();
        }
        let theirs = |accounts: &DevAccounts| accounts.premine().is_ok_and(|p| p == premine);
        // Else the standard phrase with the premine's count and balance: a chain started (or
        // forked from one started) with only --accounts and --account-balance.
        let accounts = self.config.accounts.clone().filter(theirs).or_else(|| {
            DevAccounts::derive(
                SeedPhrase::default_phrase(),
                premine.outputs().len() as u32,
                first.value,
            )
            .ok()
            .filter(theirs)
        });
        *known = Some((premine, accounts.clone()));
        accounts
    }

    /// This chain's dev accounts with their balances now (empty without dev accounts).
    pub async fn dev_account_balances(&self) -> NodeResult<Vec<DevAccountBalance>> {
        let Some(accounts) = self.dev_accounts() else {
            return Ok(Vec::new());
        };
        let addresses: Vec<Address> = accounts
            .keys()
            .iter()
            .map(|k| k.public_key().address())
            .collect();
        let balances = self.balances(&addresses).await?;
        let faucet = accounts.faucet();
        Ok(accounts
            .keys()
            .iter()
            .zip(addresses)
            .enumerate()
            .map(|(index, (key, address))| DevAccountBalance {
                index: index as u32,
                key: key.clone(),
                balance: balances.get(&address).copied().unwrap_or(0),
                faucet: Some(address) == faucet,
                address,
            })
            .collect())
    }

    /// The configured accounts, when the chain's premine is theirs (a new chain's genesis is
    /// created for them at open).
    pub(in crate::node) fn configured_accounts(&self) -> Option<DevAccounts> {
        let premine = self.params().premine;
        self.config.accounts.clone().filter(|accounts| {
            !premine.is_empty() && accounts.premine().is_ok_and(|p| p == premine)
        })
    }

    /// Pays `amount` to `to` from the faucet, through `send` (so AUTO mining mines it before the
    /// answer). Refused on a chain without dev accounts, or when the faucet cannot cover it.
    pub async fn fund(self: &Arc<Self>, to: &Address, amount: i64) -> NodeResult<Sent> {
        let faucet = self
            .dev_accounts()
            .and_then(|a| a.faucet())
            .ok_or(NodeError::NoFaucet)?;
        match self
            .send_and_report(&faucet.to_string(), &to.to_string(), amount)
            .await
        {
            Err(NodeError::InsufficientFunds {
                available,
                requested,
                ..
            }) => Err(NodeError::FaucetEmpty {
                faucet,
                available,
                requested,
            }),
            other => other,
        }
    }

    /// On a new chain started with accounts: their wallets and the premined genesis, in one
    /// commit, and AUTO mining paying the faucet (a payment is mined at once, as on Anvil).
    pub(in crate::node) async fn start_dev_chain(
        &self,
        accounts: &DevAccounts,
    ) -> NodeResult<Arc<StoredBlock>> {
        let params = self.params();
        self.commit(async |txn, events| {
            let (genesis, _) = self
                .start_dev_chain_in(txn, accounts, &params, events)
                .await?;
            Ok(genesis)
        })
        .await
    }

    /// [`Node::start_dev_chain`] inside the writer's transaction (a reset uses it too).
    pub(in crate::node) async fn start_dev_chain_in(
        &self,
        db: &impl Db,
        accounts: &DevAccounts,
        params: &Params,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<(Arc<StoredBlock>, Vec<Wallet>)> {
        let wallets = self.account_wallets_in(db, accounts).await?;
        let faucet = accounts.faucet().ok_or(NodeError::NoFaucet)?;
        let genesis = self
            .mine_with(
                db,
                &faucet,
                0,
                params,
                BlockTime::Fixed(DEV_GENESIS_TIME),
                events,
            )
            .await?;
        self.automine_to_faucet_in(db, accounts, params, events)
            .await?;
        Ok((genesis, wallets))
    }

    /// On a chain copied from elsewhere (a fork): when its premine is the dev accounts', makes
    /// them this node's wallets and mines automatically to the faucet, as a new dev chain does.
    pub async fn adopt_dev_accounts(&self) -> NodeResult<()> {
        let Some(accounts) = self.dev_accounts() else {
            return Ok(());
        };
        let params = self.params();
        self.commit(async |txn, events| {
            self.account_wallets_in(txn, &accounts).await?;
            self.automine_to_faucet_in(txn, &accounts, &params, events)
                .await
        })
        .await
    }

    /// The accounts' keystore wallets, created where missing, in account order.
    async fn account_wallets_in(
        &self,
        db: &impl Db,
        accounts: &DevAccounts,
    ) -> NodeResult<Vec<Wallet>> {
        let mut found = Vec::with_capacity(accounts.keys().len());
        for key in accounts.keys() {
            let address = key.public_key().address();
            let wallet = match wallets::get(db, &address).await? {
                Some(stored) => stored.wallet,
                None => self.insert_wallet_in(db, key).await?,
            };
            found.push(wallet);
        }
        Ok(found)
    }

    /// AUTO mining, paying the faucet.
    async fn automine_to_faucet_in(
        &self,
        db: &impl Db,
        accounts: &DevAccounts,
        params: &Params,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<()> {
        let settings = MiningSettings {
            mode: MiningMode::Auto,
            address: Some(accounts.faucet().ok_or(NodeError::NoFaucet)?),
            interval_seconds: None,
            tx_count: params.default_txs_per_block as u32,
        };
        mining::set(db, &settings).await?;
        events.push(NodeEvent::MiningChanged(settings));
        Ok(())
    }
}
