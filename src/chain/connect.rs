//! Connecting blocks: the one pure step every block goes through on its way into the main chain
//! — mined here, submitted, synced from a peer, imported from an archive, or reorganised onto.
//!
//! Bitcoin Core's split, kept in the names: [`validate_block_alone`](super::validate_block_alone)
//! is CheckBlock (the rules that need no chain state); [`connect_ordered`] is ConnectBlock
//! against a UTXO view that grows block by block, every rule in protocol order but the
//! signatures; [`check_signatures`] verifies the signatures of every block that passed, on all
//! cores, and keeps the first failure in block order; and the undo data records what each block
//! spent, so that it can be disconnected. [`connect_blocks`] runs both stages over a run and
//! returns its valid prefix as rows to write: one merged change set for the chainstate, the undo
//! data and the transaction index.

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::address::{Address, PubkeyHash};
use super::block::{Block, ChainTip};
use super::hash::{BlockHash, Txid};
use super::header_rules::Work;
use super::params::Params;
use super::transaction::{OutPoint, Transaction};
use super::utxo::{Utxo, UtxoChanges, UtxoView};
use super::validation::{
    BlockError, PARALLEL_SIGNATURES, UnsignedCheck, validate_except_signatures,
};

/// Where a transaction was mined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// The block's hash.
    pub block_hash: BlockHash,
    /// The block's height.
    pub height: u64,
    /// Index in the block (0 is the coinbase).
    pub position: u32,
}

/// One row of the transaction index: a transaction, an address it pays or spends from, and
/// where it was mined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    /// The transaction.
    pub txid: Txid,
    /// An address among its outputs' or spent outputs' owners.
    pub address: Address,
    /// Where it was mined.
    pub location: TxLocation,
}

/// What writing connected blocks takes, besides the blocks themselves.
#[derive(Debug, Clone, Default)]
pub struct ConnectRows {
    /// The blocks' transaction index rows.
    pub index: Vec<IndexRow>,
    /// Undo data: (spending height, outpoint, the output as it was), for every output spent,
    /// those created earlier in the same block included (what an address has sent counts them;
    /// disconnecting restores only outputs older than the blocks taken off).
    pub undo: Vec<(u64, OutPoint, Utxo)>,
    /// The blocks' net effect on the chainstate they were checked against.
    pub changes: UtxoChanges,
}

/// A block that broke a rule, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    /// Its position in the run.
    pub position: usize,
    /// Its hash.
    pub hash: BlockHash,
    /// Its height.
    pub height: u64,
    /// The rule.
    pub error: BlockError,
}

/// What [`connect_ordered`] found: the blocks that passed every rule but the signatures, with
/// their rows, and the first that did not.
#[derive(Debug)]
pub struct Ordered {
    /// One per block that passed, in order, for [`check_signatures`].
    pub checks: Vec<UnsignedCheck>,
    /// Their rows (their changes merged).
    pub rows: ConnectRows,
    /// The tip after the last block that passed.
    pub tip: Option<ChainTip>,
    /// The first block that failed, if any (the run stops there).
    pub failure: Option<ConnectFailure>,
}

/// ConnectBlock without the signatures, for each block of `blocks` in turn: the first extends
/// `tip` (`None`: it is a genesis block), each the one before. `view` holds at least every
/// output the run spends from before it, and grows with what each block creates and spends,
/// so it ends as the chainstate after the last block that passed.
pub fn connect_ordered<B: Borrow<Block>>(
    blocks: &[B],
    tip: Option<ChainTip>,
    params: &Params,
    view: &mut HashMap<OutPoint, Utxo>,
) -> Ordered {
    connect_in_order(blocks, tip, params, view, Work::Checked)
}

/// [`connect_ordered`], the proof of work checked or not.
fn connect_in_order<B: Borrow<Block>>(
    blocks: &[B],
    mut tip: Option<ChainTip>,
    params: &Params,
    view: &mut HashMap<OutPoint, Utxo>,
    work: Work,
) -> Ordered {
    let mut checks = Vec::with_capacity(blocks.len());
    let mut rows = ConnectRows::default();
    let mut merged = Merged::default();
    let mut failure = None;
    for (position, block) in blocks.iter().enumerate() {
        let block = block.borrow();
        let (height, _) = ChainTip::next(tip.as_ref());
        let hash = block.hash();
        let check = match validate_except_signatures(block, tip.as_ref(), params, &*view, work) {
            Ok(check) => check,
            Err(error) => {
                failure = Some(ConnectFailure {
                    position,
                    hash,
                    height,
                    error,
                });
                break;
            }
        };
        rows.index.extend(index_rows(block, hash, height, &*view));
        rows.undo
            .extend(check.spent_outputs(block).map(|(o, u)| (height, o, u)));
        check.changes.apply(view);
        merged.add(&check.changes);
        checks.push(check);
        tip = Some(ChainTip { hash, height });
    }
    rows.changes = merged.finish();
    Ordered {
        checks,
        rows,
        tip,
        failure,
    }
}

