//! Dev accounts, as Anvil's test accounts: keys derived from a seed phrase, funded by the chain's
//! premine in a genesis block that is the same on every machine, kept as keystore wallets (so
//! `send` works from them), and a faucet (the last account) that `fund` pays from.

use std::sync::Arc;

use crate::chain::{Address, DeriveError, Params, Premine, PremineError, SecretKey, SeedPhrase};
use crate::model::{MiningMode, MiningSettings, StoredBlock, Wallet};
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
    pub fn standard() -> Self {
        Self::derive(
            SeedPhrase::default_phrase(),
            Self::DEFAULT_COUNT,
            Self::DEFAULT_BALANCE,
        )
        .expect("the default phrase derives its first accounts")
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

impl Node {
    /// This chain's dev accounts: the configured set (or the standard one) when the chain's
    /// premine is theirs; `None` on a chain started without accounts or with another phrase.
    pub fn dev_accounts(&self) -> Option<DevAccounts> {
        let premine = self.params().premine;
        if premine.is_empty() {
            return None;
        }
        [self.config.accounts.clone(), Some(DevAccounts::standard())]
            .into_iter()
            .flatten()
            .find(|accounts| accounts.premine().is_ok_and(|p| p == premine))
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
        let mut accounts_wallets = Vec::with_capacity(accounts.keys().len());
        for key in accounts.keys() {
            let public_key = key.public_key();
            let address = public_key.address();
            let wallet = match wallets::get(db, &address).await? {
                Some(stored) => stored.wallet,
                None => {
                    let sealed = self.keystore.seal(&address, key)?;
                    wallets::insert(db, &public_key, sealed).await?
                }
            };
            accounts_wallets.push(wallet);
        }
        let faucet = accounts.faucet().ok_or(NodeError::NoFaucet)?;
        let genesis = self
            .mine_with(db, &faucet, 0, params, Some(DEV_GENESIS_TIME), events)
            .await?;
        let settings = MiningSettings {
            mode: MiningMode::Auto,
            address: Some(faucet),
            interval_seconds: None,
            tx_count: params.default_txs_per_block as u32,
        };
        mining::set(db, &settings).await?;
        events.push(NodeEvent::MiningChanged(settings));
        Ok((genesis, accounts_wallets))
    }
}
