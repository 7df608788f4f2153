//! Blocks as pages show them, kept by hash between requests: a page then reads only which blocks
//! it shows (heights and hashes, or the transaction index), never their bodies again.
//!
//! A hash names a block's contents for good, and an outpoint the output it names, so an entry is
//! never stale: which blocks a page shows still comes from the database on every read, and a
//! block that a reorganisation, revert or reset (here or in another process) removed is simply
//! no longer asked for. The memo is bounded by weight and forgets the least recently used
//! entries first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::chain::{BlockHash, OutPoint, TxOut};
use crate::model::{ShownBlock, StoredBlock, TxInBlock};
use crate::node::{Node, NodeResult};
use crate::store::{blocks, tx_index};

/// What the memo may hold, in [`ShownBlock::weight`] units (about bytes).
pub const MEMO_WEIGHT: usize = 48 << 20;

/// The memo: entries by hash, least recently used first out.
#[derive(Debug)]
pub struct BlockMemo {
    inner: Mutex<Entries>,
}

#[derive(Debug)]
struct Entries {
    blocks: LruCache<BlockHash, Arc<ShownBlock>>,
    weight: usize,
}

impl Default for BlockMemo {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Entries {
                blocks: LruCache::unbounded(),
                weight: 0,
            }),
        }
    }
}

impl BlockMemo {
    fn get(&self, hash: &BlockHash) -> Option<Arc<ShownBlock>> {
        self.entries().blocks.get(hash).cloned()
    }

    /// Keeps `block`, forgetting the least recently used entries past [`MEMO_WEIGHT`].
    fn keep(&self, block: Arc<ShownBlock>) {
        let mut entries = self.entries();
        let weight = block.weight();
        if entries.blocks.put(block.stored.hash, block).is_some() {
            return;
        }
        entries.weight += weight;
        while entries.weight > MEMO_WEIGHT {
            let Some((_, gone)) = entries.blocks.pop_lru() else {
                break;
            };
            entries.weight -= gone.weight();
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many blocks it holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().blocks.len()
    }
}

impl Node {
    /// Up to `limit` main-chain blocks below height `before` (all when `None`), newest first,
    /// as pages show them.
    pub async fn shown_blocks(
        &self,
        before: Option<u64>,
        limit: u64,
    ) -> NodeResult<Vec<Arc<ShownBlock>>> {
        let page = self
            .store
            .read(|db| async move { blocks::hashes_newest_first(&db, before, limit).await })
            .await?;
        let hashes: Vec<BlockHash> = page.iter().map(|(_, hash)| *hash).collect();
        let mut found = self.shown(&hashes).await?;
        if let Some(shown) = hashes.iter().map(|h| found.remove(h)).collect() {
            return Ok(shown);
        }
        // The chain changed between the two reads: read the page again in one statement.
        let stored = self.blocks(before, limit).await?;
        self.with_spends(stored.into_iter().map(Arc::new).collect())
            .await
    }

    /// The main-chain blocks among `hashes`, as pages show them.
    pub async fn shown_main_blocks(
        &self,
        hashes: &[BlockHash],
    ) -> NodeResult<HashMap<BlockHash, Arc<ShownBlock>>> {
        let main = self
            .store
            .read(|db| async move { blocks::heights_of(&db, hashes).await })
            .await?;
        let main: Vec<BlockHash> = main.into_keys().collect();
        self.shown(&main).await
    }

    /// The mined transaction `txid`, as its block shows it.
    pub async fn shown_transaction(
        &self,
        txid: &crate::chain::Txid,
    ) -> NodeResult<Option<TxInBlock>> {
        let location = self
            .store
            .read(|db| async move { tx_index::locate(&db, txid).await })
            .await?;
        let Some(location) = location else {
            return Ok(None);
        };
        let block = self.shown(&[location.block_hash]).await?;
        Ok(block.get(&location.block_hash).map(|block| TxInBlock {
            block: block.clone(),
            position: location.position,
        }))
    }

