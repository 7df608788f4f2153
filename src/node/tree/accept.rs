//! Blocks from anywhere: a peer's, or an outside miner's (`submitBlock`). Each is placed in the
//! block tree. A block on the tip is validated in full and connected; a block on another branch
//! with at least the main chain's work is checked for every rule that needs no chainstate and
//! kept as a side block, and if its branch now has more work the node reorganises to it
//! (`reorg`). Blocks that cannot become the main chain yet are held in memory (`held`), bounded:
//! one whose parent is unknown until the parent arrives, one whose branch has less work until a
//! descendant gives it enough, and then the branch is written whole. So only blocks that could
//! win are ever written, however many cheap stale blocks anyone sends.

use crate::store::Txn;

use crate::chain::{Block, BlockHash, ChainTip, chain_work, validate_block_alone, validate_header};
use crate::model::StoredBlock;
use crate::model::{BlockAccepted, BlockStatus};
use crate::node::{Node, NodeError, NodeEvent, NodeResult};
use crate::store::{blocks, side_blocks};

use super::held::Sender;

impl Node {
    /// Decodes a block given as hex (`submitBlock`, by `sender` when known) and places it in
    /// the block tree.
    pub async fn submit_block(&self, raw_hex: &str, sender: Sender) -> NodeResult<BlockAccepted> {
        let block = decode_block(raw_hex)?;
        let mut answers = self.accept_blocks_with(vec![block], None, sender).await?;
        answers.pop().ok_or_else(|| {
            NodeError::Inconsistent("a block given to the node went unanswered".into())
        })
    }

    /// Decodes blocks given as hex (`submitBlocks`, a peer announcing the blocks another node
    /// lacks) and places them in order, as [`Node::accept_blocks`]. One that does not decode
    /// refuses them all, before anything is placed.
    pub async fn submit_blocks(
        &self,
        raw_hex: &[String],
        sender: Sender,
    ) -> NodeResult<Vec<BlockAccepted>> {
        let blocks = raw_hex
            .iter()
            .map(|raw| decode_block(raw))
            .collect::<NodeResult<Vec<_>>>()?;
        self.accept_blocks_with(blocks, None, sender).await
    }

    /// Places blocks in the block tree, in order, in one commit (a batch from a peer). Blocks
    /// before a refused one stay accepted; the refusal is the error.
    pub async fn accept_blocks(&self, blocks: Vec<Block>) -> NodeResult<Vec<BlockAccepted>> {
        self.accept_blocks_with(blocks, None, None).await
    }

    /// [`Node::accept_blocks`] for the blocks of a peer's branch whose headers were checked
    /// (links and proof of work) up to `headers_tip`. When that tip has more work than the main
    /// chain, blocks off the main chain are written as side blocks at once, even while their
    /// branch has less work than the main chain: none is held in memory, so a branch of any
    /// depth is assembled, and the node reorganises to it once its work passes the main chain's.
    pub async fn accept_headed_blocks(
        &self,
        blocks: Vec<Block>,
        headers_tip: ChainTip,
    ) -> NodeResult<Vec<BlockAccepted>> {
        self.accept_blocks_with(blocks, Some(headers_tip), None)
            .await
    }

    async fn accept_blocks_with(
        &self,
        blocks: Vec<Block>,
        headers_tip: Option<ChainTip>,
        sender: Sender,
    ) -> NodeResult<Vec<BlockAccepted>> {
        let (answers, refusal) = self
            .commit(async |txn, events| {
                let tip = blocks::tip(txn).await?;
                let keep = match headers_tip {
                    Some(headed) if tip.is_none_or(|t| headed.height > t.height) => Keep::Any,
                    _ => Keep::EnoughWork,
                };
                let mut answers = Vec::with_capacity(blocks.len());
                let (run, rest) = self.new_run_on_tip(txn, blocks).await?;
                if !run.is_empty() {
                    let (connected, failure) = self.connect_run(txn, run, events).await?;
                    answers.extend(connected.iter().map(|stored| {
                        let tip = ChainTip {
                            hash: stored.hash,
                            height: stored.height,
                        };
                        let height = Some(stored.height);
                        self.accepted(stored.hash, height, BlockStatus::Connected, true, Some(tip))
                    }));
                    if let Some(err) = failure {
                        return Ok((answers, Some(err)));
                    }
                    if !self.held.is_empty() {
                        for stored in &connected {
                            self.place_held_children(txn, stored.hash, events).await?;
                        }
                    }
                }
                for block in rest {
                    match self.accept_in(txn, block, keep, sender, events).await {
                        Ok(answer) => answers.push(answer),
                        Err(err @ NodeError::InvalidBlock { .. }) => {
                            return Ok((answers, Some(err)));
                        }
                        Err(err) => return Err(err),
                    }
                }
                Ok((answers, None))
            })
            .await?;
        match refusal {
            Some(err) => Err(err),
            None => Ok(answers),
        }
    }

