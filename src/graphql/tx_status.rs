//! `TransactionStatus`: where a transaction stands, for explorers and wallets that follow one.

use std::sync::Arc;

use async_graphql::{Enum, Object};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::error::ApiResult;
use crate::chain::Txid;
use crate::model::{self, TxStatus};
use crate::node::{Node, NodeEvent};

/// Waiting or mined.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum TxState {
    /// In the pool, waiting to be mined.
    Pending,
    /// In a block of the chain.
    Mined,
}

/// Where a transaction stands.
pub struct TransactionStatus(pub model::TxStatus);

#[Object]
impl TransactionStatus {
    /// Pending or mined.
    async fn state(&self) -> TxState {
        match self.0 {
            model::TxStatus::Pending { .. } => TxState::Pending,
            model::TxStatus::Mined { .. } => TxState::Mined,
        }
    }

    /// The block holding it, when mined.
    async fn block_hash(&self) -> Option<String> {
        match &self.0 {
            model::TxStatus::Mined { location, .. } => Some(location.block_hash.to_string()),
            model::TxStatus::Pending { .. } => None,
        }
    }

    /// That block's height, when mined.
    async fn height(&self) -> Option<u64> {
        match &self.0 {
            model::TxStatus::Mined { location, .. } => Some(location.height),
            model::TxStatus::Pending { .. } => None,
        }
    }

    /// Blocks from its block to the tip, inclusive; 0 while pending.
    async fn confirmations(&self) -> u64 {
        match &self.0 {
            model::TxStatus::Mined { confirmations, .. } => *confirmations,
            model::TxStatus::Pending { .. } => 0,
        }
    }

    /// Its place in the pool's queue while pending (1: taken first by the next block).
    async fn pool_position(&self) -> Option<u64> {
        match &self.0 {
            model::TxStatus::Pending { position, .. } => Some(*position),
            model::TxStatus::Mined { .. } => None,
        }
    }
}

/// The status of `txid` now, then each time an announcement changes it (a lagging feed reads it
/// again, so no change is missed).
pub fn status_feed(
    node: Arc<Node>,
    txid: Txid,
) -> impl Stream<Item = async_graphql::Result<Option<TransactionStatus>>> {
    let events = node.subscribe();
    let state = (node, events, None::<Option<TxStatus>>);
    futures::stream::unfold(state, move |(node, mut events, shown)| async move {
        let mut first = shown.is_none();
        loop {
            if !first {
                match events.recv().await {
                    Ok(NodeEvent::MiningChanged(_) | NodeEvent::SnapshotsChanged) => {
                        continue;
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return None,
                }
            }
            first = false;
            let status = match node.transaction_status(&txid).await {
                Ok(status) => status,
                Err(err) => return Some((Err(err).api(), (node, events, shown))),
            };
            if shown.as_ref() != Some(&status) {
                let answer = Ok(status.clone().map(TransactionStatus));
                return Some((answer, (node, events, Some(status))));
            }
        }
    })
}