/// The signatures of every block that passed [`connect_ordered`] (`checks[i]` of `blocks[i]`),
/// on all cores; the position and rule of the first failure in block order. `verified` is
/// called with the number of blocks done so far, now and then.
pub fn check_signatures<B: Borrow<Block> + Sync>(
    blocks: &[B],
    checks: &[UnsignedCheck],
    verified: &(impl Fn(u64) + Sync),
) -> Option<(usize, BlockError)> {
    let done = AtomicU64::new(0);
    let check = |(position, (check, block)): (usize, (&UnsignedCheck, &B))| {
        let result = check.check_signatures(block.borrow());
        let count = done.fetch_add(1, Ordering::Relaxed) + 1;
        if count.is_multiple_of(256) {
            verified(count);
        }
        result.err().map(|error| (position, error))
    };
    let signatures: usize = checks.iter().map(UnsignedCheck::signature_count).sum();
    match signatures < PARALLEL_SIGNATURES {
        true => checks.iter().zip(blocks).enumerate().find_map(check),
        false => checks
            .par_iter()
            .zip(blocks)
            .enumerate()
            .find_map_first(check),
    }
}

/// Both stages over a run: the valid prefix's rows (its length is `blocks.len()` when all
/// passed) and the first failure in protocol order. A signature failure counts before any later
/// block's ordered failure, as connecting the blocks one by one would report it.
pub fn connect_blocks<B: Borrow<Block> + Sync>(
    blocks: &[B],
    tip: Option<ChainTip>,
    params: &Params,
    view: HashMap<OutPoint, Utxo>,
) -> (usize, ConnectRows, Option<ConnectFailure>) {
    connect_run(blocks, tip, params, view, Work::Checked)
}

/// [`connect_blocks`], the proof of work checked or not.
pub(super) fn connect_run<B: Borrow<Block> + Sync>(
    blocks: &[B],
    tip: Option<ChainTip>,
    params: &Params,
    mut view: HashMap<OutPoint, Utxo>,
    work: Work,
) -> (usize, ConnectRows, Option<ConnectFailure>) {
    let (first_height, _) = ChainTip::next(tip.as_ref());
    let ordered = connect_in_order(blocks, tip, params, &mut view, work);
    match check_signatures(blocks, &ordered.checks, &|_| {}) {
        None => (ordered.checks.len(), ordered.rows, ordered.failure),
        Some((position, error)) => {
            let failure = ConnectFailure {
                position,
                hash: blocks[position].borrow().hash(),
                height: first_height + position as u64,
                error,
            };
            let rows = prefix(&ordered, first_height + position as u64);
            (position, rows, Some(failure))
        }
    }
}

/// The rows of an ordered pass's blocks below height `end`.
fn prefix(ordered: &Ordered, end: u64) -> ConnectRows {
    let mut merged = Merged::default();
    let first = ordered
        .tip
        .map_or(0, |t| t.height + 1 - ordered.checks.len() as u64);
    for check in &ordered.checks[..(end - first) as usize] {
        merged.add(&check.changes);
    }
    ConnectRows {
        index: ordered
            .rows
            .index
            .iter()
            .filter(|row| row.location.height < end)
            .cloned()
            .collect(),
        undo: ordered
            .rows
            .undo
            .iter()
            .filter(|(height, _, _)| *height < end)
            .copied()
            .collect(),
        changes: merged.finish(),
    }
}

impl UtxoChanges {
    /// The net effect of these changes followed by `later`'s: an output created here and spent
    /// there appears in neither list.
    pub fn merge(self, later: &UtxoChanges) -> UtxoChanges {
        let mut merged = Merged::default();
        merged.add(&self);
        merged.add(later);
        merged.finish()
    }
}

/// Changes merged one block after another.
#[derive(Default)]
struct Merged {
    spent: Vec<(OutPoint, Utxo)>,
    created: HashMap<OutPoint, Utxo>,
}

impl Merged {
    fn add(&mut self, changes: &UtxoChanges) {
        for (outpoint, utxo) in &changes.spent {
            if self.created.remove(outpoint).is_none() {
                self.spent.push((*outpoint, *utxo));
            }
        }
        self.created.extend(changes.created.iter().copied());
    }

    fn finish(self) -> UtxoChanges {
        UtxoChanges {
            spent: self.spent,
            created: self.created.into_iter().collect(),
        }
    }
}

