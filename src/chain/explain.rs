//! The lab: every rule of block validation run on a block, each reported on its own (passed or
//! failed, and why), in the order `docs/protocol.md` gives — not only the first failure. For
//! showing what a change to a block breaks.

use super::block::{Block, ChainTip};
use super::hash::{BlockHash, MerkleRoot};
use super::header_rules::{check_bits, check_version, check_work};
use super::merkle::merkle_root;
use super::params::Params;
use super::utxo::UtxoView;
use super::validation::{
    BlockError, check_coinbase_height, check_coinbase_value, check_link, check_merkle_root,
    check_signatures, check_single_coinbase, check_size, check_unique_txids, resolve_inputs,
    txids_of,
};

/// One rule and how the block fares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    /// The rule, as `docs/protocol.md` names it.
    pub rule: &'static str,
    /// `None`: not checked (a rule it needs failed); `Some(Ok)`: passed; `Some(Err)`: failed.
    pub outcome: Option<Result<(), BlockError>>,
}

/// Every rule's outcome, and the block's recomputed hash and merkle root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The rules in order.
    pub rules: Vec<RuleOutcome>,
    /// The header's hash as it now is.
    pub hash: BlockHash,
    /// The merkle root of the transactions as they now are.
    pub merkle_root: MerkleRoot,
}

impl Explanation {
    /// Whether every rule passed.
    pub fn valid(&self) -> bool {
        self.rules.iter().all(|r| r.outcome == Some(Ok(())))
    }
}

/// Runs every rule on `block` as the block after `tip` over chainstate `view`.
pub fn explain_block(
    block: &Block,
    tip: Option<&ChainTip>,
    params: &Params,
    view: &impl UtxoView,
) -> Explanation {
    let (height, _) = ChainTip::next(tip);
    let txids = txids_of(block);
    let mut rules = vec![
        rule("transaction count", check_size(block, params)),
        rule("header version", check_version(&block.header)),
        rule("difficulty bits", check_bits(&block.header, params)),
        rule("proof of work", check_work(&block.header)),
        rule("link to the previous block", check_link(block, tip)),
        rule("coinbase height", check_coinbase_height(block, height)),
        rule(
            "coinbase value",
            check_coinbase_value(block, params, height),
        ),
        rule("one coinbase", check_single_coinbase(block)),
        rule("unique txids", check_unique_txids(&txids)),
        rule("merkle root", check_merkle_root(block, &txids)),
    ];
    match resolve_inputs(block, &txids, height, view) {
        Ok((checks, _)) => {
            rules.push(rule("inputs and values", Ok(())));
            rules.push(rule("signatures", check_signatures(block, &txids, &checks)));
        }
        Err(err) => {
            rules.push(rule("inputs and values", Err(err)));
            rules.push(RuleOutcome {
                rule: "signatures",
                outcome: None,
            });
        }
    }
    Explanation {
        rules,
        hash: block.hash(),
        merkle_root: merkle_root(&txids),
    }
}

fn rule(rule: &'static str, outcome: Result<(), BlockError>) -> RuleOutcome {
    RuleOutcome {
        rule,
        outcome: Some(outcome),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::testing::{ChainBuilder, pkh};
    use crate::chain::validate_block;

    #[test]
    fn a_valid_block_passes_every_rule_and_a_tampered_one_shows_each_failure() {
        let mut chain = ChainBuilder::new();
        chain.mine(pkh(1), vec![]);
        let tip = chain.tip;
        let tx = chain.pay(1, pkh(2), 3);
        let block = chain.mine_candidate(pkh(1), vec![tx]);
        let explained = explain_block(&block, tip.as_ref(), &chain.params, &chain.utxos);
        assert!(explained.valid(), "{explained:?}");
        assert_eq!(explained.rules.len(), 12);
        assert_eq!(explained.merkle_root, block.header.merkle_root);

        // One output's value changed: its txid, so the merkle root, no longer match; the proof
        // of work still holds (the header is unchanged); inputs now pay out more than they spend.
        let mut tampered = block.clone();
        tampered.transactions[1].outputs[0].value += 100;
        let explained = explain_block(&tampered, tip.as_ref(), &chain.params, &chain.utxos);
        let failed: Vec<&str> = explained
            .rules
            .iter()
            .filter(|r| matches!(r.outcome, Some(Err(_))))
            .map(|r| r.rule)
            .collect();
        assert_eq!(failed, ["merkle root", "inputs and values"]);
        assert_ne!(explained.merkle_root, block.header.merkle_root);
        // The first failure is what validation reports.
        let first = explained
            .rules
            .iter()
            .find_map(|r| r.outcome.clone().and_then(Result::err));
        assert_eq!(
            first,
            validate_block(&tampered, tip.as_ref(), &chain.params, &chain.utxos).err()
        );
    }
}
