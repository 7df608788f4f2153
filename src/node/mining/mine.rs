//! `mine_block`: take the oldest pending transactions, re-check them, mine, commit atomically.

use std::collections::HashMap;
use std::sync::Arc;

use super::nonce_search::NonceSearch;
use super::settings::now_secs;
use crate::store::Db;

use crate::chain::{
    Address, Block, ChainTip, OutPoint, Params, Utxo, connect_blocks, connect_unsealed,
};
use crate::model::{DevClock, PoolEntry, StoredBlock};
use crate::node::{Node, NodeError, NodeEvent, NodeResult, PoolChangeKind};
use crate::store::blocks;
use crate::store::pool::{self, PooledTx};
use crate::store::{chainstate, connect};

/// Where a mined block's timestamp comes from.
pub(in crate::node) enum BlockTime<'a> {
    /// The dev clock, read inside the commit.
    Clock,
    /// The dev clock as the caller read it inside the same commit (kept up to date, so the
    /// caller can mine again with it).
    Read(&'a mut DevClock),
    /// This timestamp, and the lowest nonce that meets the difficulty (one thread searches): the
    /// same block on every machine, as a dev chain's genesis is.
    Fixed(u64),
}

/// What a block is made from besides its coinbase.
pub(in crate::node) struct Candidates {
    /// The tip it extends (`None`: a genesis block, which takes no transactions).
    pub tip: Option<ChainTip>,
    /// The transactions it may take, oldest first.
    pub txs: Vec<PooledTx>,
    /// Where they are.
    pub source: Source,
    /// A search started already for the block's header, used if the block is built the same.
    pub search: Option<NonceSearch>,
}

/// Where a block's candidate transactions are.
pub(in crate::node) enum Source {
    /// In the pool's rows, which they leave when mined.
    Pool,
    /// Held in memory by the batch being committed, never written to the pool (see
    /// `pool::reserve_pending`), with the chainstate's outputs they spend.
    Held(HashMap<OutPoint, Utxo>),
}

impl Node {
    /// Mines a block paying the reward to `miner`, with up to `tx_count` (default: the chain's
    /// default) of the oldest pending transactions. On an empty chain this is the genesis block.
    pub async fn mine_block(
        &self,
        miner: &Address,
        tx_count: Option<i64>,
    ) -> NodeResult<Arc<StoredBlock>> {
        let count = self.txs_per_block(tx_count)?;
        self.commit(async |txn, events| self.mine_in(txn, miner, count, events).await)
            .await
    }

    /// How many pending transactions a block takes: `tx_count`, or the chain's default; at most
    /// what a block holds besides its coinbase.
    pub(in crate::node) fn txs_per_block(&self, tx_count: Option<i64>) -> NodeResult<usize> {
        let max = self.params().max_block_txs - 1;
        let requested = tx_count.unwrap_or(self.params().default_txs_per_block as i64);
        usize::try_from(requested)
            .ok()
            .filter(|n| *n <= max)
            .ok_or(NodeError::InvalidTxCount { requested, max })
    }

    /// Mines the genesis block for `miner` (the reference's `init_system`).
    pub async fn init_system(&self, miner: &Address) -> NodeResult<Arc<StoredBlock>> {
        self.commit(async |txn, events| {
            if blocks::tip(txn).await?.is_some() {
                return Err(NodeError::AlreadyInitialized);
            }
            self.mine_in(txn, miner, 0, events).await
        })
        .await
    }

