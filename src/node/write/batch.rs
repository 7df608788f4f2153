//! The group commit: sends and submitted transactions arriving together share one database
//! transaction. Each caller queues its request; one drainer, spawned by the first caller to find
//! none running, commits the queue batch by batch through the node's commit path and answers each
//! caller. Requests keep their arrival order, so a second send from the same wallet in the same
//! batch spends the first one's change (or, under the reference's pool policy, finds the wallet
//! locked).

use std::collections::HashMap;
use std::sync::Arc;

use crate::store::Db;
use tokio::sync::oneshot;

use super::build::check_send_args;
use crate::chain::{Address, OutPoint, Transaction, TxOut, Txid, Utxo};
use crate::model::{PendingTx, PoolEntry, StoredBlock};
use crate::node::mining::auto::Held;
use crate::node::{InvalidTx, Node, NodeError, NodeEvent, NodeResult, PoolChangeKind};
use crate::store::pool::{self, PooledTx};

/// Most sends committed together.
const MAX_BATCH: usize = 256;

/// Sends waiting for the writer, and whether a drainer is on its way to them.
#[derive(Debug, Default)]
pub(crate) struct SendQueue {
    jobs: Vec<SendJob>,
    draining: bool,
}

/// A queued request and where its answer goes.
#[derive(Debug)]
pub(crate) struct SendJob {
    request: Request,
    reply: oneshot::Sender<NodeResult<Sent>>,
}

/// What a queued job asks for: a payment the node signs, or a transaction the client signed.
#[derive(Debug)]
pub(crate) enum Request {
    /// `send`: arguments as given.
    Send {
        from: String,
        to: String,
        amount: i64,
    },
    /// `submitTransaction`, checked up to its signatures.
    Submit(Box<Submission>),
}

/// An accepted send, and the block it is in when AUTO mining mined it in the same commit.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The pool entry.
    pub entry: PoolEntry,
    /// The block holding it (AUTO mode only).
    pub block: Option<Arc<StoredBlock>>,
}

/// A submitted transaction on its way to the writer.
#[derive(Debug)]
pub(crate) struct Submission {
    /// What the pool's refusal log shows if it is refused: payer, payee, amount.
    pub(crate) summary: (String, String, i64),
    /// The transaction, or why it is refused already.
    pub(crate) checked: Result<Checked, InvalidTx>,
    /// Whether a refusal goes into the pool's refusal log: a client's does; a transaction
    /// relayed from a peer does not (the peer's view differs, which is no user's mistake).
    pub(crate) logged: bool,
}

/// A decoded transaction whose signatures verify against `spent`.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(in crate::node) tx: Transaction,
    pub(in crate::node) txid: Txid,
    pub(in crate::node) spent: Vec<TxOut>,
}

/// What a job did inside the writer's transaction.
pub(crate) enum Pooled {
    /// A new pool entry.
    Added(PendingTx),
    /// The same transaction was pending already: nothing changed.
    Known(PendingTx),
}

impl Node {
    /// Queues a request for the next batch and waits for its answer, which comes after the
    /// commit.
    pub(crate) async fn enqueue(self: &Arc<Self>, request: Request) -> NodeResult<Sent> {
        let (reply, answer) = oneshot::channel();
        let job = SendJob { request, reply };
        let start_drainer = {
            let mut queue = self.send_queue.lock().map_err(|_| NodeError::SendQueue)?;
            queue.jobs.push(job);
            !std::mem::replace(&mut queue.draining, true)
        };
        if start_drainer {
            // Spawned, so that a caller going away cannot cancel a batch holding others' sends.
            let node = Arc::clone(self);
            tokio::spawn(async move { node.drain_send_queue().await });
        }
        answer.await.map_err(|_| NodeError::SendQueue)?
    }

    /// Commits queued sends batch by batch until the queue is empty. One drainer runs at a time:
    /// it clears `draining` under the same lock under which senders look at it.
    async fn drain_send_queue(&self) {
        loop {
            let jobs: Vec<SendJob> = match self.send_queue.lock() {
                Ok(mut queue) => {
                    let n = queue.jobs.len().min(MAX_BATCH);
                    if n == 0 {
                        queue.draining = false;
                        return;
                    }
                    queue.jobs.drain(..n).collect()
                }
                Err(_) => return,
            };
            self.run_send_batch(jobs).await;
        }
    }

