//! The write path: the commit path every write goes through, the group commit of sends and
//! submitted transactions, and the payments the node builds.

pub(in crate::node) mod batch;
pub(in crate::node) mod build;
pub(in crate::node) mod commit;
pub(in crate::node) mod evict;
pub(in crate::node) mod policy;
pub(in crate::node) mod send;
pub(in crate::node) mod submit;
