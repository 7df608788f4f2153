//! Blocks from outside that are not in the block tree yet, held in memory: those whose parent
//! is unknown (until it arrives), and those whose branch has less work than the main chain
//! (until a descendant gives it at least as much). Only blocks that could become the main chain
//! are written, so cheap low-work blocks cost a bounded amount of memory, never disk. Bounded in
//! number and in bytes; past the bound the oldest block of the sender holding the most bytes is
//! dropped, so a sender flooding the pool evicts its own blocks, not another sender's branch.
//! Not persisted: a restarted node fetches them
//! again by catching up. They are kept as their canonical encoding, one allocation each, and
//! decoded again when placed: a decoded block of small transactions takes several times its
//! encoded size, scattered over many allocations.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::chain::{Block, BlockHash};

/// Blocks held at most; past this the oldest is dropped.
pub const MAX_HELD_BLOCKS: usize = 10_000;
/// Bytes of blocks held at most (their encodings, with [`ENTRY_BYTES`] each); past this the
/// oldest are dropped.
pub const MAX_HELD_BYTES: usize = 64 * 1024 * 1024;

/// What keeping one block costs besides its encoding (its entries in the maps and queues).
pub const ENTRY_BYTES: usize = 256;

/// The held blocks, shared by the node's writers.
#[derive(Debug, Default)]
pub(crate) struct HeldBlocks(Mutex<Held>);

#[derive(Debug, Default)]
struct Held {
    /// Each block with its size in memory, arrival number and sender.
    blocks: HashMap<BlockHash, (Encoded, usize, u64, Sender)>,
    /// Held blocks by parent.
    children: HashMap<BlockHash, Vec<BlockHash>>,
    /// Each sender's bytes held, and its arrivals, oldest first (which may name blocks taken
    /// out since, or held again later).
    senders: HashMap<Sender, (usize, VecDeque<(u64, BlockHash)>)>,
    arrivals: u64,
    bytes: usize,
}

/// Who sent a held block: its address, or none when unknown (a block held again after its
/// parent came, or one given by this process itself).
pub(crate) type Sender = Option<IpAddr>;

/// A held block: its parent, and its canonical encoding.
#[derive(Debug)]
struct Encoded {
    parent: BlockHash,
    bytes: Box<[u8]>,
}

impl Held {
    fn remove(&mut self, hash: &BlockHash) -> Option<Block> {
        let (encoded, size, _, sender) = self.blocks.remove(hash)?;
        self.bytes -= size;
        if let Some((bytes, _)) = self.senders.get_mut(&sender) {
            *bytes -= size;
        }
        let parent = encoded.parent;
        if let Some(siblings) = self.children.get_mut(&parent) {
            siblings.retain(|h| h != hash);
            if siblings.is_empty() {
                self.children.remove(&parent);
            }
        }
        // Encoded here from a decoded block: it decodes again.
        Block::decode(&encoded.bytes)
            .inspect_err(|e| tracing::error!(%hash, error = %e, "a held block does not decode"))
            .ok()
    }

    /// The sender holding the most bytes, and its oldest arrival still held (dropping stale
    /// entries on the way).
    fn largest_senders_oldest(&mut self) -> Option<BlockHash> {
        loop {
            let sender = *self
                .senders
                .iter()
                .filter(|(_, (bytes, _))| *bytes > 0)
                .max_by_key(|(_, (bytes, _))| *bytes)?
                .0;
            let order = &mut self.senders.get_mut(&sender)?.1;
            while let Some((arrival, hash)) = order.pop_front() {
                if self
                    .blocks
                    .get(&hash)
                    .is_some_and(|(_, _, a, s)| *a == arrival && *s == sender)
                {
                    return Some(hash);
                }
            }
            // Its bytes belong to no arrival: a sender's count out of step would loop here.
            self.senders.remove(&sender);
        }
    }

    /// Forgets senders with nothing held, and arrivals of blocks no longer held.
    fn compact(&mut self) {
        let Held {
            blocks, senders, ..
        } = self;
        senders.retain(|sender, (bytes, order)| {
            order.retain(|(arrival, h)| {
                blocks
                    .get(h)
                    .is_some_and(|(_, _, a, s)| a == arrival && s == sender)
            });
            *bytes > 0 || !order.is_empty()
        });
    }
}

impl HeldBlocks {
    /// The held blocks. Every change to them is made whole under the lock (nothing in it can
    /// panic half-way), so a poisoned lock is taken as it is.
    fn held(&self) -> MutexGuard<'_, Held> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds `block`, sent by `sender`; past the bound, the oldest blocks of the sender holding
    /// the most bytes go first.
    pub(in crate::node) fn hold(&self, block: Block, sender: Sender) {
        let hash = block.hash();
        let encoded = Encoded {
            parent: block.header.prev_hash,
            bytes: block.encode().into_boxed_slice(),
        };
        drop(block);
        let size = encoded.bytes.len() + ENTRY_BYTES;
        let mut held = self.held();
        if held.blocks.contains_key(&hash) {
            return;
        }
        while held.blocks.len() >= MAX_HELD_BLOCKS || held.bytes + size > MAX_HELD_BYTES {
            let Some(oldest) = held.largest_senders_oldest() else {
                break;
            };
            held.remove(&oldest);
        }
        held.arrivals += 1;
        let arrival = held.arrivals;
        held.bytes += size;
        held.children.entry(encoded.parent).or_default().push(hash);
        held.blocks.insert(hash, (encoded, size, arrival, sender));
        let (bytes, order) = held.senders.entry(sender).or_default();
        *bytes += size;
        order.push_back((arrival, hash));
        if order.len() > 2 * MAX_HELD_BLOCKS {
            held.compact();
        }
    }

