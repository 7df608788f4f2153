//! Blocks from outside whose parent is unknown, held in memory (a bounded number, the oldest
//! dropped first) until the parent arrives. Not persisted: a restarted node fetches them again
//! by catching up.

use std::collections::VecDeque;

use crate::chain::{Block, BlockHash};

/// Blocks held while their parent is unknown; past this the oldest is dropped.
pub const MAX_HELD_BLOCKS: usize = 64;

/// Blocks waiting for their parent, oldest first.
#[derive(Debug, Default)]
pub(crate) struct HeldBlocks(VecDeque<Block>);

impl HeldBlocks {
    pub(super) fn hold(&mut self, block: Block) {
        let hash = block.hash();
        if self.0.iter().any(|b| b.hash() == hash) {
            return;
        }
        if self.0.len() >= MAX_HELD_BLOCKS {
            self.0.pop_front();
        }
        self.0.push_back(block);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn children_of(&mut self, parent: &BlockHash) -> Vec<Block> {
        let (children, rest): (Vec<Block>, Vec<Block>) = self
            .0
            .drain(..)
            .partition(|b| b.header.prev_hash == *parent);
        self.0 = rest.into();
        children
    }
}
