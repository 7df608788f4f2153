//! Persisted queries: Apollo's automatic persisted queries (APQ), and a persisted-only mode.
//!
//! A client sends `extensions.persistedQuery = { version: 1, sha256Hash }` without the document;
//! a server that holds a document with that SHA-256 runs it, otherwise it answers
//! `PersistedQueryNotFound` (code `PERSISTED_QUERY_NOT_FOUND`) and the client sends the document
//! with its hash once. A document is kept only after it passed the same admission limits as any
//! other, in a store bounded in count and bytes (least recently used leaves first).
//!
//! With `--persisted-queries FILE` (an Apollo persisted-query manifest) the file's documents are
//! known from the start and never evicted; `--persisted-only` then refuses every other document,
//! so the server runs only its own frontend's operations.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_graphql::{Request, ServerError};
use lru::LruCache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::graphql::error::code;
use crate::graphql::{QueryLimits, admit};

/// Most documents learned from clients.
const MAX_LEARNED: usize = 4096;
/// Most bytes of learned documents in all.
const MAX_LEARNED_BYTES: usize = 16 << 20;

/// Why a manifest cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file cannot be read.
    #[error("cannot read the persisted-query manifest {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not an Apollo persisted-query manifest, or one of its operations is refused.
    #[error("the persisted-query manifest {path} {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Apollo's manifest format (`@apollo/generate-persisted-query-manifest`).
#[derive(Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    operations: Vec<ManifestOperation>,
}

#[derive(Deserialize)]
struct ManifestOperation {
    id: String,
    body: String,
}

/// The documents this server knows by hash.
#[derive(Debug)]
pub struct PersistedQueries {
    /// From the manifest: never evicted.
    pinned: HashMap<String, Arc<str>>,
    learned: Mutex<Learned>,
    only: bool,
}

#[derive(Debug)]
struct Learned {
    documents: LruCache<String, Arc<str>>,
    bytes: usize,
}

/// What a request's `persistedQuery` asks for once its document is in place.
#[must_use]
pub enum Persisted {
    /// Nothing to keep.
    Known,
    /// A new document, kept once it is admitted.
    Learn(String),
}

impl PersistedQueries {
    /// A store with the manifest's documents (each admitted against `limits`), refusing all
    /// others when `only`.
    pub fn new(
        manifest: Option<&Path>,
        only: bool,
        limits: &QueryLimits,
    ) -> Result<Self, ManifestError> {
        let pinned = match manifest {
            Some(path) => read_manifest(path, limits)?,
            None => HashMap::new(),
        };
        Ok(Self {
            pinned,
            learned: Mutex::new(Learned {
                documents: LruCache::new(
                    NonZeroUsize::new(MAX_LEARNED).unwrap_or(NonZeroUsize::MIN),
                ),
                bytes: 0,
            }),
            only,
        })
    }

    /// Puts the document a hash names into `request`, or says why it cannot run.
    pub fn resolve(&self, request: &mut Request) -> Result<Persisted, ServerError> {
        let Some(asked) = request.extensions.get("persistedQuery") else {
            if self.only && !self.pinned.contains_key(&sha256_hex(&request.query)) {
                return Err(only_persisted());
            }
            return Ok(Persisted::Known);
        };
        let hash = requested_hash(asked)?;
        if request.query.trim().is_empty() {
            request.query = self.get(&hash).ok_or_else(not_found)?.to_string();
            return Ok(Persisted::Known);
        }
        let actual = sha256_hex(&request.query);
        if actual != hash {
            return Err(bad_request(format!(
                "the document's SHA-256 is {actual}, not the persistedQuery.sha256Hash sent \
                 ({hash})"
            )));
        }
        if self.pinned.contains_key(&hash) {
            Ok(Persisted::Known)
        } else if self.only {
            Err(only_persisted())
        } else {
            Ok(Persisted::Learn(hash))
        }
    }

    /// Keeps an admitted document under its hash.
    pub fn learn(&self, hash: String, document: &str) {
        let Ok(mut learned) = self.learned.lock() else {
            return;
        };
        if document.len() > MAX_LEARNED_BYTES || learned.documents.contains(&hash) {
            return;
        }
        learned.bytes += document.len();
        if let Some((_, evicted)) = learned.documents.push(hash, Arc::from(document)) {
            learned.bytes -= evicted.len();
        }
        while learned.bytes > MAX_LEARNED_BYTES {
            match learned.documents.pop_lru() {
                Some((_, evicted)) => learned.bytes -= evicted.len(),
                None => break,
            }
        }
    }

    fn get(&self, hash: &str) -> Option<Arc<str>> {
        if let Some(document) = self.pinned.get(hash) {
            return Some(document.clone());
        }
        self.learned.lock().ok()?.documents.get(hash).cloned()
    }
}

/// Whether a request names its document by hash (so it may come without one).
pub fn names_a_hash(request: &Request) -> bool {
    request.extensions.contains_key("persistedQuery")
}

