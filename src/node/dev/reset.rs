//! `reset_system`: clear everything and replay the reference's training scenario.

use std::sync::Arc;

use crate::model::{DevClock, PendingTx, PoolEntry, Wallet};
use crate::node::{Node, NodeEvent, NodeResult, PoolChangeKind};
use crate::store::{clear_all, mining};

/// Payments from the first wallet, each mined in its own block: (recipient index, amount).
const FIRST_ROUNDS: [(usize, u64); 7] = [(1, 3), (2, 2), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)];

impl Node {
    /// Clears every table, then replays the training scenario in one transaction: 8 wallets,
    /// genesis to the first, seven send-and-mine rounds, seven sends of 1 back to the first, then
    /// blocks of 2 and 3 mined by the second. Ends with balances 75, 22, 1, 0, 0, 0, 1, 1 and two
    /// pending transactions. The dev clock goes back to the wall clock (a new chain starts now).
    /// Returns the wallets in creation order.
    pub async fn reset_system(&self) -> NodeResult<Vec<Wallet>> {
        self.commit(async |txn, events| {
            clear_all(txn).await?;
            mining::set_clock(txn, &DevClock::default()).await?;
            let mut wallets = Vec::with_capacity(8);
            for _ in 0..8 {
                wallets.push(self.new_wallet_in(txn).await?);
            }
            let addr: Vec<_> = wallets.iter().map(|w| w.address).collect();
            let genesis = self.mine_in(txn, &addr[0], 0, events).await?;
            events.insert(
                0,
                NodeEvent::ChainReset {
                    genesis: genesis.hash,
                },
            );
            for (to, amount) in FIRST_ROUNDS {
                let entry = self.send_in(txn, &addr[0], &addr[to], amount).await?;
                events.push(added(entry));
                let txs = self.config.params.default_txs_per_block;
                self.mine_in(txn, &addr[0], txs, events).await?;
            }
            for from in &addr[1..] {
                let entry = self.send_in(txn, from, &addr[0], 1).await?;
                events.push(added(entry));
            }
            self.mine_in(txn, &addr[1], 2, events).await?;
            self.mine_in(txn, &addr[1], 3, events).await?;
            Ok(wallets)
        })
        .await
    }
}

fn added(entry: PendingTx) -> NodeEvent {
    NodeEvent::PoolChanged {
        kind: PoolChangeKind::Added,
        entry: Arc::new(PoolEntry::Pending(entry)),
    }
}
