//! `Utxo`: an unspent output of the chainstate.

use async_graphql::Object;

use crate::chain::{self, Address, OutPoint};

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
