//! An address's totals, for any address.

/// An address's totals (all zeros for one never seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressSummary {
    /// Its unspent outputs' sum.
    pub balance: u64,
    /// Everything ever paid to it in the chain.
    pub received: u64,
    /// Everything it has spent.
    pub sent: u64,
    /// Mined transactions that paid it or spent from it.
    pub tx_count: u64,
}
