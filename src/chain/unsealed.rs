//! A block this node mines, connected before its nonce is found — as Bitcoin Core checks a block
//! template (`TestBlockValidity` without the proof of work) before handing it to miners.
//!
//! Every rule but the proof of work reads only what the nonce leaves alone, and so do the undo
//! data and the chainstate's changes: they can be checked and written while the nonce is
//! searched. Only the index rows name the block's hash, which [`Unsealed::seal`] fills in once the
//! nonce is known, after checking the sealed header's proof of work.

use std::collections::HashMap;

use super::block::{Block, ChainTip};
use super::connect::{ConnectRows, connect_run};
use super::header::BlockHeader;
use super::header_rules::{Work, check_work};
use super::params::Params;
use super::transaction::OutPoint;
use super::utxo::{Utxo, UtxoChanges};
use super::validation::BlockError;

/// A block whose every rule but the proof of work passed, with its rows.
#[derive(Debug)]
pub struct Unsealed {
    /// Its header, whatever its nonce.
    header: BlockHeader,
    rows: ConnectRows,
}

/// Connects `block` (extending `tip`, spending from `view`) as [`connect_blocks`] would, but for
/// its proof of work: the rule it broke, if any.
///
/// [`connect_blocks`]: super::connect_blocks
pub fn connect_unsealed(
    block: &Block,
    tip: Option<ChainTip>,
    params: &Params,
    view: HashMap<OutPoint, Utxo>,
) -> Result<Unsealed, BlockError> {
    let (_, rows, failure) = connect_run(
        std::slice::from_ref(block),
        tip,
        params,
        view,
        Work::Deferred,
    );
    match failure {
        Some(failure) => Err(failure.error),
        None => Ok(Unsealed {
            header: block.header,
            rows,
        }),
    }
}

impl Unsealed {
    /// The outputs the block spends, as its undo data records them.
    pub fn undo(&self) -> &[(u64, OutPoint, Utxo)] {
        &self.rows.undo
    }

    /// The block's changes to the chainstate.
    pub fn changes(&self) -> &UtxoChanges {
        &self.rows.changes
    }

    /// The header sealed with `nonce`, if its hash meets the difficulty, and the block's rows,
    /// its index rows naming that hash.
    pub fn seal(self, nonce: u64) -> Result<(BlockHeader, ConnectRows), BlockError> {
        let header = BlockHeader {
            nonce,
            ..self.header
        };
        check_work(&header)?;
        let hash = header.hash();
        let mut rows = self.rows;
        for row in &mut rows.index {
            row.location.block_hash = hash;
        }
        Ok((header, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::connect_blocks;
    use crate::chain::testing::{ChainBuilder, pkh};

    /// A chain whose key 1 holds a coin, and a block on it paying from key 1 to key 2, unsealed.
    fn template(amount: u64) -> (ChainBuilder, Block) {
        let mut chain = ChainBuilder::new();
        chain.mine(pkh(1), vec![]);
        let payment = chain.pay(1, pkh(2), amount);
        let block = Block::candidate(chain.tip.as_ref(), pkh(3), vec![payment], &chain.params, 1);
        (chain, block)
    }

    #[test]
    fn a_sealed_block_has_the_rows_connecting_it_gives() {
        let (chain, block) = template(5);
        let unsealed =
            connect_unsealed(&block, chain.tip, &chain.params, chain.utxos.clone()).unwrap();
        assert_eq!(unsealed.undo().len(), 1);
        let mined = chain.remine(block);
        let (header, rows) = unsealed.seal(mined.header.nonce).unwrap();
        assert_eq!(header, mined.header);

        let (valid, expected, failure) = connect_blocks(
            std::slice::from_ref(&mined),
            chain.tip,
            &chain.params,
            chain.utxos,
        );
        assert_eq!((valid, failure), (1, None));
        assert_eq!(rows.index, expected.index);
        assert!(
            rows.index
                .iter()
                .all(|row| row.location.block_hash == mined.hash())
        );
        assert_eq!(rows.undo, expected.undo);
        assert_eq!(rows.changes.spent, expected.changes.spent);
        let sorted = |changes: &UtxoChanges| {
            let mut created = changes.created.clone();
            created.sort_by_key(|(outpoint, _)| (outpoint.txid, outpoint.vout));
            created
        };
        assert_eq!(sorted(&rows.changes), sorted(&expected.changes));
    }

    #[test]
    fn a_nonce_short_of_the_difficulty_does_not_seal() {
        let (chain, block) = template(5);
        let unsealed = connect_unsealed(&block, chain.tip, &chain.params, chain.utxos).unwrap();
        let short = (0..)
            .find(|&nonce| {
                check_work(&BlockHeader {
                    nonce,
                    ..block.header
                })
                .is_err()
            })
            .unwrap();
        assert!(matches!(
            unsealed.seal(short),
            Err(BlockError::InsufficientWork { .. })
        ));
    }

    #[test]
    fn every_other_rule_is_checked_before_the_nonce() {
        let (chain, block) = template(5);
        let mut overpaid = block.transactions[1].clone();
        overpaid.outputs[0].value += 1;
        let block = Block::candidate(chain.tip.as_ref(), pkh(3), vec![overpaid], &chain.params, 1);
        let failure =
            connect_unsealed(&block, chain.tip, &chain.params, chain.utxos.clone()).unwrap_err();
        assert!(
            matches!(failure, BlockError::Transaction { .. }),
            "{failure}"
        );
        let mut broken = template(5).1;
        broken.header.bits += 1;
        let failure = connect_unsealed(&broken, chain.tip, &chain.params, chain.utxos).unwrap_err();
        assert!(matches!(failure, BlockError::WrongDifficulty { .. }));
    }

    #[test]
    fn signatures_are_verified_before_the_nonce() {
        let (chain, block) = template(5);
        let mut forged = block.transactions[1].clone();
        forged.inputs[0].witness = chain.pay(1, pkh(2), 6).inputs[0].witness;
        let block = Block::candidate(chain.tip.as_ref(), pkh(3), vec![forged], &chain.params, 1);
        let failure = connect_unsealed(&block, chain.tip, &chain.params, chain.utxos).unwrap_err();
        assert!(
            matches!(failure, BlockError::Transaction { .. }),
            "{failure}"
        );
        assert!(failure.to_string().contains("signature"), "{failure}");
    }
}