    pub(in crate::node) fn contains(&self, hash: &BlockHash) -> bool {
        self.held().blocks.contains_key(hash)
    }

    pub(in crate::node) fn is_empty(&self) -> bool {
        self.held().blocks.is_empty()
    }

    /// Takes out the held blocks whose parent is `parent`.
    pub(in crate::node) fn children_of(&self, parent: &BlockHash) -> Vec<Block> {
        let mut held = self.held();
        let hashes = held.children.get(parent).cloned().unwrap_or_default();
        hashes.iter().filter_map(|h| held.remove(h)).collect()
    }

    /// The held ancestors of `block`, oldest first (its parent if held, that one's parent if
    /// held, and so on), and the parent of the oldest, which is not held (`block`'s own parent
    /// when none is).
    pub(in crate::node) fn ancestors_of(&self, block: &Block) -> (Vec<BlockHash>, BlockHash) {
        let held = self.held();
        let mut ancestors = Vec::new();
        let mut parent = block.header.prev_hash;
        while let Some((ancestor, _, _, _)) = held.blocks.get(&parent) {
            ancestors.push(parent);
            parent = ancestor.parent;
            if ancestors.len() > held.blocks.len() {
                break; // a cycle would need a hash collision; stop rather than spin
            }
        }
        ancestors.reverse();
        (ancestors, parent)
    }

    /// Takes out the held blocks `hashes`, in that order (those dropped meanwhile are missing).
    pub(in crate::node) fn take(&self, hashes: &[BlockHash]) -> Vec<Block> {
        let mut held = self.held();
        hashes.iter().filter_map(|h| held.remove(h)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{BlockHeader, MerkleRoot};

    fn block(prev_hash: BlockHash, nonce: u64) -> Block {
        Block {
            header: BlockHeader {
                version: 1,
                prev_hash,
                merkle_root: MerkleRoot::ZERO,
                timestamp: 0,
                bits: 0,
                nonce,
            },
            transactions: Vec::new(),
        }
    }

    #[test]
    fn ancestors_are_walked_back_through_held_blocks_only() {
        let held = HeldBlocks::default();
        let a = block(BlockHash::ZERO, 1);
        let b = block(a.hash(), 2);
        let c = block(b.hash(), 3);
        held.hold(a.clone(), None);
        held.hold(b.clone(), None);
        assert_eq!(
            held.ancestors_of(&c),
            (vec![a.hash(), b.hash()], BlockHash::ZERO)
        );
        assert_eq!(held.ancestors_of(&a), (vec![], BlockHash::ZERO));
        assert_eq!(held.take(&[a.hash(), b.hash()]), vec![a.clone(), b]);
        assert!(held.is_empty());
        held.hold(a.clone(), None);
        held.hold(a.clone(), None);
        assert_eq!(held.children_of(&BlockHash::ZERO), vec![a]);
        assert!(held.is_empty());
    }

    #[test]
    fn the_oldest_are_dropped_past_the_bound() {
        let held = HeldBlocks::default();
        // Taken out and held again: it counts from its second arrival.
        let again = block(BlockHash::ZERO, u64::MAX);
        held.hold(again.clone(), None);
        held.take(&[again.hash()]);
        let first = block(BlockHash::ZERO, 0);
        held.hold(first.clone(), None);
        held.hold(again.clone(), None);
        for nonce in 1..MAX_HELD_BLOCKS as u64 {
            held.hold(block(BlockHash::ZERO, nonce), None);
        }
        let kept = held.children_of(&BlockHash::ZERO);
        assert_eq!(kept.len(), MAX_HELD_BLOCKS);
        assert!(!kept.contains(&first));
        assert!(kept.contains(&again));
    }

    #[test]
    fn a_flooding_sender_drops_its_own_blocks_not_anothers() {
        let held = HeldBlocks::default();
        let honest: Sender = Some([127, 0, 0, 3].into());
        let flooder: Sender = Some([127, 0, 0, 2].into());
        // A branch of 100 blocks whose first parent is missing, from one sender.
        let mut branch = vec![block(BlockHash([9; 32]), 0)];
        for nonce in 1..100 {
            let parent = branch.last().unwrap().hash();
            branch.push(block(parent, nonce));
        }
        for b in &branch {
            held.hold(b.clone(), honest);
        }
        // Then twice the bound of orphans from another.
        for nonce in 0..2 * MAX_HELD_BLOCKS as u64 {
            held.hold(block(BlockHash::ZERO, nonce), flooder);
        }
        assert!(branch.iter().all(|b| held.contains(&b.hash())));
        let kept = held.children_of(&BlockHash::ZERO);
        assert_eq!(kept.len(), MAX_HELD_BLOCKS - branch.len());
        // The flooder's newest are the ones kept.
        assert!(kept.contains(&block(BlockHash::ZERO, 2 * MAX_HELD_BLOCKS as u64 - 1)));
        assert!(!kept.contains(&block(BlockHash::ZERO, 0)));
    }
}
