//! `submitTransaction`: a transaction signed by the client, checked like a block would check it,
//! then pooled through the same group commit as `send`.
//!
//! Under the chained pool policy a transaction may spend outputs of pending transactions.
//!
//! The signatures are verified before the writer's lock, against the spent outputs as read then.
//! An outpoint names the same output for as long as it exists, so inside the lock the node only
//! re-checks that the inputs are still unspent, in the chainstate and in the pool.

use std::collections::HashMap;
use std::sync::Arc;

use crate::store::Db;

use super::batch::{BatchView, Checked, Pooled, Request, Sent, Submission};
use crate::chain::{
    Address, OutPoint, Transaction, TxError, TxOut, Txid, Utxo,
    check_transaction_except_signatures, verify_signatures,
};
use crate::node::{InvalidTx, Node, NodeError, NodeResult};
use crate::store::{pool, tx_index};

/// Largest transaction `submitTransaction` accepts, in bytes (a signed input takes 134).
pub const MAX_TX_BYTES: usize = 100_000;

impl Node {
    /// Pools a client-signed transaction given as hex. Refusals are typed, recorded in the pool's
    /// refusal log like a refused send, and change nothing else. Submitting a pending transaction
    /// again answers its entry and changes nothing.
    pub async fn submit_transaction(self: &Arc<Self>, raw_hex: &str) -> NodeResult<Sent> {
        let submission = self.precheck(raw_hex, true).await?;
        self.enqueue(Request::Submit(Box::new(submission))).await
    }

    /// Pools a transaction relayed from a peer, as [`Node::submit_transaction`] does, except that
    /// a refusal is only answered, never recorded in the pool's refusal log (that log is the
    /// user's; the peer's task keeps its own count).
    pub async fn relay_transaction(self: &Arc<Self>, raw_hex: &str) -> NodeResult<Sent> {
        let submission = self.precheck(raw_hex, false).await?;
        self.enqueue(Request::Submit(Box::new(submission))).await
    }

    /// Decoding, the rules against the chainstate as it is now, and the signatures, outside the
    /// writer's lock. Only a database failure is an `Err`; refusals travel in the submission.
    async fn precheck(&self, raw_hex: &str, logged: bool) -> NodeResult<Submission> {
        let tx = match decode(raw_hex) {
            Ok(tx) => tx,
            Err(err) => {
                return Ok(Submission {
                    summary: (String::new(), String::new(), 0),
                    checked: Err(err),
                    logged,
                });
            }
        };
        let outpoints: Vec<OutPoint> = tx.inputs.iter().map(|i| i.previous_output).collect();
        let view = self.spendable(self.store.db(), &outpoints).await?;
        let summary = summarize(&tx, &view);
        let txid = tx.txid();
        let checked = match check_transaction_except_signatures(&tx, &view) {
            Ok(check) => {
                let spent: Vec<TxOut> = check.spent.iter().map(|u| u.output).collect();
                verify(tx, txid, check.spent)
                    .await?
                    .map(|tx| Checked { tx, txid, spent })
            }
            Err(err) => Err(self.explain_unspendable(&txid, &err).await?),
        };
        Ok(Submission {
            summary,
            checked,
            logged,
        })
    }

    /// A transaction whose inputs are gone may simply be mined already: say so.
    async fn explain_unspendable(&self, txid: &Txid, err: &TxError) -> NodeResult<InvalidTx> {
        if matches!(err, TxError::MissingOutput { .. })
            && let Some(location) = tx_index::locate(self.store.db(), txid).await?
        {
            return Ok(InvalidTx {
                check: "ALREADY_MINED",
                input: None,
                reason: format!(
                    "transaction {txid} is already mined, in block {} at height {}",
                    location.block_hash, location.height
                ),
            });
        }
        Ok(err.into())
    }

