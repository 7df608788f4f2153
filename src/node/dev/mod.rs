//! Dev-chain controls: the reference's training scenario (reset), snapshots with reverts, and
//! pool control.

pub(in crate::node) mod pool_control;
pub(in crate::node) mod reset;
pub(in crate::node) mod snapshot;
