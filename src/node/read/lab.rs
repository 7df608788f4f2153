//! The lab: a stored block, changed on a copy, run through every rule of validation against the
//! chainstate it was mined on (rebuilt from its undo data), with the later links the change
//! would break. Reads only; the chain is never touched.

use std::collections::HashMap;

use crate::chain::explain::{Explanation, explain_block};
use crate::chain::{Address, BlockHash, ChainTip, MerkleRoot, OutPoint, Utxo};
use crate::node::{Node, NodeError, NodeResult};
use crate::store::{blocks, undo};

/// Fields to replace on the copy; `None` leaves a field as mined.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlockPatch {
    /// The header's nonce.
    pub nonce: Option<u64>,
    /// The header's timestamp.
    pub timestamp: Option<u64>,
    /// The header's link.
    pub prev_hash: Option<BlockHash>,
    /// The header's merkle root.
    pub merkle_root: Option<MerkleRoot>,
    /// One output of one transaction.
    pub output: Option<OutputPatch>,
    /// A re-mined copy of the previous block this copy links to (the lab's chain of copies):
    /// the link rule checks against it instead of the stored previous block.
    pub parent_hash: Option<BlockHash>,
}

/// A change to one output of one transaction of the block.
#[derive(Debug, Clone, Copy)]
pub struct OutputPatch {
    /// The transaction's position in the block.
    pub tx: u32,
    /// The output's index.
    pub vout: u32,
    /// A new value.
    pub value: Option<u64>,
    /// A new owner.
    pub address: Option<Address>,
}

/// What the lab found.
#[derive(Debug, Clone)]
pub struct BlockLab {
    /// The block's height.
    pub height: u64,
    /// Its hash as stored.
    pub stored_hash: BlockHash,
    /// Every rule, on the changed copy.
    pub explanation: Explanation,
    /// The next block, if its link to this one no longer holds: (height, hash).
    pub broken_link: Option<(u64, BlockHash)>,
    /// Blocks after this one, all resting on it.
    pub later_blocks: u64,
}

impl Node {
    /// Runs every rule on a copy of block `hash` with `patch` applied; `None` if no such block.
    pub async fn explain_block(
        &self,
        hash: &BlockHash,
        patch: &BlockPatch,
    ) -> NodeResult<Option<BlockLab>> {
        let db = self.store.db();
        let Some(stored) = blocks::by_hash(db, hash).await? else {
            return Ok(None);
        };
        let mut block = stored.block.clone();
        apply(&mut block, patch)?;
        let parent = match (stored.height.checked_sub(1), patch.parent_hash) {
            (Some(height), Some(hash)) => Some(ChainTip { hash, height }),
            (Some(h), None) => blocks::by_height(db, h).await?.map(|b| ChainTip {
                hash: b.hash,
                height: b.height,
            }),
            (None, _) => None,
        };
        // The outputs this block spent that existed before it: the chainstate it was mined on
        // (outputs it created and spent itself are found in the block).
        let view: HashMap<OutPoint, Utxo> = undo::range(db, stored.height, stored.height)
            .await?
            .into_iter()
            .filter(|(_, _, utxo)| utxo.height < stored.height)
            .map(|(_, outpoint, utxo)| (outpoint, utxo))
            .collect();
        let explanation = explain_block(&block, parent.as_ref(), &self.params(), &view);
        let next = blocks::by_height(db, stored.height + 1).await?;
        let broken_link = next
            .filter(|n| n.block.header.prev_hash != explanation.hash)
            .map(|n| (n.height, n.hash));
        let tip = blocks::tip(db).await?.map_or(stored.height, |t| t.height);
        Ok(Some(BlockLab {
            height: stored.height,
            stored_hash: stored.hash,
            explanation,
            broken_link,
            later_blocks: tip - stored.height,
        }))
    }
}

fn apply(block: &mut crate::chain::Block, patch: &BlockPatch) -> NodeResult<()> {
    let header = &mut block.header;
    header.nonce = patch.nonce.unwrap_or(header.nonce);
    header.timestamp = patch.timestamp.unwrap_or(header.timestamp);
    header.prev_hash = patch.prev_hash.unwrap_or(header.prev_hash);
    header.merkle_root = patch.merkle_root.unwrap_or(header.merkle_root);
    if let Some(change) = patch.output {
        let count = block.transactions.len();
        let tx = block
            .transactions
            .get_mut(change.tx as usize)
            .ok_or_else(|| {
                NodeError::InvalidPatch(format!(
                    "transaction {} is not in the block (it has {count})",
                    change.tx
                ))
            })?;
        let outputs = tx.outputs.len();
        let output = tx.outputs.get_mut(change.vout as usize).ok_or_else(|| {
            NodeError::InvalidPatch(format!(
                "output {} is not in transaction {} (it has {outputs})",
                change.vout, change.tx
            ))
        })?;
        output.value = change.value.unwrap_or(output.value);
        output.pubkey_hash = change
            .address
            .map_or(output.pubkey_hash, |a| a.pubkey_hash());
    }
    Ok(())
}
