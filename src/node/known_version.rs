//! The state version without a database read, where this process is the database's only writer
//! (a server holding a SQLite database's lock): every change goes through the commit path, which
//! records the version it leaves. So a cached answer or a mutation's answer costs no round trip
//! for its version. Elsewhere (PostgreSQL, where other processes write too) the version is read.

use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug)]
pub(crate) struct KnownVersion(Option<AtomicI64>);

impl KnownVersion {
    /// Tracks the version from `current` on when this process is the only writer.
    pub(crate) fn new(only_writer: bool, current: i64) -> Self {
        Self(only_writer.then(|| AtomicI64::new(current)))
    }

    /// Whether commits record their version here.
    pub(crate) fn tracked(&self) -> bool {
        self.0.is_some()
    }

    /// The version the last commit left, when tracked.
    pub(crate) fn get(&self) -> Option<i64> {
        self.0.as_ref().map(|v| v.load(Ordering::Acquire))
    }

    /// After a commit: the version it left. Versions only grow.
    pub(crate) fn advance(&self, version: i64) {
        if let Some(known) = &self.0 {
            known.fetch_max(version, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_sole_writer_knows_and_versions_only_grow() {
        let shared = KnownVersion::new(false, 5);
        shared.advance(9);
        assert_eq!(shared.get(), None);
        let sole = KnownVersion::new(true, 5);
        sole.advance(9);
        sole.advance(7);
        assert_eq!(sole.get(), Some(9));
    }
}
