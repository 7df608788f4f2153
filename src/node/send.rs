//! `send`: build, sign and pool a payment from a keystore wallet.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::ConnectionTrait;

use super::{Node, NodeError, NodeEvent, NodeResult, PoolChangeKind, parse_address};
use crate::chain::{Address, OutPoint, Transaction, TxOut, Utxo, check_transaction};
use crate::store::pool::{self, PoolEntry};
use crate::store::{blocks, chainstate, wallets};

impl Node {
    /// Sends `amount` from the keystore wallet `from` to `to`, change back to `from`. A refused
    /// send is answered with its error and recorded in the pool's rejection log; it never locks
    /// the sender.
    pub async fn send(&self, from: &str, to: &str, amount: i64) -> NodeResult<PoolEntry> {
        match self.try_send(from, to, amount).await {
            Ok(entry) => {
                self.publish(vec![NodeEvent::PoolChanged {
                    kind: PoolChangeKind::Added,
                    entry: Arc::new(entry.clone()),
                }]);
                Ok(entry)
            }
            Err(err) if err.is_refusal() => {
                let entry = {
                    let _turn = self.writer.lock().await;
                    let txn = self.store.begin_write().await?;
                    let entry = pool::insert_rejected(
                        &txn,
                        from,
                        to,
                        amount,
                        &err.to_string(),
                        self.config.rejected_cap,
                    )
                    .await?;
                    txn.commit().await?;
                    entry
                };
                self.publish(vec![NodeEvent::PoolChanged {
                    kind: PoolChangeKind::Rejected,
                    entry: Arc::new(entry),
                }]);
                Err(err)
            }
            Err(err) => Err(err),
        }
    }

    async fn try_send(&self, from: &str, to: &str, amount: i64) -> NodeResult<PoolEntry> {
        let (from, to, amount) = check_send_args(from, to, amount)?;
        let _turn = self.writer.lock().await;
        let txn = self.store.begin_write().await?;
        let entry = self.send_in(&txn, &from, &to, amount).await?;
        txn.commit().await?;
        Ok(entry)
    }

    /// The send's checks and writes inside the writer's transaction.
    pub(crate) async fn send_in(
        &self,
        db: &impl ConnectionTrait,
        from: &Address,
        to: &Address,
        amount: u64,
    ) -> NodeResult<PoolEntry> {
        let wallet = wallets::get(db, from)
            .await?
            .ok_or(NodeError::UnknownWallet(*from))?;
        if blocks::tip(db).await?.is_none() {
            return Err(NodeError::NotInitialized);
        }
        if let Some(pending) = pool::pending_from(db, from).await? {
            let txid = pending.txid.ok_or_else(|| {
                NodeError::Inconsistent(format!("pending entry {} has no txid", pending.id))
            })?;
            return Err(NodeError::WalletLocked {
                address: *from,
                txid,
            });
        }
        let coins = chainstate::select_coins(db, from, amount).await?;
        let available = coins.iter().map(|(_, u)| u.output.value).sum::<u64>();
        if available < amount {
            let balance = chainstate::balances(db, &[*from])
                .await?
                .get(from)
                .copied()
                .unwrap_or(0);
            return Err(NodeError::InsufficientFunds {
                address: *from,
                available: balance,
                requested: amount,
            });
        }
        let mut outputs = vec![TxOut {
            value: amount,
            pubkey_hash: to.pubkey_hash(),
        }];
        if available > amount {
            outputs.push(TxOut {
                value: available - amount,
                pubkey_hash: from.pubkey_hash(),
            });
        }
        let inputs: Vec<OutPoint> = coins.iter().map(|(o, _)| *o).collect();
        let spent: Vec<TxOut> = coins.iter().map(|(_, u)| u.output).collect();
        let mut tx = Transaction::new_unsigned(&inputs, outputs);
        let key = self.keystore.open(from, &wallet.sealed)?;
        tx.sign(&key, &spent)
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        let view: HashMap<OutPoint, Utxo> = coins.into_iter().collect();
        check_transaction(&tx, &view)
            .map_err(|e| NodeError::Internal(format!("built an invalid transaction: {e}")))?;
        Ok(pool::insert_pending(db, &tx, from, to, amount).await?)
    }
}

/// The checks that need no database.
pub(crate) fn check_send_args(
    from: &str,
    to: &str,
    amount: i64,
) -> NodeResult<(Address, Address, u64)> {
    let from = parse_address("from", from)?;
    let to = parse_address("to", to)?;
    let amount = u64::try_from(amount)
        .ok()
        .filter(|a| *a >= 1)
        .ok_or(NodeError::InvalidAmount(amount))?;
    if from == to {
        return Err(NodeError::SameAddress(from));
    }
    Ok((from, to, amount))
}
