//! `Holder`: the fields every holder of coins shows alike, flattened into `Wallet` and
//! `AddressInfo` so both answer them with one resolver.

use async_graphql::{Context, Object};

use super::connection::{self, Page};
use super::utxo::{Utxo, utxo_page};
use crate::chain::Address;

/// An address, as far as what it holds goes.
pub struct Holder(pub Address);

#[Object]
impl Holder {
    /// Its unspent outputs.
    #[graphql(complexity = "connection::paged_complexity(first, child_complexity)")]
    async fn utxos(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Utxo>> {
        utxo_page(ctx, Some(&self.0), first, after).await
    }
}
