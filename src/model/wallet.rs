//! A keystore wallet as the API sees it: no key material, sealed or not.

use crate::chain::Address;

/// A wallet this node signs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wallet {
    /// Creation order.
    pub id: i64,
    /// Its address.
    pub address: Address,
    /// Its compressed public key (checked against the address when read, not decompressed:
    /// listing many wallets stays cheap).
    pub public_key: [u8; 33],
    /// Creation time, Unix milliseconds.
    pub created_at: i64,
}

/// A keystore wallet as callers see it: no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletInfo {
    /// The wallet.
    pub wallet: Wallet,
    /// Its balance.
    pub balance: u64,
}
