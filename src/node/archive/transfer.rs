//! Export and import of the whole chain as a chain archive (`chain::archive`).
//!
//! An export reads one consistent snapshot of the database. An import goes into an empty
//! database only, all or nothing: every block is re-validated with all of the protocol's checks
//! against the chainstate the import builds in memory (`import_check`) and the sealed keystore
//! (if any) must open with this node's keystore key. Rows are written while the checks run, in
//! one transaction that commits only once they have all passed.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::import_check::{Batch, Checked, check_chain};
use crate::chain::archive::{Archive, ArchiveParams, ArchivedWallet};
use crate::chain::{Block, ChainTip, PublicKey, UtxoChanges};
use crate::model::StoredBlock;
use crate::model::VerifyReport;
use crate::node::{Node, NodeError, NodeEvent, NodeResult};
use crate::store::blocks;
use crate::store::connect;
use crate::store::wallets::{self, SealedKey};

/// Blocks read per statement while exporting.
const EXPORT_BATCH: u64 = 500;

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The chain imported.
    pub chain: VerifyReport,
    /// Signatures verified.
    pub signatures: u64,
    /// Keystore wallets imported.
    pub wallets: usize,
    /// From the start until every check had passed (writing goes on meanwhile).
    pub checked_in: Duration,
    /// From the start until the commit.
    pub elapsed: Duration,
}

impl Node {
    /// The chain (and, if asked, the sealed keystore) as an archive, from one consistent
    /// snapshot of the database.
    pub async fn export_chain(&self, with_keystore: bool) -> NodeResult<Archive> {
        let txn = self.store.begin_snapshot().await?;
        let total = blocks::tip(&txn).await?.map_or(0, |t| t.height + 1);
        let mut chain: Vec<Block> = Vec::new();
        while (chain.len() as u64) < total {
            let batch = blocks::range(&txn, chain.len() as u64, EXPORT_BATCH).await?;
            if batch.is_empty() {
                return Err(NodeError::Inconsistent(format!(
                    "no block at height {}, below the tip",
                    chain.len()
                )));
            }
            chain.extend(batch.into_iter().map(|b| b.block));
        }
        chain.truncate(total as usize);
        let wallets = if with_keystore {
            let stored = wallets::all_sealed(&txn).await?;
            let mut out = Vec::with_capacity(stored.len());
            for w in stored {
                out.push(ArchivedWallet {
                    public_key: PublicKey::from_bytes(&w.wallet.public_key)?,
                    nonce: w.sealed.nonce,
                    ciphertext: w.sealed.ciphertext,
                    created_at: w.wallet.created_at,
                });
            }
            Some(out)
        } else {
            None
        };
        crate::store::rollback(txn).await?;
        Ok(Archive {
            params: ArchiveParams::from(&self.params()),
            blocks: chain,
            wallets,
        })
    }

