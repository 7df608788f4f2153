//! `Wallet`: a keystore wallet of this node. It never exposes the secret key.

use async_graphql::{Context, Object};

use super::address::history;
use super::connection::{self, Page};
use super::error::ApiResult;
use super::holder::Holder;
use super::loaders::BalanceOf;
use super::pool_entry::PoolEntry;
use super::transaction::Transaction;
use super::{load, loader, node};
use crate::chain::Address;
use crate::model;

/// A wallet the node signs for.
pub struct Wallet {
    address: Address,
    public_key: [u8; 33],
    balance: Option<u64>,
}

impl Wallet {
    /// A wallet whose balance will be loaded on demand.
    pub fn new(wallet: &model::Wallet) -> Self {
        Self {
            address: wallet.address,
            public_key: wallet.public_key,
            balance: None,
        }
    }

    /// A wallet whose balance is already known.
    pub fn with_balance(wallet: &model::Wallet, balance: u64) -> Self {
        Self {
            balance: Some(balance),
            ..Self::new(wallet)
        }
    }
}

#[Object]
impl Wallet {
    /// Base58Check address (starts with 1).
    async fn address(&self) -> String {
        self.address.to_string()
    }

    /// Compressed secp256k1 public key, hex.
    async fn public_key(&self) -> String {
        hex::encode(self.public_key)
    }

    /// Sum of its unspent outputs.
    async fn balance(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        match self.balance {
            Some(balance) => Ok(balance),
            None => Ok(load(loader(ctx)?.load_one(BalanceOf(self.address)).await)?.unwrap_or(0)),
        }
    }

    /// The fields every holder shows: `utxos`.
    #[graphql(flatten)]
    async fn holder(&self) -> Holder {
        Holder(self.address)
    }

    /// Mined transactions that paid it or spent from it, newest first.
    #[graphql(complexity = "connection::paged_complexity(first, child_complexity)")]
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Transaction>> {
        let mut history = history(ctx, &self.address, first, after).await?;
        let items = std::mem::take(&mut history.items);
        Ok(history.into_page(items, |t| t))
    }

    /// Its oldest pending send, if it has one (under `--pool-policy reference` it cannot send
    /// again until that is mined).
    async fn pending(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PoolEntry>> {
        let entry = node(ctx)?.pending_of(&self.address).await.api()?;
        Ok(entry.map(PoolEntry::listed))
    }
}
