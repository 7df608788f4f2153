//! Any address, keystore or not, as an explorer shows it: what it holds, has received and has
//! sent, and what each of its transactions did to it.

use std::collections::{HashMap, HashSet};

use crate::chain::{Address, OutPoint, TxOut, Txid};
use crate::model::AddressSummary;
use crate::model::{PendingTx, TxInBlock, TxLocation};
use crate::node::{Node, NodeResult};
use crate::store::{address_totals, pool, tx_index};

/// Most pending entries listed for one address.
pub const MAX_PENDING_LISTED: u64 = 100;

impl Node {
    /// The totals of `address`. Every output paid to it is either unspent (the chainstate) or
    /// spent (the undo data), so `received` is their sum: one statement of three indexed reads.
    pub async fn address_summary(&self, address: &Address) -> NodeResult<AddressSummary> {
        let (balance, sent, tx_count) = self
            .store
            .read(|db| async move { address_totals::of(&db, address).await })
            .await?;
        Ok(AddressSummary {
            balance,
            received: balance + sent,
            sent,
            tx_count,
        })
    }

    /// Pending transactions paying `address` or spending from it, oldest first (at most
    /// [`MAX_PENDING_LISTED`]).
    pub async fn pending_touching(&self, address: &Address) -> NodeResult<Vec<PendingTx>> {
        Ok(self
            .store
            .read(
                |db| async move { pool::pending_touching(&db, address, MAX_PENDING_LISTED).await },
            )
            .await?)
    }

    /// The transactions of the block at `height` that touch any of `addresses` (pay one, or
    /// spend from one), as (transaction, address) pairs in block order: from the transaction
    /// index, one statement.
    pub async fn block_touching(
        &self,
        height: u64,
        addresses: &HashSet<Address>,
    ) -> NodeResult<Vec<(Txid, Address, TxLocation)>> {
        let rows = self
            .store
            .read(|db| async move { tx_index::index_range(&db, height, height).await })
            .await?;
        Ok(rows
            .into_iter()
            .filter(|row| addresses.contains(&row.address))
            .map(|row| (row.txid, row.address, row.location))
            .collect())
    }

    /// What each transaction did to `address`: outputs paying it minus the outputs of its that
    /// the transaction spends. What the inputs spend comes with the blocks; one batched lookup
    /// for any block shown without it.
    pub async fn net_amounts(&self, address: &Address, txs: &[TxInBlock]) -> NodeResult<Vec<i64>> {
        let unknown: Vec<&TxInBlock> = txs.iter().filter(|t| !t.block.knows_spends()).collect();
        let looked_up: HashMap<OutPoint, TxOut> = if unknown.is_empty() {
            HashMap::new()
        } else {
            let spent: Vec<OutPoint> = unknown
                .iter()
                .filter_map(|t| t.block.transaction(t.position))
                .flat_map(|tx| tx.inputs.iter().map(|i| i.previous_output))
                .filter(|o| !o.is_null())
                .collect();
            let heights: Vec<u64> = unknown.iter().map(|t| t.block.stored.height).collect();
            self.spent_in_blocks(&heights, &spent).await?
        };
        let owner = address.pubkey_hash();
        Ok(txs
            .iter()
            .map(|mined| {
                let Some(tx) = mined.block.transaction(mined.position) else {
                    return 0;
                };
                let paid: i128 = tx
                    .outputs
                    .iter()
                    .filter(|o| o.pubkey_hash == owner)
                    .map(|o| i128::from(o.value))
                    .sum();
                let spent: i128 = match mined.block.spends_of(mined.position) {
                    Some(spends) => spends
                        .iter()
                        .flatten()
                        .filter(|o| o.pubkey_hash == owner)
                        .map(|o| i128::from(o.value))
                        .sum(),
                    None => tx
                        .inputs
                        .iter()
                        .filter_map(|i| looked_up.get(&i.previous_output))
                        .filter(|o| o.pubkey_hash == owner)
                        .map(|o| i128::from(o.value))
                        .sum(),
                };
                i64::try_from(paid - spent).unwrap_or(i64::MAX)
            })
            .collect())
    }
}
