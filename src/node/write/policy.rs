//! The pool policy: whether a payment may spend outputs of pending transactions. It is the
//! node's policy, not consensus: blocks with chains of payments inside them are valid on every
//! node whatever its policy.

use std::collections::HashMap;

use crate::chain::{OutPoint, Utxo};
use crate::node::{Node, NodeResult};
use crate::store::{Db, chainstate, pool};

/// What the pool accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PoolPolicy {
    /// Chained payments, as every Bitcoin mempool: a transaction may spend outputs of pending
    /// ones (mined parents first), and a wallet may have any number of pending sends.
    #[default]
    Chained,
    /// The reference's rule: a keystore wallet has at most one pending send (`WALLET_LOCKED`
    /// until it is mined), and only mined outputs are spent.
    Reference,
}

impl Node {
    /// The outputs among `outpoints` a new pending transaction may spend: the chainstate's, and
    /// under the chained policy the pending transactions' (spent or not: the caller checks
    /// spenders).
    pub(in crate::node) async fn spendable(
        &self,
        db: &impl Db,
        outpoints: &[OutPoint],
    ) -> NodeResult<HashMap<OutPoint, Utxo>> {
        let mut view = chainstate::get_many(db, outpoints).await?;
        if self.config.pool_policy == PoolPolicy::Chained && view.len() < outpoints.len() {
            let missing: Vec<OutPoint> = outpoints
                .iter()
                .filter(|o| !view.contains_key(o))
                .copied()
                .collect();
            view.extend(pool::pending_outputs(db, &missing).await?);
        }
        Ok(view)
    }
}
