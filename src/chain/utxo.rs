//! Unspent outputs, the read-only view validation checks against, and the change a block makes.
//!
//! Validation reads through [`UtxoView`] and returns a [`UtxoChanges`] instead of writing, so the
//! same rules run over an in-memory map in tests and over the database's chainstate in the node.

use std::collections::HashMap;

use super::transaction::{OutPoint, TxOut};

/// An unspent output and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utxo {
    /// Value and owner.
    pub output: TxOut,
    /// Height of the block that created it.
    pub height: u64,
    /// Whether a coinbase created it.
    pub coinbase: bool,
}

/// Read access to a chainstate.
pub trait UtxoView {
    /// The unspent output at `outpoint`, or `None` if it never existed or is spent.
    fn utxo(&self, outpoint: &OutPoint) -> Option<Utxo>;
}

impl UtxoView for HashMap<OutPoint, Utxo> {
    fn utxo(&self, outpoint: &OutPoint) -> Option<Utxo> {
        self.get(outpoint).copied()
    }
}

impl<V: UtxoView + ?Sized> UtxoView for &V {
    fn utxo(&self, outpoint: &OutPoint) -> Option<Utxo> {
        (**self).utxo(outpoint)
    }
}

/// What applying a valid block does to the chainstate. Outputs created and spent inside the same
/// block appear in neither list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UtxoChanges {
    /// Outputs the block spends, as they were before it.
    pub spent: Vec<(OutPoint, Utxo)>,
    /// Outputs the block leaves unspent.
    pub created: Vec<(OutPoint, Utxo)>,
}

impl UtxoChanges {
    /// Applies the changes to an in-memory chainstate.
    pub fn apply(&self, set: &mut HashMap<OutPoint, Utxo>) {
        for (outpoint, _) in &self.spent {
            set.remove(outpoint);
        }
        set.extend(self.created.iter().copied());
    }

    /// Sum of created values minus sum of spent values: the block's net issuance.
    pub fn net_value(&self) -> i128 {
        let sum = |list: &[(OutPoint, Utxo)]| {
            list.iter()
                .map(|(_, u)| i128::from(u.output.value))
                .sum::<i128>()
        };
        sum(&self.created) - sum(&self.spent)
    }
}
