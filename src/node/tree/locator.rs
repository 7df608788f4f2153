//! Reads of the block tree: a block wherever it is, the tree near the tip, and the block
//! locator peers exchange to find where their chains part.

use crate::chain::{BlockHash, ChainTip, Transaction, Txid, locator_heights};
use crate::model::{HeaderRun, TreeBlock};
use crate::node::{Node, NodeResult};
use crate::store::{Db, StoreResult, blocks, pool, side_blocks, tx_index};

/// Most blocks a locator may name (a chain of 2^63 blocks needs 73).
pub const MAX_LOCATOR: usize = 128;

/// Most headers one [`Node::headers_after`] answers (176 KiB of headers).
pub const MAX_HEADERS: u64 = 2000;

impl Node {
    /// The block with this hash, on the main chain or off it.
    pub async fn block_in_tree(&self, hash: &BlockHash) -> NodeResult<Option<TreeBlock>> {
        let db = self.store.db();
        if let Some(stored) = blocks::by_hash(db, hash).await? {
            return Ok(Some(TreeBlock {
                stored,
                main_chain: true,
                invalid: None,
            }));
        }
        Ok(side_blocks::by_hash(db, hash).await?.map(Into::into))
    }

    /// Whether block `hash` waits in memory (its parent unknown, or its branch short of work).
    pub fn holds_block(&self, hash: &BlockHash) -> bool {
        self.held.contains(hash)
    }

    /// Whether the tree holds block `hash` (on the main chain or off it), without reading it.
    pub async fn knows_block(&self, hash: &BlockHash) -> NodeResult<bool> {
        let db = self.store.db();
        Ok(blocks::height_of(db, hash).await?.is_some()
            || !side_blocks::existing(db, std::slice::from_ref(hash))
                .await?
                .is_empty())
    }

    /// The tree's blocks at heights `from..=to`: the main chain's and every side block's, by
    /// height (at most `limit` side blocks).
    pub async fn tree_between(&self, from: u64, to: u64, limit: u64) -> NodeResult<Vec<TreeBlock>> {
        let db = self.store.db();
        let count = to.saturating_sub(from).saturating_add(1);
        let mut out: Vec<TreeBlock> = blocks::range(db, from, count)
            .await?
            .into_iter()
            .map(|stored| TreeBlock {
                stored,
                main_chain: true,
                invalid: None,
            })
            .collect();
        out.extend(
            side_blocks::in_heights(db, from, to, limit)
                .await?
                .into_iter()
                .map(TreeBlock::from),
        );
        out.sort_by_key(|b| (b.stored.height, !b.main_chain));
        Ok(out)
    }

    /// A transaction, mined on the main chain or pending, signatures included: what a peer
    /// fetches to relay it.
    pub async fn raw_transaction(&self, txid: &Txid) -> NodeResult<Option<Transaction>> {
        let db = self.store.db();
        if let Some(tx) = pool::pending_tx(db, txid).await? {
            return Ok(Some(tx));
        }
        Ok(tx_index::transaction(db, txid).await?.map(|(tx, _)| tx))
    }

    /// Number of side blocks the tree holds.
    pub async fn side_block_count(&self) -> NodeResult<u64> {
        Ok(side_blocks::count(self.store.db()).await?)
    }

    /// This node's block locator: main-chain hashes at exponentially spaced heights, newest first.
    pub async fn block_locator(&self) -> NodeResult<Vec<BlockHash>> {
        let db = self.store.db();
        let Some(tip) = blocks::tip(db).await? else {
            return Ok(Vec::new());
        };
        let heights = locator_heights(tip.height);
        let mut found = blocks::hashes_at(db, &heights).await?;
        found.sort_by_key(|(height, _)| std::cmp::Reverse(*height));
        Ok(found.into_iter().map(|(_, hash)| hash).collect())
    }

    /// The first block of `locator` (newest first) on this node's main chain: where a peer's
    /// chain and this one part. `None` if they share nothing, not even genesis.
    pub async fn common_block(&self, locator: &[BlockHash]) -> NodeResult<Option<ChainTip>> {
        Ok(first_on_main(self.store.db(), locator).await?)
    }

    /// Up to `count` (at most [`MAX_HEADERS`]) main-chain headers after the first block of
    /// `locator` on the main chain, with that block; from genesis when the locator names none.
    /// The two reads are checked against each other: when the main chain moved between them
    /// (the first header does not follow the shared block), they are made again, and after a
    /// third such move no header is answered.
    pub async fn headers_after(&self, locator: &[BlockHash], count: u64) -> NodeResult<HeaderRun> {
        let count = count.min(MAX_HEADERS);
        let mut attempts = 0;
        loop {
            let run = self
                .store
                .read(|db| async move {
                    let common = first_on_main(&db, locator).await?;
                    let from = common.map_or(0, |c| c.height + 1);
                    let headers = blocks::headers_range(&db, from, count).await?;
                    Ok(HeaderRun { common, headers })
                })
                .await?;
            let (_, expected) = ChainTip::next(run.common.as_ref());
            if run.headers.first().is_none_or(|h| h.prev_hash == expected) {
                return Ok(run);
            }
            attempts += 1;
            if attempts == 3 {
                // Still moving: nothing after the shared block for now (the peer asks again).
                return Ok(HeaderRun {
                    headers: Vec::new(),
                    ..run
                });
            }
        }
    }
}

/// The first block of `locator` (newest first) on the main chain, with its height.
async fn first_on_main(db: &impl Db, locator: &[BlockHash]) -> StoreResult<Option<ChainTip>> {
    let on_main = blocks::heights_of(db, locator).await?;
    Ok(locator.iter().find_map(|hash| {
        on_main.get(hash).map(|&height| ChainTip {
            hash: *hash,
            height,
        })
    }))
}