    /// The longest prefix of `blocks` that extends the tip in order with blocks the tree does
    /// not hold yet (connected together by [`Node::connect_run`]), and the rest.
    async fn new_run_on_tip(
        &self,
        txn: &Txn,
        blocks: Vec<Block>,
    ) -> NodeResult<(Vec<StoredBlock>, Vec<Block>)> {
        let mut parent = blocks::tip(txn).await?;
        let hashes: Vec<BlockHash> = blocks.iter().map(Block::hash).collect();
        let known = blocks::heights_of(txn, &hashes).await?;
        let side = side_blocks::existing(txn, &hashes).await?;
        let mut run = Vec::new();
        let mut rest = blocks.into_iter();
        for block in rest.by_ref() {
            let hash = block.hash();
            let (height, prev_hash) = ChainTip::next(parent.as_ref());
            if block.header.prev_hash != prev_hash
                || known.contains_key(&hash)
                || side.contains(&hash)
            {
                let mut remaining = vec![block];
                remaining.extend(rest);
                return Ok((run, remaining));
            }
            parent = Some(ChainTip { hash, height });
            run.push(StoredBlock {
                hash,
                height,
                block,
            });
        }
        Ok((run, Vec::new()))
    }

    /// One block, then any held blocks it was the missing parent of.
    async fn accept_in(
        &self,
        txn: &Txn,
        block: Block,
        keep: Keep,
        sender: Sender,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<BlockAccepted> {
        let answer = self.place_branch(txn, block, keep, sender, events).await?;
        if answer.status != BlockStatus::Held {
            self.place_held_children(txn, answer.hash, events).await?;
        }
        Ok(answer)
    }

    /// Places `block`. When its parent is held, on a branch of held blocks that starts in the
    /// tree, and `block` gives that branch enough work to be kept (or `keep` keeps any), the
    /// held blocks are written first; without enough work it is held too.
    async fn place_branch(
        &self,
        txn: &Txn,
        block: Block,
        keep: Keep,
        sender: Sender,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<BlockAccepted> {
        let (ancestors, root) = self.held.ancestors_of(&block);
        if !ancestors.is_empty()
            && let Some(root_height) = self.tree_height(txn, &root).await?
        {
            let height = root_height + ancestors.len() as u64 + 1;
            let tip = blocks::tip(txn).await?;
            if keep == Keep::EnoughWork && !self.has_enough_work(height, tip.as_ref()) {
                let parent = ChainTip {
                    hash: block.header.prev_hash,
                    height: height - 1,
                };
                let hash = block.hash();
                validate_block_alone(&block, Some(&parent), &self.params())
                    .map_err(|e| NodeError::invalid_block(hash, &e))?;
                self.held.hold(block, sender);
                return Ok(self.accepted(hash, Some(height), BlockStatus::LowWork, false, tip));
            }
            for ancestor in self.held.take(&ancestors) {
                self.place(txn, ancestor, Keep::Any, sender, events).await?;
            }
        }
        self.place(txn, block, keep, sender, events).await
    }

    /// An answer, with the main chain's work at `tip`.
    fn accepted(
        &self,
        hash: BlockHash,
        height: Option<u64>,
        status: BlockStatus,
        main_chain: bool,
        tip: Option<ChainTip>,
    ) -> BlockAccepted {
        let bits = self.params().difficulty_bits;
        BlockAccepted {
            hash,
            height,
            status,
            main_chain,
            tip,
            tip_work: tip.map_or(0, |t| chain_work(t.height, bits)),
        }
    }

    /// Whether a block at `height` gives its branch at least the work of the main chain ending
    /// in `tip` (equal work is kept: the branch seen first stays, the other is ready to win).
    fn has_enough_work(&self, height: u64, tip: Option<&ChainTip>) -> bool {
        let bits = self.params().difficulty_bits;
        tip.is_none_or(|tip| chain_work(height, bits) >= chain_work(tip.height, bits))
    }

    /// The height of a block of the tree (main chain or a valid side block).
    async fn tree_height(&self, txn: &Txn, hash: &BlockHash) -> NodeResult<Option<u64>> {
        if let Some(height) = blocks::height_of(txn, hash).await? {
            return Ok(Some(height));
        }
        Ok(side_blocks::by_hash(txn, hash)
            .await?
            .filter(|side| side.invalid.is_none())
            .map(|side| side.stored.height))
    }

    /// Places the held blocks whose parent `parent` now is, and theirs in turn.
    async fn place_held_children(
        &self,
        txn: &Txn,
        parent: BlockHash,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<()> {
        let mut parents = vec![parent];
        while let Some(parent) = parents.pop() {
            let children = self.held.children_of(&parent);
            for child in children {
                // A held block is a stranger's: one that fails is dropped, not an error of the
                // block that unblocked it. Held again, its sender is no longer known.
                match self
                    .place_branch(txn, child, Keep::EnoughWork, None, events)
                    .await
                {
                    Ok(placed) => parents.push(placed.hash),
                    Err(NodeError::InvalidBlock { hash, reason, .. }) => {
                        tracing::info!(%hash, %reason, "held block refused")
                    }
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(())
    }

    async fn place(
        &self,
        txn: &Txn,
        block: Block,
        keep: Keep,
        sender: Sender,
        events: &mut Vec<NodeEvent>,
    ) -> NodeResult<BlockAccepted> {
        let params = &self.params();
        let hash = block.hash();
        let tip = blocks::tip(txn).await?;
        let answer =
            |height, status, main_chain, tip| self.accepted(hash, height, status, main_chain, tip);
        if let Some(height) = blocks::height_of(txn, &hash).await? {
            return Ok(answer(Some(height), BlockStatus::Duplicate, true, tip));
        }
        if let Some(side) = side_blocks::by_hash(txn, &hash).await? {
            if let Some(reason) = side.invalid {
                return Err(invalid(hash, "INVALID_BRANCH", reason));
            }
            let height = Some(side.stored.height);
            return Ok(answer(height, BlockStatus::Duplicate, false, tip));
        }
        let prev = block.header.prev_hash;
        let parent = if prev == BlockHash::ZERO {
            if tip.is_some() {
                return Err(invalid(
                    hash,
                    "OTHER_GENESIS",
                    "a genesis block of another chain".into(),
                ));
            }
            None
        } else if let Some(height) = blocks::height_of(txn, &prev).await? {
            Some(ChainTip { hash: prev, height })
        } else if let Some(side) = side_blocks::by_hash(txn, &prev).await? {
            if let Some(reason) = side.invalid {
                return Err(invalid(
                    hash,
                    "INVALID_PARENT",
                    format!("its parent {prev} is invalid: {reason}"),
                ));
            }
            Some(ChainTip {
                hash: prev,
                height: side.stored.height,
            })
        } else {
            // Nothing links it yet: it is kept only if its header shows the work a sender must
            // spend, so an orphan flood costs its sender a proof of work per block.
            validate_header(&block, params).map_err(|e| NodeError::invalid_block(hash, &e))?;
            self.held.hold(block, sender);
            return Ok(answer(None, BlockStatus::Held, false, tip));
        };
        let height = ChainTip::next(parent.as_ref()).0;
        let stored = StoredBlock {
            hash,
            height,
            block,
        };
        if parent == tip {
            self.connect_one(txn, stored, events).await?;
            let tip = Some(ChainTip { hash, height });
            return Ok(answer(Some(height), BlockStatus::Connected, true, tip));
        }
        validate_block_alone(&stored.block, parent.as_ref(), params)
            .map_err(|e| NodeError::invalid_block(hash, &e))?;
        if keep == Keep::EnoughWork && !self.has_enough_work(height, tip.as_ref()) {
            self.held.hold(stored.block, sender);
            return Ok(answer(Some(height), BlockStatus::LowWork, false, tip));
        }
        side_blocks::insert(txn, &stored).await?;
        let tip_height = tip.map_or(0, |t| t.height);
        if height <= tip_height {
            return Ok(answer(Some(height), BlockStatus::SideBranch, false, tip));
        }
        // More work than the main chain: try the branch in a savepoint, so that a block of it
        // failing leaves the main chain as it was, with the failure recorded.
        let attempt = crate::store::savepoint(txn).await?;
        let mut moved = Vec::new();
        match self.reorganize_in(&attempt, hash, &mut moved).await {
            Ok(reorg) => {
                crate::store::commit(attempt).await?;
                events.extend(moved);
                let tip = Some(reorg.new_tip);
                Ok(answer(Some(height), BlockStatus::Reorganized, true, tip))
            }
            Err(NodeError::InvalidBlock {
                hash: failed,
                check,
                transaction,
                reason,
            }) => {
                crate::store::rollback(attempt).await?;
                side_blocks::mark_invalid(txn, &failed, &format!("{check}: {reason}")).await?;
                Err(NodeError::InvalidBlock {
                    hash: failed,
                    check,
                    transaction,
                    reason: format!("its branch would have more work, but {reason}"),
                })
            }
            Err(err) => Err(err),
        }
    }
}

/// Which blocks off the tip `place` writes to the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Only those giving their branch at least the main chain's work; others are held.
    EnoughWork,
    /// Any valid one: a held block whose descendant has given the branch enough work.
    Any,
}

fn invalid(hash: BlockHash, check: &'static str, reason: String) -> NodeError {
    NodeError::InvalidBlock {
        hash,
        check,
        transaction: None,
        reason,
    }
}

/// A block from hex ([`Block::decode_hex`]), its refusal as the node reports a block's.
pub fn decode_block(raw_hex: &str) -> NodeResult<Block> {
    Block::decode_hex(raw_hex).map_err(|e| invalid(BlockHash::ZERO, e.check(), e.to_string()))
}