/// The `sha256Hash` of a `persistedQuery` extension, lower-case.
fn requested_hash(asked: &async_graphql::Value) -> Result<String, ServerError> {
    let value = asked
        .clone()
        .into_json()
        .map_err(|_| bad_request("extensions.persistedQuery is not JSON".into()))?;
    let version = value.get("version").and_then(serde_json::Value::as_i64);
    if version != Some(1) {
        return Err(bad_request(
            "extensions.persistedQuery.version must be 1 (the only version of Apollo's protocol)"
                .into(),
        ));
    }
    let hash = value
        .get("sha256Hash")
        .and_then(serde_json::Value::as_str)
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            bad_request(
                "extensions.persistedQuery.sha256Hash must be a SHA-256 in 64 hex digits".into(),
            )
        })?;
    Ok(hash.to_ascii_lowercase())
}

fn read_manifest(
    path: &Path,
    limits: &QueryLimits,
) -> Result<HashMap<String, Arc<str>>, ManifestError> {
    let invalid = |reason: String| ManifestError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.to_owned(),
        source,
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "is not an Apollo persisted-query manifest (format, version, operations): {e}"
        ))
    })?;
    if manifest.format != "apollo-persisted-query-manifest" || manifest.version != 1 {
        return Err(invalid(format!(
            "has format {:?} version {}; expected \"apollo-persisted-query-manifest\" version 1",
            manifest.format, manifest.version
        )));
    }
    let mut pinned = HashMap::with_capacity(manifest.operations.len());
    for operation in manifest.operations {
        let hash = sha256_hex(&operation.body);
        if !operation.id.eq_ignore_ascii_case(&hash) {
            return Err(invalid(format!(
                "names an operation {} whose body hashes to {hash} (ids are the body's SHA-256)",
                operation.id
            )));
        }
        let mut request = Request::new(operation.body.as_str());
        if let Err(refusal) = admit(limits, &mut request) {
            return Err(invalid(format!(
                "holds operation {hash}, which this server refuses: {}",
                refusal.message
            )));
        }
        pinned.insert(hash, Arc::from(operation.body));
    }
    Ok(pinned)
}

fn sha256_hex(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

fn not_found() -> ServerError {
    // Apollo's clients look for this exact message (older ones) or the code (newer ones).
    coded(
        ServerError::new("PersistedQueryNotFound", None),
        code::PERSISTED_QUERY_NOT_FOUND,
    )
}

fn only_persisted() -> ServerError {
    coded(
        ServerError::new(
            "this server runs only its persisted documents (--persisted-only): send a known \
             document's hash in extensions.persistedQuery.sha256Hash",
            None,
        ),
        code::PERSISTED_QUERY_ONLY,
    )
}

fn bad_request(message: String) -> ServerError {
    coded(ServerError::new(message, None), code::BAD_REQUEST)
}

fn coded(mut error: ServerError, code: &str) -> ServerError {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hash(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        request.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(
                serde_json::json!({ "version": 1, "sha256Hash": hash }),
            )
            .unwrap(),
        );
        request
    }

    #[test]
    fn a_hash_is_learned_once_then_enough() {
        let store = PersistedQueries::new(None, false, &QueryLimits::default()).unwrap();
        let document = "{ chain { height } }";
        let hash = sha256_hex(document);
        let mut bare = with_hash("", &hash);
        let refusal = store.resolve(&mut bare).err().unwrap();
        assert_eq!(refusal.message, "PersistedQueryNotFound");
        let mut full = with_hash(document, &hash);
        let Persisted::Learn(learned) = store.resolve(&mut full).unwrap() else {
            panic!("a new document is learned");
        };
        store.learn(learned, document);
        let mut bare = with_hash("", &hash.to_ascii_uppercase());
        assert!(matches!(store.resolve(&mut bare), Ok(Persisted::Known)));
        assert_eq!(bare.query, document);
    }

    #[test]
    fn a_wrong_hash_or_version_is_refused() {
        let store = PersistedQueries::new(None, false, &QueryLimits::default()).unwrap();
        let mut wrong = with_hash("{ chain { height } }", &"0".repeat(64));
        assert!(store.resolve(&mut wrong).is_err());
        let mut short = with_hash("", "abc");
        assert!(store.resolve(&mut short).is_err());
    }

    #[test]
    fn learned_documents_stay_within_their_bytes() {
        let store = PersistedQueries::new(None, false, &QueryLimits::default()).unwrap();
        let big = "#".repeat(MAX_LEARNED_BYTES / 4 + 1);
        for i in 0..8 {
            let document = format!("{big}{i}");
            store.learn(sha256_hex(&document), &document);
        }
        let learned = store.learned.lock().unwrap();
        assert!(learned.bytes <= MAX_LEARNED_BYTES);
        assert_eq!(learned.documents.len(), 3);
    }
}
