//! `AddressInfo`: any valid address as an explorer shows it (keystore wallet or not), and the
//! history page it shares with `Wallet.transactions`.

use async_graphql::{Context, Object};

use super::connection::{self, HistoryCursor, Page, page, page_size, total_if_asked};
use super::error::ApiResult;
use super::holder::Holder;
use super::node;
use super::pool_entry::PoolEntry;
use super::transaction::Transaction;
use crate::chain::Address;
use crate::model::{self, TxInBlock};
use crate::node::AddressSummary;

/// An address: its totals, unspent outputs, history and pending transactions.
pub struct AddressInfo {
    address: Address,
    balance: u64,
    /// Its totals, when the selection asks for more than the balance.
    summary: Option<AddressSummary>,
}

/// The totals that read the address's history: only a selection naming one pays for those reads
/// (`{ address(…) { balance } }` reads one row).
const HISTORY_TOTALS: [&str; 3] = ["received", "sent", "txCount"];

impl AddressInfo {
    /// What the field being resolved selects of `address`.
    pub async fn read(ctx: &Context<'_>, address: Address) -> async_graphql::Result<Self> {
        let node = node(ctx)?;
        let look = ctx.look_ahead();
        if HISTORY_TOTALS
            .iter()
            .any(|field| look.field(field).exists())
        {
            let summary = node.address_summary(&address).await.api()?;
            return Ok(Self {
                address,
                balance: summary.balance,
                summary: Some(summary),
            });
        }
        Ok(Self {
            address,
            balance: node.balance(&address).await.api()?,
            summary: None,
        })
    }

    /// The totals (read now if the selection did not name them, which a look-ahead through
    /// directives can miss).
    async fn summary(&self, ctx: &Context<'_>) -> async_graphql::Result<AddressSummary> {
        match self.summary {
            Some(summary) => Ok(summary),
            None => node(ctx)?.address_summary(&self.address).await.api(),
        }
    }
}

/// A transaction of an address's history, with what it did to that address.
pub struct AddressTransaction {
    net_amount: i64,
    transaction: Transaction,
}

#[Object]
impl AddressTransaction {
    /// Outputs paying the address minus the address's outputs it spends: positive when the
    /// address received, negative when it paid.
    async fn net_amount(&self) -> i64 {
        self.net_amount
    }

    /// The transaction.
    async fn transaction(&self) -> &Transaction {
        &self.transaction
    }
}

#[Object]
impl AddressInfo {
    /// The address, Base58Check.
    async fn address(&self) -> String {
        self.address.to_string()
    }

    /// Sum of its unspent outputs.
    async fn balance(&self) -> u64 {
        self.balance
    }

    /// Everything ever paid to it in the chain.
    async fn received(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(self.summary(ctx).await?.received)
    }

    /// Everything it has spent (`received - sent = balance`).
    async fn sent(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(self.summary(ctx).await?.sent)
    }

    /// Mined transactions that paid it or spent from it.
    async fn tx_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(self.summary(ctx).await?.tx_count)
    }

    /// The fields every holder shows: `utxos`.
    #[graphql(flatten)]
    async fn holder(&self) -> Holder {
        Holder(self.address)
    }

    /// Mined transactions that paid it or spent from it, newest first, each with its net amount
    /// for this address.
    #[graphql(complexity = "connection::paged_complexity(first, child_complexity)")]
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<AddressTransaction>> {
        let mut history = history(ctx, &self.address, first, after).await?;
        let mined: Vec<TxInBlock> = history.items.iter().map(|t| t.mined().clone()).collect();
        let nets = node(ctx)?.net_amounts(&self.address, &mined).await.api()?;
        let items: Vec<AddressTransaction> = std::mem::take(&mut history.items)
            .into_iter()
            .zip(nets)
            .map(|(transaction, net_amount)| AddressTransaction {
                net_amount,
                transaction,
            })
            .collect();
        Ok(history.into_page(items, |t| &t.transaction))
    }

    /// Pending transactions paying it or spending from it, oldest first (at most 100).
    async fn pending(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PoolEntry>> {
        let entries = node(ctx)?.pending_touching(&self.address).await.api()?;
        Ok(entries
            .into_iter()
            .map(|e| PoolEntry::listed(model::PoolEntry::Pending(e)))
            .collect())
    }
}

/// One page of an address's history, before it is wrapped.
pub struct History {
    /// The transactions, newest first (one more than the page when there is a next page).
    pub items: Vec<Transaction>,
    limit: usize,
    has_previous: bool,
    total: u64,
}

impl History {
    /// The connection of `nodes` (made from `items`, in order), with history cursors.
    pub fn into_page<T: async_graphql::OutputType>(
        self,
        nodes: Vec<T>,
        transaction: impl Fn(&T) -> &Transaction,
    ) -> Page<T> {
        page(
            nodes,
            self.limit,
            self.has_previous,
            self.total,
            |n| {
                let location = transaction(n).location();
                connection::encode(
                    "history",
                    &format!("{}.{}", location.height, location.position),
                )
            },
            |n| n,
        )
    }
}

/// Reads a page of `address`'s mined transactions, newest first, after a history cursor.
pub async fn history(
    ctx: &Context<'_>,
    address: &Address,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<History> {
    let limit = page_size(first)?;
    let before = after
        .map(|c| connection::decode::<HistoryCursor>("history", &c).map(|h| (h.0, h.1)))
        .transpose()?;
    let node = node(ctx)?;
    let mined = node
        .address_history(address, before, limit as u64 + 1)
        .await
        .api()?;
    let total = total_if_asked(ctx, node.history_count(address)).await?;
    let items = mined.into_iter().filter_map(Transaction::new).collect();
    Ok(History {
        items,
        limit,
        has_previous: before.is_some(),
        total,
    })
}
