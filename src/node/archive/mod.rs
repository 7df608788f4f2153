//! The chain as a whole: export and import of chain archives, and verifying or rebuilding the
//! chainstate from the blocks.

pub(in crate::node) mod import_check;
pub(in crate::node) mod transfer;
pub(in crate::node) mod verify;