    /// The mining steps inside the writer's transaction; announcements go to `events`, to be
    /// published after commit.
    pub(crate) async fn mine_in(
        &self,
        db: &impl Db,
        miner: &Address,
        count: usize,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<Arc<StoredBlock>> {
        self.mine_with(db, miner, count, &self.params(), BlockTime::Clock, events)
            .await
    }

    /// [`Node::mine_in`] under `params` (a reset's new chain), its timestamp from `time`.
    pub(in crate::node) async fn mine_with(
        &self,
        db: &impl Db,
        miner: &Address,
        count: usize,
        params: &Params,
        time: BlockTime<'_>,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<Arc<StoredBlock>> {
        let tip = blocks::tip(db).await?;
        let candidates = if tip.is_some() && count > 0 {
            pool::oldest_pending(db, count as u64).await?
        } else {
            Vec::new()
        };
        let from = Candidates {
            tip,
            txs: candidates,
            source: Source::Pool,
            search: None,
        };
        self.mine_candidates(db, miner, from, params, time, events)
            .await
    }

    /// Mines a block from `candidates`.
    pub(in crate::node) async fn mine_candidates(
        &self,
        db: &impl Db,
        miner: &Address,
        candidates: Candidates,
        params: &Params,
        time: BlockTime<'_>,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<Arc<StoredBlock>> {
        let Candidates {
            tip,
            txs: candidates,
            source,
            search,
        } = candidates;
        let rested = matches!(source, Source::Pool);
        let view = match source {
            Source::Pool => {
                let outpoints: Vec<OutPoint> = candidates
                    .iter()
                    .flat_map(|pooled| pooled.tx.inputs.iter().map(|i| i.previous_output))
                    .collect();
                chainstate::get_many(db, &outpoints).await?
            }
            Source::Held(spent) => spent,
        };

        let (height, _) = ChainTip::next(tip.as_ref());
        let held = candidates.len();
        // Held transactions have their signatures verified with the block, during its nonce
        // search; pool entries here, before they are taken.
        let packed = self
            .pack(db, candidates, view.clone(), height, rested)
            .await?;
        if !rested && packed.entries.len() != held {
            // Held entries have no pool rows to wait in; they were checked against this
            // chainstate in this transaction, so their block takes them all.
            return Err(NodeError::Inconsistent(format!(
                "a block took {} of the {held} transactions of its commit",
                packed.entries.len()
            )));
        }

        let (timestamp, threads) = match time {
            BlockTime::Fixed(time) => (time, 1),
            BlockTime::Clock => (self.block_time_in(db).await?, self.config.mining_threads),
            BlockTime::Read(clock) => (
                self.take_block_time(db, clock).await?,
                self.config.mining_threads,
            ),
        };
        let mut block = Block::candidate(
            tip.as_ref(),
            miner.pubkey_hash(),
            packed.included,
            params,
            timestamp,
        );
        // The helpers search while this thread checks the block and writes what does not name
        // it; then it joins them.
        let search = match search {
            Some(started) if started.header() == &block.header => started,
            _ => self.start_search(&block.header, height, threads),
        };
        // Through the one pipeline, signatures and all, like a block from outside; its proof of
        // work once sealed.
        let unsealed = connect_unsealed(&block, tip, params, view)
            .map_err(|error| NodeError::Inconsistent(format!("mined an invalid block: {error}")))?;
        for (entry, reason) in packed.rejected {
            self.evict(db, vec![entry], &reason, events).await?;
        }
        connect::connect_unsealed(db, unsealed.undo(), unsealed.changes()).await?;
        let nonce = self.finish_search(search).await?.nonce;
        let (header, rows) = unsealed
            .seal(nonce)
            .map_err(|error| NodeError::Inconsistent(format!("mined an invalid block: {error}")))?;
        block.header = header;
        let stored = Arc::new(StoredBlock {
            hash: block.hash(),
            height,
            block,
        });
        connect::connect_sealed(db, &stored, &rows.index).await?;
        if rested {
            let mined_ids: Vec<i64> = packed.entries.iter().map(|e| e.id).collect();
            pool::remove(db, &mined_ids).await?;
        }

        events.push(NodeEvent::BlockMined(stored.clone()));
        events.extend(
            packed
                .entries
                .into_iter()
                .map(|entry| NodeEvent::PoolChanged {
                    kind: PoolChangeKind::Removed,
                    entry: Arc::new(PoolEntry::Pending(entry)),
                }),
        );
        Ok(stored)
    }

    /// Up to `count` blocks paying only their reward to `miner`, on a chain that has a tip and
    /// nothing pending: each is searched on the one before in memory, and once `until` has passed
    /// (after at least one) the run ends; then all go through the pipeline together and are written
    /// in one pass, as a run of blocks from a peer is.
    pub(in crate::node) async fn mine_empty_in(
        &self,
        db: &impl Db,
        miner: &Address,
        count: usize,
        until: std::time::Instant,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<Vec<Arc<StoredBlock>>> {
        let params = self.params();
        let start = blocks::tip(db).await?;
        // The first block takes a timestamp set for it; the others the dev clock's time.
        let mut timestamp = self.block_time_in(db).await?;
        let clock = crate::store::mining::clock(db).await?;
        let mut tip = start;
        let mut run: Vec<Block> = Vec::with_capacity(count);
        let mut tips: Vec<ChainTip> = Vec::with_capacity(count);
        while run.len() < count && (run.is_empty() || std::time::Instant::now() < until) {
            if !run.is_empty() {
                timestamp = clock.now(now_secs());
            }
            let mut block = Block::candidate(
                tip.as_ref(),
                miner.pubkey_hash(),
                Vec::new(),
                &params,
                timestamp,
            );
            let (height, _) = ChainTip::next(tip.as_ref());
            block.header = self
                .search_nonce(&block.header, height, self.config.mining_threads)
                .await?;
            tip = Some(ChainTip {
                hash: block.hash(),
                height,
            });
            tips.extend(tip);
            run.push(block);
        }
        let (_, rows, failure) = connect_blocks(&run, start, &params, Default::default());
        if let Some(failure) = failure {
            return Err(NodeError::Inconsistent(format!(
                "mined an invalid block: {}",
                failure.error
            )));
        }
        let mined: Vec<StoredBlock> = run
            .into_iter()
            .zip(tips)
            .map(|(block, tip)| StoredBlock {
                hash: tip.hash,
                height: tip.height,
                block,
            })
            .collect();
        connect::connect_many(db, &mined, &rows).await?;
        let mined: Vec<Arc<StoredBlock>> = mined.into_iter().map(Arc::new).collect();
        events.extend(mined.iter().cloned().map(NodeEvent::BlockMined));
        Ok(mined)
    }
}