    async fn run_send_batch(&self, jobs: Vec<SendJob>) {
        let outcome = self
            .commit(async |txn, events| {
                let submissions = jobs.iter().filter_map(|job| match &job.request {
                    Request::Submit(submission) => Some(submission.as_ref()),
                    Request::Send { .. } => None,
                });
                let auto = self.auto_mining_in(txn).await?;
                let mut view = BatchView::read(self, txn, submissions).await?;
                if let Some(auto) = auto.as_ref().filter(|auto| auto.straight(jobs.len())) {
                    view.held = Some(auto.hold());
                }
                let mut answers = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    answers.push(self.send_job_in(txn, job, &mut view, events).await?);
                }
                let mined = match auto {
                    Some(auto) if answers.iter().any(Result::is_ok) => {
                        self.auto_mine_in(txn, auto, view.held, events).await?
                    }
                    _ => Vec::new(),
                };
                // Each mined transaction's block, hashed once for the whole batch.
                let mined_in: HashMap<Txid, &Arc<StoredBlock>> = mined
                    .iter()
                    .flat_map(|b| b.block.transactions.iter().map(move |t| (t.txid(), b)))
                    .collect();
                Ok(answers
                    .into_iter()
                    .map(|answer| {
                        answer.map(|entry| Sent {
                            block: match &entry {
                                PoolEntry::Pending(tx) => {
                                    mined_in.get(&tx.txid).map(|b| (*b).clone())
                                }
                                PoolEntry::Refused(_) => None,
                            },
                            entry,
                        })
                    })
                    .collect::<Vec<_>>())
            })
            .await;
        match outcome {
            Ok(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let _ = job.reply.send(answer);
                }
            }
            Err(err) => {
                tracing::error!(error = %err, sends = jobs.len(), "send batch rolled back");
                for job in jobs {
                    let _ = job
                        .reply
                        .send(Err(NodeError::SendNotCommitted(err.to_string())));
                }
            }
        }
    }

    /// One queued job inside the batch's transaction: its answer (pooled, or refused and logged),
    /// or the database error that rolls the whole batch back.
    async fn send_job_in(
        &self,
        txn: &impl Db,
        job: &SendJob,
        view: &mut BatchView,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<NodeResult<PoolEntry>> {
        let logged = match &job.request {
            Request::Send { .. } => true,
            Request::Submit(submission) => submission.logged,
        };
        let (result, (from, to, amount)) = match &job.request {
            Request::Send { from, to, amount } => {
                let result = match check_send_args(from, to, *amount) {
                    Ok((from, to, amount)) => self.send_in(txn, view, &from, &to, amount).await,
                    Err(err) => Err(err),
                };
                view.sends_pooled |= result.is_ok();
                (result.map(Pooled::Added), (from, to, *amount))
            }
            Request::Submit(submission) => {
                let result = match &submission.checked {
                    Ok(checked) => self.submit_in(txn, checked, view).await,
                    Err(invalid) => Err(NodeError::InvalidTransaction(invalid.clone())),
                };
                let (from, to, amount) = &submission.summary;
                (result, (from, to, *amount))
            }
        };
        match result {
            Ok(Pooled::Known(entry)) => Ok(Ok(PoolEntry::Pending(entry))),
            Ok(Pooled::Added(entry)) => {
                let entry = PoolEntry::Pending(entry);
                events.push(NodeEvent::PoolChanged {
                    kind: PoolChangeKind::Added,
                    entry: Arc::new(entry.clone()),
                });
                Ok(Ok(entry))
            }
            Err(err) if err.is_refusal() && !logged => Ok(Err(err)),
            Err(err) if err.is_refusal() => {
                let cap = self.config.rejected_cap;
                let error = err.to_string();
                let entry = pool::insert_rejected(txn, from, to, amount, &error, cap).await?;
                events.push(NodeEvent::PoolChanged {
                    kind: PoolChangeKind::Rejected,
                    entry: Arc::new(PoolEntry::Refused(entry)),
                });
                Ok(Err(err))
            }
            Err(err) => Err(err),
        }
    }
}

/// What a batch's submissions are checked against: the spendable outputs and the pool's spenders
/// for all of their inputs, read once per batch (two statements, not two per submission) and
/// kept up to date as the batch pools transactions. Blocks are mined only after every job of a
/// batch, so the chainstate read stays true throughout.
#[derive(Debug, Default)]
pub(crate) struct BatchView {
    pub(super) utxos: HashMap<OutPoint, Utxo>,
    pub(super) spenders: HashMap<OutPoint, Txid>,
    /// Whether a send of this batch was pooled (its inputs are not in `spenders`).
    pub(crate) sends_pooled: bool,
    /// The batch's transactions when it mines straight (see `mining::auto`): held here for its
    /// block, not written to the pool.
    pub(crate) held: Option<Held>,
}

impl BatchView {
    /// Reads what `submissions` spend.
    pub(crate) async fn read<'a>(
        node: &Node,
        db: &impl Db,
        submissions: impl Iterator<Item = &'a Submission>,
    ) -> NodeResult<Self> {
        let outpoints: Vec<OutPoint> = submissions
            .filter_map(|s| s.checked.as_ref().ok())
            .flat_map(|c| c.tx.inputs.iter().map(|i| i.previous_output))
            .collect();
        if outpoints.is_empty() {
            return Ok(Self::default());
        }
        Ok(Self {
            utxos: node.spendable(db, &outpoints).await?,
            spenders: pool::spenders(db, &outpoints).await?,
            sends_pooled: false,
            held: None,
        })
    }

    /// Pools `tx`, which spends `spent`, for the batch: in the pool's rows, or, when the batch
    /// mines straight, only its entry, with the transaction held for the block.
    pub(super) async fn pool(
        &mut self,
        db: &impl Db,
        tx: &Transaction,
        spent: impl IntoIterator<Item = (OutPoint, Utxo)>,
        (from, to, amount): (&Address, &Address, u64),
    ) -> NodeResult<PendingTx> {
        let Some(held) = &mut self.held else {
            return Ok(pool::insert_pending(db, tx, from, to, amount).await?);
        };
        let entry = pool::reserve_pending(db, tx, from, to, amount).await?;
        held.txs.push(PooledTx {
            entry: entry.clone(),
            tx: tx.clone(),
        });
        held.spent.extend(spent);
        Ok(entry)
    }
}
