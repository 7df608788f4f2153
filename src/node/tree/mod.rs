//! The block tree: blocks from outside placed on it, connected to the main chain through the
//! one pipeline, held while they cannot win, reorganised onto; the pool settled afterwards; block
//! locators for peers.

pub(in crate::node) mod accept;
pub(in crate::node) mod connect;
pub(in crate::node) mod held;
pub(in crate::node) mod locator;
pub(in crate::node) mod reorg;
pub(in crate::node) mod settle;
