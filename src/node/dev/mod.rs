//! Dev-chain controls: the reference's training scenario (reset) and snapshots with reverts.

pub(in crate::node) mod reset;
pub(in crate::node) mod snapshot;
