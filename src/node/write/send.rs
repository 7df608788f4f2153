//! `send`: build, sign and pool a payment from a keystore wallet, through the group commit
//! (`batch`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::store::Db;

use super::batch::{BatchView, Request, Sent};
use super::build::payment;
use crate::chain::{
    Address, OutPoint, SigningRequest, Transaction, Utxo, check_transaction,
    check_transaction_except_signatures,
};
use crate::model::{PendingTx, PoolEntry};
use crate::node::mining::auto::Held;
use crate::node::{Node, NodeError, NodeResult, PoolPolicy};
use crate::store::pool;
use crate::store::{blocks, chainstate, wallets};

/// Pending entries of one wallet a send looks through for change to spend.
const MAX_PENDING_SCANNED: u64 = 1000;

impl Node {
    /// Sends `amount` from the keystore wallet `from` to `to`, change back to `from`. Mined coins
    /// are spent first, then (under the chained pool policy) the change of the wallet's pending
    /// payments. A refused send is answered with its error and recorded in the pool's rejection
    /// log. The answer comes after the commit.
    pub async fn send(
        self: &Arc<Self>,
        from: &str,
        to: &str,
        amount: i64,
    ) -> NodeResult<PoolEntry> {
        Ok(self.send_and_report(from, to, amount).await?.entry)
    }

    /// [`Node::send`], also saying in which block the transaction is when AUTO mining mined it
    /// before the answer.
    pub async fn send_and_report(
        self: &Arc<Self>,
        from: &str,
        to: &str,
        amount: i64,
    ) -> NodeResult<Sent> {
        self.enqueue(Request::Send {
            from: from.to_owned(),
            to: to.to_owned(),
            amount,
        })
        .await
    }

    /// The send's checks and writes inside the writer's transaction, pooled for `batch` (a
    /// default view outside a batch).
    pub(crate) async fn send_in(
        &self,
        db: &impl Db,
        batch: &mut BatchView,
        from: &Address,
        to: &Address,
        amount: u64,
    ) -> NodeResult<PendingTx> {
        let (tx, spent) = self
            .payment_in(db, from, to, amount, batch.held.as_mut())
            .await?;
        batch.pool(db, &tx, spent, (from, to, amount)).await
    }

    /// The send's checks, and its transaction, signed and checked, with the outputs it spends.
    /// When the transaction is `held` for a block mined straight (see `mining::auto`), the
    /// block's nonce search starts before the signing, and the signature is verified with the
    /// block's, during that search.
    async fn payment_in(
        &self,
        db: &impl Db,
        from: &Address,
        to: &Address,
        amount: u64,
        held: Option<&mut Held>,
    ) -> NodeResult<(Transaction, HashMap<OutPoint, Utxo>)> {
        let wallet = wallets::get(db, from)
            .await?
            .ok_or(NodeError::UnknownWallet(*from))?;
        if self.config.pool_policy == PoolPolicy::Reference
            && let Some(pending) = pool::pending_from(db, from).await?
        {
            return Err(NodeError::WalletLocked {
                address: *from,
                txid: pending.txid,
            });
        }
        let mut coins = chainstate::select_coins(db, from, amount).await?;
        let mut available = coins.iter().map(|(_, u)| u.output.value).sum::<u64>();
        if available < amount && self.config.pool_policy == PoolPolicy::Chained {
            // Mined coins first; then the change of the wallet's pending payments.
            for coin in pool::unconfirmed_coins(db, from, MAX_PENDING_SCANNED).await? {
                available = available.saturating_add(coin.1.output.value);
                coins.push(coin);
                if available >= amount {
                    break;
                }
            }
        }
        if available < amount {
            // Coins exist only on a chain: short of them, there may be no chain at all.
            if blocks::tip(db).await?.is_none() {
                return Err(NodeError::NotInitialized);
            }
            return Err(NodeError::InsufficientFunds {
                address: *from,
                available,
                requested: amount,
            });
        }
        let SigningRequest { mut tx, spent } = payment(&coins, from, to, amount);
        let verify = held.is_none();
        if let Some(held) = held {
            held.start_search(self, &tx);
        }
        let key = self.keystore.open_stored(&wallet.wallet, &wallet.sealed)?;
        tx.sign(&key, &spent)?;
        let view: HashMap<OutPoint, Utxo> = coins.into_iter().collect();
        match verify {
            true => check_transaction(&tx, &view)?,
            false => check_transaction_except_signatures(&tx, &view)?,
        };
        Ok((tx, view))
    }
}
