//! Reads: chain and wallet queries, lookups by hash or txid, any address, and the block lab.

pub(in crate::node) mod address;
pub(in crate::node) mod block_memo;
pub(in crate::node) mod lab;
pub(in crate::node) mod lookups;
pub(in crate::node) mod queries;
