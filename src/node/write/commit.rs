//! The one path by which a change to the chain is committed. Every writer passes its work to
//! [`Node::commit`], which fixes the order that keeps replicas and subscribers right:
//!
//! 1. take the writer's turn (this process's mutex; across processes, `begin_write` takes the
//!    store's write lock);
//! 2. begin the transaction;
//! 3. do the work, which returns its answer and collects announcements of what it changed;
//! 4. announce them inside the transaction (PostgreSQL: `NOTIFY`, delivered only on commit);
//! 5. commit (and, where this process is the only writer, remember the version it leaves);
//! 6. publish them to this process's subscribers (or wait until the relay has), before the
//!    caller hears that its change committed.
//!
//! Work that fails rolls the transaction back (it is dropped uncommitted) and announces nothing.

use crate::store::Txn;

use crate::node::{Node, NodeEvent, NodeResult};

impl Node {
    /// Runs `work` in a write transaction under the writer's turn, then announces, commits and
    /// publishes the events it pushed. Returns what `work` returned.
    pub(in crate::node) async fn commit<T>(
        &self,
        work: impl AsyncFnOnce(&Txn, &mut Vec<NodeEvent>) -> NodeResult<T>,
    ) -> NodeResult<T> {
        let _turn = self.writer.lock().await;
        let txn = self.store.begin_write().await?;
        let mut events = Vec::new();
        let answer = work(&txn, &mut events).await?;
        let announced = self.announce(&txn, &events).await?;
        let version = match self.known_version.tracked() {
            true => Some(crate::store::version::settle(&txn).await?),
            false => None,
        };
        crate::store::commit(txn).await?;
        if let Some(version) = version {
            self.known_version.advance(version);
        }
        self.publish(events, announced).await;
        Ok(answer)
    }
}
