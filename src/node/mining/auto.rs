//! AUTO mining: a send batch's transactions are mined in the batch's own commit, so a send is
//! answered with its block.
//!
//! When nothing else is pending and the batch holds one request, its transaction is mined
//! straight: it is held in memory and never written to the pool's rows, which it would leave again
//! in the same commit (a quarter of the pages that commit writes). It takes its pool id all the
//! same, and subscribers see it arrive and leave as any entry does.

use std::collections::HashMap;
use std::sync::Arc;

use crate::chain::{Address, Block, ChainTip, OutPoint, PubkeyHash, Transaction, Utxo};
use crate::model::{DevClock, MiningMode, StoredBlock};
use crate::node::{Node, NodeEvent, NodeResult};
use crate::store::pool::{self, PooledTx};
use crate::store::{Db, mining};

use super::mine::{BlockTime, Candidates, Source};
use super::nonce_search::NonceSearch;
use super::settings::now_secs;

/// AUTO mining's settings, read inside a send batch's transaction before its jobs.
pub(in crate::node) struct AutoMining {
    miner: Address,
    /// Transactions per block.
    count: usize,
    clock: DevClock,
    /// Whether the pool had a pending entry before the batch.
    pending: bool,
    /// The tip before the batch (its sends do not move it).
    tip: Option<ChainTip>,
}

impl AutoMining {
    /// Whether a batch of `requests` mines straight: one request, nothing else pending.
    pub(in crate::node) fn straight(&self, requests: usize) -> bool {
        requests == 1 && !self.pending
    }
}

/// A batch's transactions when it mines straight, kept for its block instead of the pool's rows.
#[derive(Debug, Default)]
pub(crate) struct Held {
    /// The transactions with their entries, in arrival order.
    pub(in crate::node) txs: Vec<PooledTx>,
    /// The chainstate's outputs they spend.
    pub(in crate::node) spent: HashMap<OutPoint, Utxo>,
    /// What their block is built on.
    template: Option<Template>,
    /// The block's nonce search, started before its transaction was signed.
    search: Option<NonceSearch>,
}

/// What a straight block is built on besides its transaction, known when the batch starts.
#[derive(Debug)]
struct Template {
    miner: PubkeyHash,
    tip: Option<ChainTip>,
    /// The timestamp it will take, unless the clock's second turns before it is mined.
    timestamp: u64,
}

impl AutoMining {
    /// An empty hold for a batch that mines straight.
    pub(in crate::node) fn hold(&self) -> Held {
        let clock = &self.clock;
        Held {
            template: Some(Template {
                miner: self.miner.pubkey_hash(),
                tip: self.tip,
                timestamp: clock
                    .next_timestamp
                    .unwrap_or_else(|| clock.now(now_secs())),
            }),
            ..Held::default()
        }
    }
}

impl Held {
    /// Starts the nonce search of the block that will hold `tx` alone, before `tx` is signed: a
    /// txid leaves the signatures out, so the block's header is known already. The block uses
    /// this search if it is built with the same header (see `Node::mine_candidates`).
    pub(in crate::node) fn start_search(&mut self, node: &Node, tx: &Transaction) {
        let Some(template) = &self.template else {
            return;
        };
        if !self.txs.is_empty() || self.search.is_some() {
            return;
        }
        let block = Block::candidate(
            template.tip.as_ref(),
            template.miner,
            vec![tx.clone()],
            &node.params(),
            template.timestamp,
        );
        let (height, _) = ChainTip::next(template.tip.as_ref());
        let threads = node.config.mining_threads;
        self.search = Some(node.start_search(&block.header, height, threads));
    }
}

impl Node {
    /// The settings AUTO mining runs with, or `None` in the other modes.
    pub(in crate::node) async fn auto_mining_in(
        &self,
        db: &impl Db,
    ) -> NodeResult<Option<AutoMining>> {
        let Some(start) = mining::batch_start(db).await? else {
            return Ok(None);
        };
        let (MiningMode::Auto, Some(miner)) = (start.settings.mode, start.settings.address) else {
            return Ok(None);
        };
        Ok(Some(AutoMining {
            miner,
            count: start.settings.tx_count.max(1) as usize,
            clock: start.clock,
            pending: start.pending,
            tip: start.tip,
        }))
    }

    /// Inside a send batch's transaction, after its jobs: the block of the batch's `held`
    /// transactions when it mines straight; otherwise blocks until the pool has nothing pending
    /// (the batch's transactions are the newest, so they are in these blocks, after any older
    /// ones). Returns the blocks mined.
    pub(in crate::node) async fn auto_mine_in(
        &self,
        db: &impl Db,
        auto: AutoMining,
        held: Option<Held>,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<Vec<Arc<StoredBlock>>> {
        let AutoMining {
            miner,
            count,
            mut clock,
            tip,
            ..
        } = auto;
        let params = self.params();
        if let Some(Held {
            txs, spent, search, ..
        }) = held
        {
            let candidates = Candidates {
                tip,
                txs,
                source: Source::Held(spent),
                search,
            };
            let time = BlockTime::Read(&mut clock);
            let block = self
                .mine_candidates(db, &miner, candidates, &params, time, events)
                .await?;
            return Ok(vec![block]);
        }
        let mut mined = Vec::new();
        let mut pending = pool::count(db, false).await?;
        while pending > 0 {
            let time = BlockTime::Read(&mut clock);
            let block = self
                .mine_with(db, &miner, count, &params, time, events)
                .await?;
            let taken = block.block.transactions.len().saturating_sub(1) as u64;
            mined.push(block);
            if taken >= pending {
                // Mined entries leave the pool: nothing is left to count.
                break;
            }
            // A block takes at least one entry (mined or rejected) unless all it looked at wait
            // for parents further back; those stay for the next block.
            let left = pool::count(db, false).await?;
            if left >= pending {
                break;
            }
            pending = left;
        }
        Ok(mined)
    }
}