/// The index rows of a block at `height`; `spent` resolves outputs it spends from before the
/// block (those created earlier in the block are found in the block itself). Sorted by position,
/// then address.
pub fn index_rows(
    block: &Block,
    hash: BlockHash,
    height: u64,
    spent: &impl UtxoView,
) -> Vec<IndexRow> {
    let txs = &block.transactions;
    let txids: Vec<Txid> = txs.iter().map(Transaction::txid).collect();
    let created: HashMap<OutPoint, PubkeyHash> = txs
        .iter()
        .zip(&txids)
        .flat_map(|(tx, txid)| {
            tx.outputs.iter().enumerate().map(|(vout, o)| {
                (
                    OutPoint {
                        txid: *txid,
                        vout: vout as u32,
                    },
                    o.pubkey_hash,
                )
            })
        })
        .collect();
    let mut rows = Vec::new();
    for (position, (tx, txid)) in txs.iter().zip(&txids).enumerate() {
        let mut owners: BTreeSet<Address> = tx
            .outputs
            .iter()
            .map(|o| Address::from(o.pubkey_hash))
            .collect();
        for input in tx.inputs.iter().filter(|i| !i.previous_output.is_null()) {
            let owner = spent
                .utxo(&input.previous_output)
                .map(|u| u.output.pubkey_hash)
                .or_else(|| created.get(&input.previous_output).copied());
            owners.extend(owner.map(Address::from));
        }
        let location = TxLocation {
            block_hash: hash,
            height,
            position: position as u32,
        };
        rows.extend(owners.into_iter().map(|address| IndexRow {
            txid: *txid,
            address,
            location,
        }));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Witness;
    use crate::chain::testing::{ChainBuilder, pkh};

    /// A chain of `n` blocks each paying from key 1 to key 2 (the first pays only the miner), and
    /// the chain before them.
    fn run(n: usize) -> (ChainBuilder, Vec<Block>) {
        let mut chain = ChainBuilder::new();
        chain.mine(pkh(1), vec![]);
        let start = chain.clone();
        let mut blocks = Vec::new();
        for _ in 0..n {
            let payment = chain.pay(1, pkh(2), 1);
            blocks.push(chain.mine(pkh(1), vec![payment]));
        }
        (start, blocks)
    }

    #[test]
    fn a_run_connects_as_its_blocks_do_one_by_one() {
        let (start, blocks) = run(4);
        let (valid, rows, failure) =
            connect_blocks(&blocks, start.tip, &start.params, start.utxos.clone());
        assert_eq!((valid, failure), (4, None));
        // One by one: each block's changes merged, its index rows against the state before it.
        let mut one_by_one = start.clone();
        let mut merged = UtxoChanges::default();
        let mut index = Vec::new();
        for block in &blocks {
            let (height, _) = ChainTip::next(one_by_one.tip.as_ref());
            index.extend(index_rows(block, block.hash(), height, &one_by_one.utxos));
            let changes = super::super::validate_block(
                block,
                one_by_one.tip.as_ref(),
                &one_by_one.params,
                &one_by_one.utxos,
            )
            .unwrap();
            merged = merged.merge(&changes);
            one_by_one.accept(block);
        }
        assert_eq!(rows.index, index);
        let mut applied = start.utxos.clone();
        rows.changes.apply(&mut applied);
        assert_eq!(applied, one_by_one.utxos);
        let mut by_merge = start.utxos.clone();
        merged.apply(&mut by_merge);
        assert_eq!(by_merge, one_by_one.utxos);
        // Outputs created and spent inside the run appear in neither list.
        let created: Vec<_> = rows.changes.created.iter().map(|(o, _)| *o).collect();
        assert!(rows.changes.spent.iter().all(|(o, _)| !created.contains(o)));
        assert!(
            rows.changes.spent.len() <= 1,
            "only the first coin was stored before"
        );
        assert_eq!(rows.undo.len(), 4, "each payment spent one output");
    }

    #[test]
    fn a_bad_signature_stops_the_run_before_its_block() {
        let (start, mut blocks) = run(4);
        let mut forged = blocks[2].clone();
        let Witness::Signed { signature, .. } = &mut forged.transactions[1].inputs[0].witness
        else {
            panic!("signed");
        };
        signature[40] ^= 1;
        // A signature is no part of the txid: the block keeps its hash, and the next still
        // links to it and passes the ordered stage.
        assert_eq!(forged.hash(), blocks[2].hash());
        blocks[2] = forged;
        let (valid, rows, failure) =
            connect_blocks(&blocks, start.tip, &start.params, start.utxos.clone());
        let failure = failure.expect("refused");
        assert_eq!((valid, failure.position, failure.height), (2, 2, 3));
        assert!(
            matches!(failure.error, BlockError::Transaction { index: 1, .. }),
            "{:?}",
            failure.error
        );
        let (alone, prefix_rows, none) =
            connect_blocks(&blocks[..2], start.tip, &start.params, start.utxos.clone());
        assert_eq!((alone, none), (2, None));
        assert_eq!(rows.index, prefix_rows.index);
        assert_eq!(rows.undo, prefix_rows.undo);
        let (mut a, mut b) = (start.utxos.clone(), start.utxos.clone());
        rows.changes.apply(&mut a);
        prefix_rows.changes.apply(&mut b);
        assert_eq!(a, b);
    }
}
