//! The lab's types: `explainBlock`'s patch and its answer.

use async_graphql::{Enum, InputObject, Object, SimpleObject};

use super::error::{ApiError, ApiResult};
use crate::node::{self, BlockLab, parse_address};

/// Fields to replace on a copy of a stored block; those left out stay as mined.
#[derive(InputObject, Debug, Default)]
pub struct BlockPatch {
    /// The header's nonce: a whole number from 0 to 18446744073709551615, as a string.
    pub nonce: Option<String>,
    /// The header's timestamp, Unix seconds.
    pub timestamp: Option<i32>,
    /// The header's link to the previous block, hex.
    pub prev_hash: Option<String>,
    /// The header's merkle root, hex.
    pub merkle_root: Option<String>,
    /// One output of one transaction.
    pub output: Option<OutputPatch>,
    /// The hash of a re-mined copy of the previous block that this copy links to (a chain of
    /// copies in the lab): the link rule checks against it instead of the stored previous block.
    pub parent_hash: Option<String>,
}

/// A change to one output.
#[derive(InputObject, Debug)]
pub struct OutputPatch {
    /// The transaction's position in the block (0 is the coinbase).
    pub tx: i32,
    /// The output's index.
    pub vout: i32,
    /// A new value.
    pub value: Option<i32>,
    /// A new owner.
    pub address: Option<String>,
}

impl BlockPatch {
    /// The node's patch; a malformed field is a `BAD_REQUEST` (or `INVALID_ADDRESS`).
    pub fn parse(self) -> async_graphql::Result<node::BlockPatch> {
        let bad = |what: &str| ApiError::BadRequest(format!("patch: {what}"));
        fn hash<T: std::str::FromStr>(
            text: Option<String>,
            what: &str,
        ) -> Result<Option<T>, ApiError> {
            text.map(|t| {
                t.trim()
                    .parse()
                    .map_err(|_| ApiError::BadRequest(format!("patch: {what}")))
            })
            .transpose()
        }
        let output = match self.output {
            Some(o) => Some(node::OutputPatch {
                tx: u32::try_from(o.tx).map_err(|_| bad("output.tx must be 0 or more"))?,
                vout: u32::try_from(o.vout).map_err(|_| bad("output.vout must be 0 or more"))?,
                value: o
                    .value
                    .map(|v| u64::try_from(v).map_err(|_| bad("output.value must be 0 or more")))
                    .transpose()?,
                address: o
                    .address
                    .map(|a| parse_address("address", &a))
                    .transpose()
                    .api()?,
            }),
            None => None,
        };
        Ok(node::BlockPatch {
            nonce: self
                .nonce
                .map(|n| {
                    n.trim().parse().map_err(|_| {
                        bad("nonce must be a whole number from 0 to 18446744073709551615")
                    })
                })
                .transpose()?,
            timestamp: self
                .timestamp
                .map(|t| u64::try_from(t).map_err(|_| bad("timestamp must be 0 or more")))
                .transpose()?,
            prev_hash: hash(self.prev_hash, "prevHash must be 64 hex digits")?,
            merkle_root: hash(self.merkle_root, "merkleRoot must be 64 hex digits")?,
            output,
            parent_hash: hash(self.parent_hash, "parentHash must be 64 hex digits")?,
        })
    }
}

/// How a block fares against one rule.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RuleStatus {
    /// The rule holds.
    Passed,
    /// The rule is broken; `detail` says how.
    Failed,
    /// Not checked: a rule it depends on failed.
    Skipped,
}

/// One rule of block validation.
#[derive(SimpleObject, Clone, Debug)]
pub struct RuleCheck {
    /// The rule, as `docs/protocol.md` names it.
    pub rule: String,
    /// Passed, failed or skipped.
    pub status: RuleStatus,
    /// Why it failed.
    pub detail: Option<String>,
}

/// A later block whose link to the changed block no longer holds.
#[derive(SimpleObject, Clone, Debug)]
pub struct BrokenLink {
    /// Its height.
    pub height: u64,
    /// Its hash.
    pub hash: String,
}

/// What `explainBlock` found.
pub struct BlockCheck(pub BlockLab);

#[Object]
impl BlockCheck {
    /// The block's height.
    async fn height(&self) -> u64 {
        self.0.height
    }

    /// Its hash as stored.
    async fn stored_hash(&self) -> String {
        self.0.stored_hash.to_string()
    }

    /// The changed header's hash.
    async fn hash(&self) -> String {
        self.0.explanation.hash.to_string()
    }

    /// The merkle root of the (changed) transactions; the header's own is checked against it.
    async fn merkle_root(&self) -> String {
        self.0.explanation.merkle_root.to_string()
    }

    /// Whether every rule passes.
    async fn valid(&self) -> bool {
        self.0.explanation.valid()
    }

    /// Every rule in the order `docs/protocol.md` gives.
    async fn checks(&self) -> Vec<RuleCheck> {
        self.0
            .explanation
            .rules
            .iter()
            .map(|r| RuleCheck {
                rule: r.rule.to_owned(),
                status: match &r.outcome {
                    Some(Ok(())) => RuleStatus::Passed,
                    Some(Err(_)) => RuleStatus::Failed,
                    None => RuleStatus::Skipped,
                },
                detail: r
                    .outcome
                    .as_ref()
                    .and_then(|o| o.as_ref().err())
                    .map(ToString::to_string),
            })
            .collect()
    }

    /// The next block, if the change breaks its link to this one.
    async fn broken_link(&self) -> Option<BrokenLink> {
        self.0.broken_link.map(|(height, hash)| BrokenLink {
            height,
            hash: hash.to_string(),
        })
    }

    /// Blocks after this one: all rest on it, so a broken link leaves them all off the chain.
    async fn later_blocks(&self) -> u64 {
        self.0.later_blocks
    }
}
