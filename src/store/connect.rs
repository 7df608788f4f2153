//! The two writes every change of the main chain is made of: [`connect_many`] writes a run of
//! checked blocks (see `chain::connect`), and [`disconnect`] takes blocks off the tip with their
//! undo data. `submitBlock`, sync, import, reorganisation and mining runs of empty blocks connect
//! through the first; reorganisations and reverts disconnect through the second. A block this
//! node mines with transactions is written in two parts instead, [`connect_unsealed`] while its
//! nonce is searched, then [`connect_sealed`].

use sea_orm::ConnectionTrait;

use super::error::StoreResult;
use super::{balances, blocks, chainstate, undo};
use crate::chain::{ChainTip, ConnectRows, IndexRow, OutPoint, Utxo, UtxoChanges};
use crate::model::StoredBlock;

/// Writes `blocks` (a checked run extending the tip, each the next's parent) with their `rows`:
/// the blocks and their index, their undo data, their merged changes to the chainstate (and
/// balances), and the tip moved to the last one.
pub async fn connect_many(
    db: &impl ConnectionTrait,
    blocks: &[StoredBlock],
    rows: &ConnectRows,
) -> StoreResult<()> {
    let Some(last) = blocks.last() else {
        return Ok(());
    };
    write_blocks(db, blocks, &rows.index, &rows.undo).await?;
    let tip = ChainTip {
        hash: last.hash,
        height: last.height,
    };
    finish_run(db, &rows.changes, &tip).await
}

/// The first part of [`connect_many`], the blocks' own rows (and their undo rows' outputs added to
/// their addresses' spent totals): an import writes its blocks batch by batch while it checks,
/// then [`finish_run`] once at the end.
pub async fn write_blocks(
    db: &impl ConnectionTrait,
    blocks: &[StoredBlock],
    index: &[IndexRow],
    undo: &[(u64, OutPoint, Utxo)],
) -> StoreResult<()> {
    blocks::insert_many(db, blocks, index).await?;
    undo::record_many(db, undo).await?;
    balances::apply(db, &UtxoChanges::default(), undo).await
}

/// The last part of [`connect_many`]: the run's merged changes to the chainstate (and balances),
/// and the tip moved to its last block.
pub async fn finish_run(
    db: &impl ConnectionTrait,
    changes: &UtxoChanges,
    tip: &ChainTip,
) -> StoreResult<()> {
    chainstate::apply(db, changes, &[]).await?;
    blocks::set_tip(db, tip).await
}

/// The part of connecting one block that does not name it, written while this node searches the
/// block's nonce (see `chain::Unsealed`): its undo data and its changes to the chainstate (and
/// balances). [`connect_sealed`] writes the rest once the block is sealed.
pub async fn connect_unsealed(
    db: &impl ConnectionTrait,
    undo: &[(u64, OutPoint, Utxo)],
    changes: &UtxoChanges,
) -> StoreResult<()> {
    undo::record_many(db, undo).await?;
    chainstate::apply(db, changes, undo).await
}

/// The rest of [`connect_unsealed`]'s block, sealed: the block, its index rows, and the tip moved
/// to it.
pub async fn connect_sealed(
    db: &impl ConnectionTrait,
    block: &StoredBlock,
    index: &[IndexRow],
) -> StoreResult<()> {
    blocks::insert_many(db, std::slice::from_ref(block), index).await?;
    let tip = ChainTip {
        hash: block.hash,
        height: block.height,
    };
    blocks::set_tip(db, &tip).await
}

/// Takes every block above `to` off the main chain (all of them for `None`): the chainstate and
/// balances go back through the undo data, the blocks' rows go, and the tip becomes `to`. The
/// caller keeps what it wants of the blocks first (a reorganisation moves them to the tree).
pub async fn disconnect(db: &impl ConnectionTrait, to: Option<&ChainTip>) -> StoreResult<()> {
    undo::rewind(db, to.map(|t| t.height)).await?;
    match to {
        Some(tip) => blocks::set_tip(db, tip).await,
        None => blocks::clear_tip(db).await,
    }
}
