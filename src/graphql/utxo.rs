//! `Utxo`: an unspent output of the chainstate.

use async_graphql::{Context, Object};

use super::connection::{self, Page, page, page_size, total_if_asked};
use super::error::ApiResult;
use super::node;
use crate::chain::{self, Address, OutPoint};

/// A page of unspent outputs in outpoint order, optionally of one address: `chainstate` and
/// `Wallet.utxos`.
pub async fn utxo_page(
    ctx: &Context<'_>,
    address: Option<&Address>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Page<Utxo>> {
    let limit = page_size(first)?;
    let after: Option<OutPoint> = after
        .map(|c| connection::decode::<OutPoint>("utxo", &c))
        .transpose()?;
    let node = node(ctx)?;
    let items = node
        .chainstate(address, after.as_ref(), limit as u64 + 1)
        .await
        .api()?;
    let total = total_if_asked(ctx, node.utxo_count(address)).await?;
    Ok(page(
        items,
        limit,
        after.is_some(),
        total,
        |(o, _)| connection::encode("utxo", &o.to_string()),
        |(outpoint, utxo)| Utxo { outpoint, utxo },
    ))
}

/// An unspent output.
pub struct Utxo {
    /// Where it is.
    pub outpoint: OutPoint,
    /// What it holds.
    pub utxo: chain::Utxo,
}

#[Object]
impl Utxo {
    /// The transaction that created it.
    async fn tx_id(&self) -> String {
        self.outpoint.txid.to_string()
    }

    /// Its index among that transaction's outputs.
    async fn vout(&self) -> u32 {
        self.outpoint.vout
    }

    /// The address it pays.
    async fn address(&self) -> String {
        Address::from(self.utxo.output.pubkey_hash).to_string()
    }

    /// Its value in units.
    async fn value(&self) -> u64 {
        self.utxo.output.value
    }

    /// Height of the block that created it.
    async fn height(&self) -> u64 {
        self.utxo.height
    }

    /// Whether a coinbase created it.
    async fn coinbase(&self) -> bool {
        self.utxo.coinbase
    }
}
