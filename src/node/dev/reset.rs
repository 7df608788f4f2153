//! `reset_system`: clear everything and start again: an empty chain, the dev accounts' premined
//! genesis, or the reference's training scenario.

use std::sync::Arc;

use super::accounts::DevAccounts;
use crate::chain::{Params, Premine};
use crate::model::{DevClock, PendingTx, PoolEntry, Wallet};
use crate::node::mining::mine::BlockTime;
use crate::node::write::batch::BatchView;
use crate::node::{Node, NodeError, NodeEvent, NodeResult, PoolChangeKind};
use crate::store::{Db, clear_all, mining, params};

/// Payments from the first wallet, each mined in its own block: (recipient index, amount).
const FIRST_ROUNDS: [(usize, u64); 7] = [(1, 3), (2, 2), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)];

/// What a reset starts again with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetTarget {
    /// No blocks, no wallets, no premine: the reference's empty start.
    Empty,
    /// The dev accounts (the node's, or the standard ten) and their premined genesis.
    Accounts,
    /// The reference's training scenario.
    Training,
}

impl Node {
    /// Clears every table and starts the chain again as `to` says. The dev clock goes back to the
    /// wall clock (a new chain starts now) and the chain's premine becomes the new chain's.
    /// Returns the wallets created, in creation order.
    ///
    /// TRAINING replays the reference's scenario in one transaction: 8 wallets, genesis to the
    /// first, seven send-and-mine rounds, seven sends of 1 back to the first, then blocks of 2
    /// and 3 mined by the second. It ends with balances 75, 22, 1, 0, 0, 0, 1, 1 and two pending
    /// transactions.
    pub async fn reset_system(&self, to: ResetTarget) -> NodeResult<Vec<Wallet>> {
        let accounts = match (to, self.config.accounts.clone()) {
            (ResetTarget::Accounts, Some(configured)) => Some(configured),
            (ResetTarget::Accounts, None) => {
                Some(DevAccounts::standard().map_err(|e| NodeError::Inconsistent(e.to_string()))?)
            }
            _ => None,
        };
        let premine = match &accounts {
            Some(accounts) => accounts
                .premine()
                .map_err(|e| NodeError::Inconsistent(e.to_string()))?,
            None => Premine::default(),
        };
        let params = Params {
            premine,
            ..self.params()
        };
        params.validate()?;
        let wallets = self
            .commit(async |txn, events| {
                clear_all(txn).await?;
                mining::set_clock(txn, &DevClock::default()).await?;
                params::set(txn, &params).await?;
                let (genesis, wallets) = match &accounts {
                    None if to == ResetTarget::Empty => (None, Vec::new()),
                    None => self.training_in(txn, &params, events).await?,
                    Some(accounts) => {
                        let (genesis, wallets) = self
                            .start_dev_chain_in(txn, accounts, &params, events)
                            .await?;
                        (Some(genesis.hash), wallets)
                    }
                };
                events.insert(0, NodeEvent::ChainReset { genesis });
                Ok(wallets)
            })
            .await?;
        self.set_params(params);
        Ok(wallets)
    }

    /// The training scenario under `params` (no premine): its genesis and its 8 wallets.
    async fn training_in(
        &self,
        txn: &impl Db,
        params: &Params,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<(Option<crate::chain::BlockHash>, Vec<Wallet>)> {
        let mut wallets = Vec::with_capacity(8);
        for _ in 0..8 {
            wallets.push(self.new_wallet_in(txn).await?);
        }
        let addr: Vec<_> = wallets.iter().map(|w| w.address).collect();
        let txs = params.default_txs_per_block;
        let mut pooled = BatchView::default();
        let genesis = self
            .mine_with(txn, &addr[0], 0, params, BlockTime::Clock, events)
            .await?;
        for (to, amount) in FIRST_ROUNDS {
            let entry = self
                .send_in(txn, &mut pooled, &addr[0], &addr[to], amount)
                .await?;
            events.push(added(entry));
            self.mine_with(txn, &addr[0], txs, params, BlockTime::Clock, events)
                .await?;
        }
        for from in &addr[1..] {
            let entry = self.send_in(txn, &mut pooled, from, &addr[0], 1).await?;
            events.push(added(entry));
        }
        self.mine_with(txn, &addr[1], 2, params, BlockTime::Clock, events)
            .await?;
        self.mine_with(txn, &addr[1], 3, params, BlockTime::Clock, events)
            .await?;
        Ok((Some(genesis.hash), wallets))
    }
}

fn added(entry: PendingTx) -> NodeEvent {
    NodeEvent::PoolChanged {
        kind: PoolChangeKind::Added,
        entry: Arc::new(PoolEntry::Pending(entry)),
    }
}
