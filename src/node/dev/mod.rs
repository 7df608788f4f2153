//! Dev-chain controls: dev accounts, resets (empty, accounts, the reference's training
//! scenario), snapshots with reverts, and pool control.

pub(in crate::node) mod accounts;
pub(in crate::node) mod pool_control;
pub(in crate::node) mod reset;
pub(in crate::node) mod snapshot;
