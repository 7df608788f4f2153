//! Blocks from outside whose parent is unknown, held in memory (a bounded number, the oldest
//! dropped first) until the parent arrives. Not persisted: a restarted node fetches them again
//! by catching up.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::chain::{Block, BlockHash};

/// Blocks held while their parent is unknown; past this the oldest is dropped.
pub const MAX_HELD_BLOCKS: usize = 64;

/// Blocks waiting for their parent, oldest first, shared by the node's writers.
#[derive(Debug, Default)]
pub(crate) struct HeldBlocks(Mutex<VecDeque<Block>>);

impl HeldBlocks {
    /// The list. Every change to it is a single step, so a holder that panicked cannot have left
    /// it half-changed: a poisoned lock is taken as it is.
    fn blocks(&self) -> MutexGuard<'_, VecDeque<Block>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn hold(&self, block: Block) {
        let hash = block.hash();
        let mut blocks = self.blocks();
        if blocks.iter().any(|b| b.hash() == hash) {
            return;
        }
        if blocks.len() >= MAX_HELD_BLOCKS {
            blocks.pop_front();
        }
        blocks.push_back(block);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.blocks().is_empty()
    }

    pub(super) fn children_of(&self, parent: &BlockHash) -> Vec<Block> {
        let mut blocks = self.blocks();
        let (children, rest): (Vec<Block>, Vec<Block>) = blocks
            .drain(..)
            .partition(|b| b.header.prev_hash == *parent);
        *blocks = rest.into();
        children
    }
}