    /// The blocks among `hashes` that the memo holds (on the main chain or not: callers that
    /// care ask the chain first) or the main chain stores, read with what their inputs spend
    /// and kept.
    pub(in crate::node) async fn shown(
        &self,
        hashes: &[BlockHash],
    ) -> NodeResult<HashMap<BlockHash, Arc<ShownBlock>>> {
        let mut found = HashMap::with_capacity(hashes.len());
        let mut missing = Vec::new();
        for hash in hashes {
            match self.memo.get(hash) {
                Some(block) => {
                    found.insert(*hash, block);
                }
                None => missing.push(*hash),
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let missing = &missing;
        let stored = self
            .store
            .read(|db| async move { blocks::by_hashes(&db, missing).await })
            .await?;
        let read = self
            .with_spends(stored.into_values().map(Arc::new).collect())
            .await?;
        for block in read {
            found.insert(block.stored.hash, block);
        }
        Ok(found)
    }

    /// `blocks` with the outputs their inputs spend (one read for all), each kept in the memo
    /// when every spent output was found.
    async fn with_spends(&self, blocks: Vec<Arc<StoredBlock>>) -> NodeResult<Vec<Arc<ShownBlock>>> {
        let spent: Vec<OutPoint> = blocks
            .iter()
            .flat_map(|b| b.block.transactions.iter())
            .flat_map(|tx| tx.inputs.iter().map(|i| i.previous_output))
            .filter(|o| !o.is_null())
            .collect();
        let heights: Vec<u64> = blocks.iter().map(|b| b.height).collect();
        let outputs: HashMap<OutPoint, TxOut> = if spent.is_empty() {
            HashMap::new()
        } else {
            self.spent_in_blocks(&heights, &spent).await?
        };
        Ok(blocks
            .into_iter()
            .map(|stored| {
                let mut complete = true;
                let spends = stored
                    .block
                    .transactions
                    .iter()
                    .map(|tx| {
                        tx.inputs
                            .iter()
                            .map(|input| {
                                let outpoint = input.previous_output;
                                if outpoint.is_null() {
                                    return None;
                                }
                                let output = outputs.get(&outpoint).copied();
                                complete &= output.is_some();
                                output
                            })
                            .collect()
                    })
                    .collect();
                // A spent output not found means the chain moved under the read: the block is
                // shown with its inputs looked up one by one, and not kept.
                if !complete {
                    return Arc::new(ShownBlock::new(stored));
                }
                let block = Arc::new(ShownBlock::with_spends(stored, spends));
                self.memo.keep(block.clone());
                block
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{Block, ChainTip, Params, PubkeyHash};

    /// A block at `height` paying `to`, unmined (the memo never looks at proof of work).
    fn block(height: u64, to: u8) -> Arc<ShownBlock> {
        let tip = height.checked_sub(1).map(|h| ChainTip {
            height: h,
            hash: BlockHash::default(),
        });
        let block = Block::candidate(
            tip.as_ref(),
            PubkeyHash([to; 20]),
            Vec::new(),
            &Params::default(),
            1,
        );
        let stored = StoredBlock {
            hash: block.hash(),
            height,
            block,
        };
        Arc::new(ShownBlock::with_spends(Arc::new(stored), vec![vec![None]]))
    }

    #[test]
    fn it_forgets_the_oldest_blocks_past_its_weight() {
        let memo = BlockMemo::default();
        let each = block(0, 0).weight();
        let fits = MEMO_WEIGHT / each;
        let blocks: Vec<_> = (0..fits as u64 + 10).map(|h| block(h, 1)).collect();
        for b in &blocks {
            memo.keep(b.clone());
        }
        assert_eq!(memo.len(), fits);
        assert!(memo.get(&blocks[9].stored.hash).is_none());
        assert!(memo.get(&blocks[10].stored.hash).is_some());
        let last = blocks.last().map(|b| b.stored.hash).unwrap_or_default();
        assert!(memo.get(&last).is_some());
        assert!(memo.entries().weight <= MEMO_WEIGHT);
    }

    #[test]
    fn an_entry_is_named_by_its_contents() {
        let memo = BlockMemo::default();
        let (a, b) = (block(5, 1), block(5, 2));
        assert_ne!(a.stored.hash, b.stored.hash);
        memo.keep(a.clone());
        memo.keep(a.clone());
        assert_eq!(memo.len(), 1);
        assert!(memo.get(&b.stored.hash).is_none());
        let shown = memo
            .get(&a.stored.hash)
            .map(|s| s.txs()[0].outputs[0].address.clone());
        assert_eq!(
            shown,
            Some(crate::chain::Address::from(PubkeyHash([1; 20])).to_string())
        );
    }
}
