//! Mining: a block from the pool, many blocks in one call, the mining modes and their scheduler,
//! and the progress of a nonce search.

pub(in crate::node) mod auto;
pub(in crate::node) mod clock;
pub(in crate::node) mod mine;
pub(in crate::node) mod mine_many;
pub(in crate::node) mod nonce_search;
mod pack;
pub(in crate::node) mod progress;
pub(in crate::node) mod search_helpers;
pub(in crate::node) mod settings;
