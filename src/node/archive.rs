//! Export and import of the whole chain as a chain archive (`chain::archive`).
//!
//! An export reads one consistent snapshot of the database. An import goes into an empty
//! database only, all or nothing: every block is re-validated with all of the protocol's checks
//! against the chainstate the import builds in memory, the sealed keystore (if any) must open
//! with this node's keystore key, and only then is everything written, in one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::verify::VerifyReport;
use super::{Node, NodeError, NodeEvent, NodeResult};
use crate::chain::archive::{Archive, ArchiveParams, ArchivedWallet};
use crate::chain::{Block, ChainTip, OutPoint, Params, PublicKey, Utxo, validate_block};
use crate::model::StoredBlock;
use crate::store::blocks::{self, IndexRow};
use crate::store::wallets::{self, SealedKey};
use crate::store::{chainstate, undo};

/// Blocks read per statement while exporting.
const EXPORT_BATCH: u64 = 500;

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The chain imported.
    pub chain: VerifyReport,
    /// Keystore wallets imported.
    pub wallets: usize,
}

/// An import, validated and ready to write.
struct Checked {
    blocks: Vec<StoredBlock>,
    index: Vec<IndexRow>,
    spent: Vec<(u64, OutPoint, Utxo)>,
    utxos: HashMap<OutPoint, Utxo>,
    transactions: u64,
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
        txn.rollback().await?;
        Ok(Archive {
            params: archive_params(&self.config.params),
            blocks: chain,
            wallets,
        })
    }

    /// Imports an archive's bytes into this node's empty database. `progress` hears (blocks
    /// validated, blocks in all). Nothing is written unless every check passes.
    pub async fn import_chain(
        &self,
        bytes: Vec<u8>,
        progress: impl Fn(u64, u64) + Send + Sync + 'static,
    ) -> NodeResult<ImportReport> {
        let params = self.config.params;
        let (archive, checked) = tokio::task::spawn_blocking(move || {
            let archive = Archive::decode(&bytes)?;
            let ours = archive_params(&params);
            if archive.params != ours {
                return Err(NodeError::ArchiveParams {
                    theirs: describe(&archive.params),
                    ours: describe(&ours),
                });
            }
            let checked = check_chain(&archive.blocks, &params, &progress)?;
            Ok((archive, checked))
        })
        .await??;
        let keys = self.open_archived_keys(archive.wallets.as_deref().unwrap_or_default())?;
        self.commit(async |txn, events| {
            let existing = (blocks::tip(txn).await?, wallets::count(txn).await?);
            if existing.0.is_some() || existing.1 > 0 {
                return Err(NodeError::NotEmpty {
                    blocks: existing.0.map_or(0, |t| t.height + 1),
                    wallets: existing.1,
                });
            }
            blocks::insert_many(txn, &checked.blocks, &checked.index).await?;
            undo::record_many(txn, &checked.spent).await?;
            let created: Vec<(OutPoint, Utxo)> =
                checked.utxos.iter().map(|(o, u)| (*o, *u)).collect();
            chainstate::apply(
                txn,
                &crate::chain::UtxoChanges {
                    spent: Vec::new(),
                    created,
                },
            )
            .await?;
            if let Some(last) = checked.blocks.last() {
                blocks::set_tip(
                    txn,
                    &ChainTip {
                        hash: last.hash,
                        height: last.height,
                    },
                )
                .await?;
                let genesis = checked.blocks[0].hash;
                events.push(NodeEvent::ChainReset { genesis });
                events.push(NodeEvent::BlockMined(Arc::new(last.clone())));
            }
            for (public_key, sealed, created_at) in keys {
                wallets::insert_at(txn, &public_key, sealed, created_at).await?;
            }
            Ok(())
        })
        .await?;
        Ok(ImportReport {
            chain: VerifyReport {
                blocks: checked.blocks.len() as u64,
                transactions: checked.transactions,
                utxos: checked.utxos.len() as u64,
                total_supply: checked.utxos.values().map(|u| u.output.value).sum(),
            },
            wallets: archive.wallets.map_or(0, |w| w.len()),
        })
    }

    /// Checks that every archived wallet's key opens with this node's keystore key and belongs
    /// to its public key, and that no address comes twice.
    fn open_archived_keys(
        &self,
        wallets: &[ArchivedWallet],
    ) -> NodeResult<Vec<(PublicKey, SealedKey, i64)>> {
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

/// Validates every block in order against the chainstate the earlier ones build.
fn check_chain(
    chain: &[Block],
    params: &Params,
    progress: &(impl Fn(u64, u64) + Sync),
) -> NodeResult<Checked> {
    let total = chain.len() as u64;
    let mut utxos: HashMap<OutPoint, Utxo> = HashMap::new();
    let mut tip: Option<ChainTip> = None;
    let mut checked = Checked {
        blocks: Vec::with_capacity(chain.len()),
        index: Vec::new(),
        spent: Vec::new(),
        utxos: HashMap::new(),
        transactions: 0,
    };
    progress(0, total);
    for (height, block) in chain.iter().enumerate() {
        let height = height as u64;
        let changes = validate_block(block, tip.as_ref(), params, &utxos)
            .map_err(|source| NodeError::InvalidArchiveBlock { height, source })?;
        let stored = StoredBlock {
            hash: block.hash(),
            height,
            block: block.clone(),
        };
        checked.index.extend(blocks::index_rows(&stored, &utxos));
        checked
            .spent
            .extend(changes.spent.iter().map(|(o, u)| (height, *o, *u)));
        changes.apply(&mut utxos);
        checked.transactions += block.transactions.len() as u64;
        tip = Some(ChainTip {
            hash: stored.hash,
            height,
        });
        checked.blocks.push(stored);
        if height % 100 == 99 || height + 1 == total {
            progress(height + 1, total);
        }
    }
    checked.utxos = utxos;
    Ok(checked)
}

fn archive_params(params: &Params) -> ArchiveParams {
    ArchiveParams {
        difficulty_bits: params.difficulty_bits,
        block_reward: params.block_reward,
        max_block_txs: params.max_block_txs as u32,
    }
}

fn describe(params: &ArchiveParams) -> String {
    format!(
        "difficulty {} bits, reward {}, at most {} transactions per block",
        params.difficulty_bits, params.block_reward, params.max_block_txs
    )
}
