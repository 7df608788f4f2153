//! Reads that join the transaction index to the blocks, written once: from outpoints to the
//! outputs they name, and from an address to the transactions that touched it. The API's loaders
//! and pages call these; each costs a fixed number of statements however many rows it answers.

use std::collections::HashMap;

use crate::chain::{Address, BlockHash, OutPoint, TxOut, Txid};
use crate::model::{StoredBlock, TxInBlock, TxLocation};
use crate::node::{Node, NodeResult};
use crate::store::{blocks, tx_index, undo};

impl Node {
    /// The outputs `outpoints` name, spent or not; those of transactions never mined are absent.
    pub async fn outputs_of(&self, outpoints: &[OutPoint]) -> NodeResult<HashMap<OutPoint, TxOut>> {
        let mut txids: Vec<Txid> = outpoints.iter().map(|o| o.txid).collect();
        txids.sort();
        txids.dedup();
        let txids = &txids;
        let locations = self
            .store
            .read(|db| async move { tx_index::locate_many(&db, txids).await })
            .await?;
        let blocks = self.blocks_holding(locations.values()).await?;
        Ok(outpoints
            .iter()
            .filter_map(|outpoint| {
                let tx = transaction_at(&blocks, locations.get(&outpoint.txid)?)?;
                Some((*outpoint, *tx.outputs.get(outpoint.vout as usize)?))
            })
            .collect())
    }

    /// The outputs that `outpoints`, spent by the blocks at `heights`, named: read from those
    /// blocks' undo data (one indexed statement, no block decoded); any not found there (an
    /// output created and spent in one block) through [`Node::outputs_of`].
    pub async fn spent_in_blocks(
        &self,
        heights: &[u64],
        outpoints: &[OutPoint],
    ) -> NodeResult<HashMap<OutPoint, TxOut>> {
        let mut heights = heights.to_vec();
        heights.sort_unstable();
        heights.dedup();
        let heights = &heights;
        let undone: HashMap<OutPoint, TxOut> = self
            .store
            .read(|db| async move { undo::at_heights(&db, heights).await })
            .await?
            .into_iter()
            .map(|(outpoint, utxo)| (outpoint, utxo.output))
            .collect();
        let missing: Vec<OutPoint> = outpoints
            .iter()
            .filter(|o| !undone.contains_key(o))
            .copied()
            .collect();
        let mut found = if missing.is_empty() {
            HashMap::new()
        } else {
            self.outputs_of(&missing).await?
        };
        found.extend(
            outpoints
                .iter()
                .filter_map(|o| undone.get(o).map(|out| (*o, *out))),
        );
        Ok(found)
    }

    /// Mined transactions that paid `address` or spent from it, newest first, before a
    /// (height, position) cursor, as their blocks show them.
    pub async fn address_history(
        &self,
        address: &Address,
        before: Option<(u64, u32)>,
        limit: u64,
    ) -> NodeResult<Vec<TxInBlock>> {
        let rows = self
            .store
            .read(|db| async move { tx_index::history(&db, address, before, limit).await })
            .await?;
        let mut hashes: Vec<BlockHash> = rows.iter().map(|r| r.location.block_hash).collect();
        hashes.sort();
        hashes.dedup();
        let blocks = self.shown(&hashes).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(TxInBlock {
                    block: blocks.get(&row.location.block_hash)?.clone(),
                    position: row.location.position,
                })
            })
            .collect())
    }

    /// The blocks that hold `locations`, each read once.
    async fn blocks_holding(
        &self,
        locations: impl Iterator<Item = &TxLocation>,
    ) -> NodeResult<HashMap<BlockHash, StoredBlock>> {
        let mut hashes: Vec<BlockHash> = locations.map(|l| l.block_hash).collect();
        hashes.sort();
        hashes.dedup();
        let hashes = &hashes;
        Ok(self
            .store
            .read(|db| async move { blocks::by_hashes(&db, hashes).await })
            .await?)
    }
}

fn transaction_at<'a>(
    blocks: &'a HashMap<BlockHash, StoredBlock>,
    location: &TxLocation,
) -> Option<&'a crate::chain::Transaction> {
    blocks
        .get(&location.block_hash)?
        .block
        .transactions
        .get(location.position as usize)
}
