//! Answers to repeated queries, kept until anything changes.
//!
//! Every committed change advances the store's state version, in the changing transaction and by
//! any process (see `store::version`). An answer is kept under the version read before it ran and
//! given only to requests that read the same version, so a kept answer is never older than the
//! state a request saw when it arrived, on any replica. A new version empties the cache.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Largest answer kept: bigger ones are cheap to recompute relative to their size.
const MAX_ENTRY_BYTES: usize = 1 << 20;

/// What makes two requests the same: the document, the operation chosen and the variables.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(String);

impl CacheKey {
    /// The key of a request.
    pub fn of(request: &async_graphql::Request) -> Self {
        let variables = serde_json::to_string(&request.variables).unwrap_or_default();
        let operation = request.operation_name.as_deref().unwrap_or("");
        Self(format!("{}\u{0}{operation}\u{0}{variables}", request.query))
    }
}

/// Serialized answers for the current state version, bounded in count and bytes.
#[derive(Debug)]
pub struct ResponseCache {
    max_entries: usize,
    max_bytes: usize,
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    version: i64,
    answers: HashMap<CacheKey, Bytes>,
    bytes: usize,
}

impl ResponseCache {
    /// A cache of at most `max_entries` answers (each at most 1 MiB), and `max_entries` × 64 KiB
    /// in all.
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries,
            max_bytes: max_entries.saturating_mul(64 * 1024),
            inner: Mutex::default(),
        }
    }

    /// Whether an answer to `key` is kept, for whatever version: only then is a lookup worth
    /// reading the state version for.
    pub fn holds(&self, key: &CacheKey) -> bool {
        self.inner
            .lock()
            .is_ok_and(|entries| entries.answers.contains_key(key))
    }

    /// The answer kept for `key` at `version`.
    pub fn get(&self, version: i64, key: &CacheKey) -> Option<Bytes> {
        let entries = self.inner.lock().ok()?;
        (entries.version == version)
            .then(|| entries.answers.get(key).cloned())
            .flatten()
    }

    /// Keeps an answer computed at `version`. Answers of an older version than the newest seen
    /// are dropped; a newer version replaces everything kept.
    pub fn put(&self, version: i64, key: CacheKey, answer: Bytes) {
        let Ok(mut entries) = self.inner.lock() else {
            return;
        };
        if version < entries.version || answer.len() > MAX_ENTRY_BYTES {
            return;
        }
        if version > entries.version {
            *entries = Entries {
                version,
                ..Entries::default()
            };
        }
        let full = entries.answers.len() >= self.max_entries
            || entries.bytes + answer.len() > self.max_bytes;
        if full || entries.answers.contains_key(&key) {
            return;
        }
        entries.bytes += answer.len();
        entries.answers.insert(key, answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(query: &str) -> CacheKey {
        CacheKey::of(&async_graphql::Request::new(query))
    }

    #[test]
    fn answers_only_at_the_version_they_were_computed_at() {
        let cache = ResponseCache::new(4);
        cache.put(7, key("{a}"), Bytes::from_static(b"A"));
        assert_eq!(cache.get(7, &key("{a}")), Some(Bytes::from_static(b"A")));
        assert_eq!(cache.get(8, &key("{a}")), None);
        assert_eq!(cache.get(7, &key("{b}")), None);
        // A newer version empties the cache; an older answer is not kept.
        cache.put(8, key("{b}"), Bytes::from_static(b"B"));
        assert_eq!(cache.get(7, &key("{a}")), None);
        cache.put(7, key("{a}"), Bytes::from_static(b"A"));
        assert_eq!(cache.get(7, &key("{a}")), None);
        assert_eq!(cache.get(8, &key("{b}")), Some(Bytes::from_static(b"B")));
    }

    #[test]
    fn variables_and_operation_are_part_of_the_key() {
        let plain = async_graphql::Request::new("query Q($a: Int) { x(a: $a) }");
        let with_vars = async_graphql::Request::new("query Q($a: Int) { x(a: $a) }").variables(
            async_graphql::Variables::from_json(serde_json::json!({ "a": 1 })),
        );
        let named =
            async_graphql::Request::new("query Q($a: Int) { x(a: $a) }").operation_name("Q");
        assert_ne!(CacheKey::of(&plain), CacheKey::of(&with_vars));
        assert_ne!(CacheKey::of(&plain), CacheKey::of(&named));
    }

    #[test]
    fn bounded_in_entries() {
        let cache = ResponseCache::new(2);
        for (i, q) in ["{a}", "{b}", "{c}"].into_iter().enumerate() {
            cache.put(1, key(q), Bytes::from(vec![b'x'; i + 1]));
        }
        assert!(cache.get(1, &key("{a}")).is_some());
        assert!(cache.get(1, &key("{b}")).is_some());
        assert!(cache.get(1, &key("{c}")).is_none());
    }
}