    /// Inside the writer's transaction: still unspent, in the chainstate and in the pool, then
    /// pooled.
    pub(crate) async fn submit_in(
        &self,
        db: &impl Db,
        checked: &Checked,
        view: &mut BatchView,
    ) -> NodeResult<Pooled> {
        let outpoints: Vec<OutPoint> = checked
            .tx
            .inputs
            .iter()
            .map(|i| i.previous_output)
            .collect();
        if view.sends_pooled {
            // A send of this batch may have taken coins since the batch read `pi`.
            view.spenders.extend(pool::spenders(db, &outpoints).await?);
        }
        if let Some((input, outpoint)) = outpoints
            .iter()
            .enumerate()
            .find(|(_, o)| view.spenders.contains_key(o))
        {
            let pending = view.spenders[outpoint];
            if pending == checked.txid
                && let Some((entry, _)) = pool::pending_by_txid(db, &pending).await?
            {
                return Ok(Pooled::Known(entry));
            }
            return Err(NodeError::DoubleSpend {
                input,
                outpoint: *outpoint,
                pending,
            });
        }
        let missing: Vec<OutPoint> = outpoints
            .iter()
            .filter(|o| !view.utxos.contains_key(o))
            .copied()
            .collect();
        if !missing.is_empty() {
            // A parent pooled earlier in this batch.
            view.utxos.extend(self.spendable(db, &missing).await?);
        }
        let invalid = |e: TxError| NodeError::InvalidTransaction((&e).into());
        let check =
            check_transaction_except_signatures(&checked.tx, &view.utxos).map_err(invalid)?;
        if check
            .spent
            .iter()
            .map(|u| u.output)
            .ne(checked.spent.iter().copied())
        {
            // Not reachable while outpoints name one output each; checked rather than assumed.
            verify_signatures(&checked.tx, &checked.txid, &check.spent).map_err(invalid)?;
        }
        let (from, to, amount) = parties(&checked.tx, &checked.spent);
        let spent = outpoints.iter().copied().zip(check.spent.iter().copied());
        let entry = view
            .pool(db, &checked.tx, spent, (&from, &to, amount))
            .await?;
        view.spenders
            .extend(outpoints.into_iter().map(|o| (o, checked.txid)));
        Ok(Pooled::Added(entry))
    }
}

/// Hex to a transaction, within [`MAX_TX_BYTES`], before anything is allocated from it.
fn decode(raw_hex: &str) -> Result<Transaction, InvalidTx> {
    let refuse = |check: &'static str, reason: String| InvalidTx {
        check,
        input: None,
        reason,
    };
    let raw_hex = raw_hex.trim();
    if raw_hex.len() > 2 * MAX_TX_BYTES {
        return Err(refuse(
            "TOO_LARGE",
            format!(
                "{} bytes of hex, more than a transaction's limit of {MAX_TX_BYTES} bytes",
                raw_hex.len()
            ),
        ));
    }
    let bytes = hex::decode(raw_hex).map_err(|e| refuse("DECODE", format!("not hex: {e}")))?;
    Transaction::decode(&bytes).map_err(|e| refuse("DECODE", format!("not a transaction: {e}")))
}

/// Verifies the signatures on the blocking pool, so a large transaction never holds up the
/// threads that answer other requests.
async fn verify(
    tx: Transaction,
    txid: Txid,
    spent: Vec<Utxo>,
) -> NodeResult<Result<Transaction, InvalidTx>> {
    Ok(tokio::task::spawn_blocking(move || {
        verify_signatures(&tx, &txid, &spent)
            .map(|()| tx)
            .map_err(|e| (&e).into())
    })
    .await?)
}

/// Who pays whom how much, as a pool entry lists it: the payer owns the first input; the payee
/// is the first output paying someone else (a payment to oneself lists the first output).
pub(in crate::node) fn parties(tx: &Transaction, spent: &[TxOut]) -> (Address, Address, u64) {
    let from = Address::from(spent[0].pubkey_hash);
    let paid = tx
        .outputs
        .iter()
        .find(|o| o.pubkey_hash != from.pubkey_hash())
        .unwrap_or(&tx.outputs[0]);
    (from, Address::from(paid.pubkey_hash), paid.value)
}

/// [`parties`] as far as they are known, for the refusal log.
fn summarize(tx: &Transaction, view: &HashMap<OutPoint, Utxo>) -> (String, String, i64) {
    let from = tx
        .inputs
        .first()
        .and_then(|i| view.get(&i.previous_output))
        .map(|u| u.output.pubkey_hash);
    let paid = tx
        .outputs
        .iter()
        .find(|o| Some(o.pubkey_hash) != from)
        .or(tx.outputs.first());
    (
        from.map(|h| Address::from(h).to_string())
            .unwrap_or_default(),
        paid.map(|o| Address::from(o.pubkey_hash).to_string())
            .unwrap_or_default(),
        paid.map_or(0, |o| i64::try_from(o.value).unwrap_or(i64::MAX)),
    )
}
