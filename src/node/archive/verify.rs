//! `verify_chain` and `reindex`: replay every block from genesis.

use std::collections::HashMap;

use crate::store::Db;

use crate::chain::{
    Address, Block, BlockHash, ChainTip, IndexRow, OutPoint, Utxo, check_signatures,
    connect_ordered, validate_block_alone,
};
use crate::model::VerifyReport;
use crate::node::{Node, NodeError, NodeResult};
use crate::store::blocks;
use crate::store::{balances, chainstate, side_blocks, tx_index, undo, wallets};

/// Blocks read per statement during a replay.
const REPLAY_BATCH: u64 = 200;

/// Progress callback: (blocks done, blocks in all).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

impl Node {
    /// Re-checks every block (links, heights, PoW, merkle roots, signatures, spends), the
    /// transaction index, and that the chainstate equals the replay of the blocks. Reads one
    /// consistent snapshot and takes no writer's turn.
    pub async fn verify_chain(&self, progress: Progress<'_>) -> NodeResult<VerifyReport> {
        let txn = self.store.begin_snapshot().await?;
        let (utxos, spent, report) = self.replay(&txn, progress, true).await?;
        let stored = chainstate::all(&txn).await?;
        if stored != utxos {
            let missing = utxos.keys().filter(|o| !stored.contains_key(o)).count();
            let extra = stored.keys().filter(|o| !utxos.contains_key(o)).count();
            return Err(NodeError::Inconsistent(format!(
                "chainstate differs from the replay of the blocks: {missing} outputs missing, {extra} extra"
            )));
        }
        let mut sums: HashMap<Address, (u64, u64)> = HashMap::new();
        for utxo in utxos.values() {
            sums.entry(utxo.output.pubkey_hash.into()).or_default().0 += utxo.output.value;
        }
        for (_, _, utxo) in &spent {
            sums.entry(utxo.output.pubkey_hash.into()).or_default().1 += utxo.output.value;
        }
        if balances::all(&txn).await? != sums {
            return Err(NodeError::Inconsistent(
                "balances by address (ab) differ from the sums of the chainstate and the undo data"
                    .into(),
            ));
        }
        // Every keystore row's address is its public key's (reading a row checks it; listing
        // pages derive the address from the key and do not).
        wallets::all_sealed(&txn).await?;
        self.check_tree(&txn, report.blocks).await?;
        crate::store::rollback(txn).await?;
        Ok(report)
    }

    /// The block tree's side branches: each side block is off the main chain, hangs from a known
    /// parent at the height after it, passes every rule that needs no chainstate, and no valid
    /// branch has more work than the main chain (the node would have moved to it).
    async fn check_tree(&self, db: &impl Db, main_blocks: u64) -> NodeResult<()> {
        let side = side_blocks::all(db).await?;
        let heights: HashMap<BlockHash, (u64, bool)> = side
            .iter()
            .map(|s| (s.stored.hash, (s.stored.height, s.invalid.is_some())))
            .collect();
        for block in &side {
            let (hash, height) = (block.stored.hash, block.stored.height);
            let bad = |why: String| NodeError::Inconsistent(format!("side block {hash}: {why}"));
            if blocks::height_of(db, &hash).await?.is_some() {
                return Err(bad("also on the main chain".into()));
            }
            let prev = block.stored.block.header.prev_hash;
            let parent_height = match heights.get(&prev) {
                Some((h, _)) => *h,
                None => blocks::height_of(db, &prev)
                    .await?
                    .ok_or_else(|| bad(format!("parent {prev} is not in the tree")))?,
            };
            let parent = ChainTip {
                hash: prev,
                height: parent_height,
            };
            validate_block_alone(&block.stored.block, Some(&parent), &self.params())
                .map_err(|e| bad(e.to_string()))?;
            if parent_height + 1 != height {
                return Err(bad(format!(
                    "stored at height {height}, parent at {parent_height}"
                )));
            }
            if block.invalid.is_none() && height + 1 > main_blocks {
                return Err(bad(format!(
                    "a valid branch with more work ({} blocks) than the main chain ({main_blocks})",
                    height + 1
                )));
            }
        }
        Ok(())
    }