    /// Imports an archive's bytes into this node's empty database. `progress` hears (steps done,
    /// steps in all): one per block for the ordered checks, then one per block for its
    /// signatures. Blocks are written, batch by batch, while the checks go on; the transaction
    /// commits only once every check has passed, so a bad archive leaves nothing behind.
    pub async fn import_chain(
        &self,
        bytes: Vec<u8>,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> NodeResult<ImportReport> {
        let started = Instant::now();
        let (chain, keys) = self.open_archive(bytes).await?;
        let wallets = keys.len();
        let (checker, mut written) = self.start_checks(chain.clone(), started, progress);
        let (outcome, checked_in) = self
            .commit(async |txn, events| {
                let tip = blocks::tip(txn).await?;
                let count = wallets::count(txn).await?;
                if tip.is_some() || count > 0 {
                    return Err(NodeError::NotEmpty {
                        blocks: tip.map_or(0, |t| t.height + 1),
                        wallets: count,
                    });
                }
                while let Some(batch) = written.recv().await {
                    connect::write_blocks(txn, &batch.blocks, &batch.index, &batch.spent).await?;
                }
                let (outcome, checked_in) = checker.await?;
                let outcome = outcome?;
                if let (Some(first), Some(last)) = (chain.first(), chain.last()) {
                    // From an empty chain, the run's merged changes are its whole chainstate.
                    let changes = UtxoChanges {
                        spent: Vec::new(),
                        created: outcome.utxos.iter().map(|(o, u)| (*o, *u)).collect(),
                    };
                    let height = chain.len() as u64 - 1;
                    let hash = last.hash();
                    connect::finish_run(txn, &changes, &ChainTip { hash, height }).await?;
                    events.push(NodeEvent::ChainReset {
                        genesis: Some(first.hash()),
                    });
                    events.push(NodeEvent::BlockMined(Arc::new(StoredBlock {
                        hash,
                        height,
                        block: last.clone(),
                    })));
                }
                for (public_key, sealed, created_at) in keys {
                    wallets::insert_at(txn, &public_key, sealed, created_at).await?;
                }
                Ok((outcome, checked_in))
            })
            .await?;
        Ok(report(&chain, outcome, wallets, checked_in, started))
    }

    /// Runs every check of [`Node::import_chain`] on an archive and writes nothing (the database
    /// need not be empty): `pocket import --dry-run`.
    pub async fn check_archive(
        &self,
        bytes: Vec<u8>,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> NodeResult<ImportReport> {
        let started = Instant::now();
        let (chain, keys) = self.open_archive(bytes).await?;
        let (checker, mut written) = self.start_checks(chain.clone(), started, progress);
        while written.recv().await.is_some() {}
        let (outcome, checked_in) = checker.await?;
        Ok(report(&chain, outcome?, keys.len(), checked_in, started))
    }

    /// Starts every check of `chain` on the blocking pool. The batches of rows it passes arrive
    /// on the receiver as the checks go (at most two ahead); the task answers the outcome and
    /// the time since `started` when it was known.
    fn start_checks(
        &self,
        chain: Arc<Vec<Block>>,
        started: Instant,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> (
        tokio::task::JoinHandle<(NodeResult<Checked>, Duration)>,
        tokio::sync::mpsc::Receiver<Batch>,
    ) {
        let params = self.params();
        let (batches, written) = tokio::sync::mpsc::channel(2);
        let checker = tokio::task::spawn_blocking(move || {
            let outcome = check_chain(&chain, &params, &progress, &batches);
            (outcome, started.elapsed())
        });
        (checker, written)
    }

    /// Decodes an archive, checks its parameters against this node's, and opens its sealed keys.
    async fn open_archive(
        &self,
        bytes: Vec<u8>,
    ) -> NodeResult<(Arc<Vec<Block>>, Vec<ArchivedKey>)> {
        let archive = tokio::task::spawn_blocking(move || Archive::decode(&bytes)).await??;
        let ours = ArchiveParams::from(&self.params());
        if archive.params != ours {
            return Err(NodeError::ArchiveParams {
                theirs: describe(&archive.params),
                ours: describe(&ours),
            });
        }
        let keys = self.open_archived_keys(archive.wallets.as_deref().unwrap_or_default())?;
        Ok((Arc::new(archive.blocks), keys))
    }

    /// Checks that every archived wallet's key opens with this node's keystore key and belongs
    /// to its public key, and that no address comes twice.
    fn open_archived_keys(&self, wallets: &[ArchivedWallet]) -> NodeResult<Vec<ArchivedKey>> {
        let mut seen = HashSet::new();
        let mut keys = Vec::with_capacity(wallets.len());
        for (index, wallet) in wallets.iter().enumerate() {
            let address = wallet.public_key.address();
            let bad = |reason: String| NodeError::ArchiveKeystore { index, reason };
            if !seen.insert(address) {
                return Err(bad(format!("{address} comes twice")));
            }
            let sealed = SealedKey {
                nonce: wallet.nonce.clone(),
                ciphertext: wallet.ciphertext.clone(),
            };
            let key = self.keystore.open(&address, &sealed).map_err(|_| {
                bad(format!(
                    "the key of {address} does not open with this node's keystore key (exported \
                     by a node with another key?)"
                ))
            })?;
            if key.public_key() != wallet.public_key {
                return Err(bad(format!("the sealed key is not the key of {address}")));
            }
            keys.push((wallet.public_key, sealed, wallet.created_at));
        }
        Ok(keys)
    }
}

/// An archived wallet ready to store: public key, sealed key, creation time.
type ArchivedKey = (PublicKey, SealedKey, i64);

fn report(
    chain: &[Block],
    outcome: Checked,
    wallets: usize,
    checked_in: Duration,
    started: Instant,
) -> ImportReport {
    ImportReport {
        chain: VerifyReport {
            blocks: chain.len() as u64,
            transactions: outcome.transactions,
            utxos: outcome.utxos.len() as u64,
            total_supply: outcome.utxos.values().map(|u| u.output.value).sum(),
        },
        signatures: outcome.signatures,
        wallets,
        checked_in,
        elapsed: started.elapsed(),
    }
}

fn describe(params: &ArchiveParams) -> String {
    format!(
        "difficulty {} bits, reward {}, at most {} transactions per block, {}",
        params.difficulty_bits,
        params.block_reward,
        params.max_block_txs,
        params.premine.describe()
    )
}