    /// Rebuilds the chainstate from the blocks, under the writer's turn.
    pub async fn reindex(&self, progress: Progress<'_>) -> NodeResult<VerifyReport> {
        self.commit(async |txn, _| {
            let (utxos, spent, report) = self.replay(txn, progress, false).await?;
            chainstate::replace_all(txn, &utxos).await?;
            undo::replace_all(txn, &spent).await?;
            balances::recount_spent(txn).await?;
            Ok(report)
        })
        .await
    }

    async fn replay(
        &self,
        db: &impl Db,
        progress: Progress<'_>,
        check_index: bool,
    ) -> NodeResult<(HashMap<OutPoint, Utxo>, Vec<SpentRow>, VerifyReport)> {
        let tip = blocks::tip(db).await?;
        let total = tip.map_or(0, |t| t.height + 1);
        let mut utxos: HashMap<OutPoint, Utxo> = HashMap::new();
        let mut at: Option<ChainTip> = None;
        let mut transactions = 0u64;
        let mut spent: Vec<SpentRow> = Vec::new();
        progress(0, total);
        while at.map_or(0, |t| t.height + 1) < total {
            let from = at.map_or(0, |t| t.height + 1);
            let batch = blocks::range(db, from, REPLAY_BATCH).await?;
            if batch.is_empty() {
                return Err(NodeError::Inconsistent(format!(
                    "no block at height {from}, below the tip"
                )));
            }
            let last = batch.last().map_or(from, |b| b.height);
            let stored_rows = if check_index {
                Some((
                    tx_index::index_range(db, from, last).await?,
                    undo::range(db, from, last).await?,
                ))
            } else {
                None
            };
            for (offset, stored) in batch.iter().enumerate() {
                if stored.height != from + offset as u64 {
                    return Err(NodeError::Inconsistent(format!(
                        "block {} stored at the wrong height",
                        stored.hash
                    )));
                }
            }
            // The one pipeline's pure step: the ordered rules, then every signature on all
            // cores; its rows are what the blocks' index and undo data must be.
            let chain: Vec<&Block> = batch.iter().map(|stored| &stored.block).collect();
            let ordered = connect_ordered(&chain, at, &self.params(), &mut utxos);
            let bad_signature = check_signatures(&chain, &ordered.checks, &|_| {})
                .map(|(position, error)| (&batch[position], error));
            let failure = ordered.failure.map(|f| (&batch[f.position], f.error));
            if let Some((stored, error)) = bad_signature.or(failure) {
                return Err(NodeError::Inconsistent(format!(
                    "block {} at height {}: {error}",
                    stored.hash, stored.height
                )));
            }
            transactions += chain
                .iter()
                .map(|b| b.transactions.len() as u64)
                .sum::<u64>();
            at = ordered.tip;
            let mut batch_spent = ordered.rows.undo;
            batch_spent.sort_by_key(|(height, outpoint, _)| (*height, *outpoint));
            if let Some((index, undo_rows)) = stored_rows {
                if sorted(index) != sorted(ordered.rows.index) {
                    return Err(NodeError::Inconsistent(format!(
                        "transaction index differs from the blocks at heights {from}.."
                    )));
                }
                if undo_rows != batch_spent {
                    return Err(NodeError::Inconsistent(format!(
                        "undo data differs from the blocks at heights {from}..={last} (a \
                         database from before undo data was kept: run `pocket reindex`)"
                    )));
                }
            }
            spent.extend(batch_spent);
            progress(at.map_or(0, |t| t.height + 1), total);
        }
        if at != tip {
            return Err(NodeError::Inconsistent(
                "the tip is not the last replayed block".into(),
            ));
        }
        if blocks::count(db).await? != total {
            return Err(NodeError::Inconsistent(
                "blocks stored above the tip".into(),
            ));
        }
        let total_supply = utxos.values().map(|u| u.output.value).sum();
        let report = VerifyReport {
            blocks: total,
            transactions,
            utxos: utxos.len() as u64,
            total_supply,
        };
        Ok((utxos, spent, report))
    }
}

/// Undo data: (spending height, outpoint, output as it was).
type SpentRow = (u64, OutPoint, Utxo);

/// Index rows in one order whatever produced them: by height, position, address text.
fn sorted(mut rows: Vec<IndexRow>) -> Vec<IndexRow> {
    rows.sort_by_cached_key(|r| {
        (
            r.location.height,
            r.location.position,
            r.address.to_string(),
        )
    });
    rows
}
