//! Documents admitted before, kept by their text. Clients send the same few documents again and
//! again (a page's query, a wallet's send), and counting, parsing and walking one against the
//! limits took an eighth of an uncached balance read's CPU and a quarter of `{ __typename }`'s
//! (docs/performance.md). A document found
//! here goes to the schema as it was parsed the first time, with what [`admit`] learned of it.
//!
//! A kept document that once ran without errors passed every validation rule that reads only the
//! document and the schema; the schema checks it again only against each request's variables
//! (`Request::statically_valid`, a patch in `vendor/async-graphql`).
//!
//! Only admitted documents are kept, each at most [`LONGEST_KEPT`] bytes long and at most
//! [`MOST_KEPT`] of them, the least recently asked leaving first: a client sending ever new
//! documents costs what it cost before, and the memory stays bounded.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError};
use lru::LruCache;

use super::limits::{Admitted, QueryLimits, admit};

/// Most documents kept.
const MOST_KEPT: NonZeroUsize = NonZeroUsize::new(128).unwrap();

/// Longest document kept, in bytes: a page's query or a send is a few hundred.
const LONGEST_KEPT: usize = 4096;

/// The server's limits, and the documents admitted under them.
#[derive(Debug)]
pub struct Admission {
    limits: QueryLimits,
    kept: Mutex<LruCache<Box<str>, Kept>>,
}

#[derive(Debug, Clone)]
struct Kept {
    document: Arc<ExecutableDocument>,
    admitted: Admitted,
    /// It ran once without errors (see [`Admission::ran_cleanly`]).
    ran_cleanly: bool,
}

impl Admission {
    /// Admits documents under `limits`, keeping none yet.
    pub fn new(limits: QueryLimits) -> Self {
        Self {
            limits,
            kept: Mutex::new(LruCache::new(MOST_KEPT)),
        }
    }

    /// Checks `request` against the limits, as [`admit`] does, and leaves the parsed document in
    /// it: a document admitted before is not parsed again.
    pub fn admit(&self, request: &mut Request) -> Result<Admitted, ServerError> {
        let keep = request.query.len() <= LONGEST_KEPT;
        if keep && let Some(kept) = self.kept().get(request.query.as_str()).cloned() {
            request.set_parsed_query(ExecutableDocument::clone(&kept.document));
            request.statically_valid = kept.ran_cleanly;
            return Ok(kept.admitted);
        }
        let admitted = admit(&self.limits, request)?;
        if keep && let Ok(document) = request.parsed_query() {
            let kept = Kept {
                document: Arc::new(document.clone()),
                admitted,
                ran_cleanly: false,
            };
            self.kept().put(request.query.as_str().into(), kept);
        }
        Ok(admitted)
    }

    /// Records that `query` ran without errors, so it passed the validation rules that do not
    /// read the variables: a later request with it runs only those that do. Ignored for a
    /// document not kept.
    pub fn ran_cleanly(&self, query: &str) {
        if let Some(kept) = self.kept().peek_mut(query) {
            kept.ran_cleanly = true;
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, LruCache<Box<str>, Kept>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(admission: &Admission, query: &str) -> Result<(Admitted, String), String> {
        let mut request = Request::new(query);
        let admitted = admission.admit(&mut request).map_err(|e| e.message)?;
        let document = request.parsed_query().map_err(|e| e.message)?;
        Ok((admitted, format!("{document:?}")))
    }

    /// A document asked again is answered from what was kept, the same as when it was parsed.
    #[test]
    fn a_document_asked_again_is_the_one_parsed_first() {
        let admission = Admission::new(QueryLimits::default());
        let query = "mutation($a: String!) { send(from: $a, to: $a, amount: 1) { txId } }";
        let (first, parsed) = admitted(&admission, query).unwrap();
        assert_eq!(admission.kept().len(), 1);
        let (again, kept) = admitted(&admission, query).unwrap();
        assert_eq!(kept, parsed);
        assert_eq!(format!("{again:?}"), format!("{first:?}"));
        assert!(again.any_mutation && !again.cacheable);
    }

    /// A kept document comes back marked statically valid only after it ran cleanly; a
    /// document not kept is never marked.
    #[test]
    fn a_document_that_ran_cleanly_is_marked_from_then_on() {
        let admission = Admission::new(QueryLimits::default());
        let query = "query($a: String!) { address(address: $a) { balance } }";
        let admit = |text: &str| {
            let mut request = Request::new(text);
            admission.admit(&mut request).unwrap();
            request.statically_valid
        };
        assert!(!admit(query));
        assert!(!admit(query), "kept, but it has not run yet");
        admission.ran_cleanly(query);
        assert!(admit(query));
        assert!(admit(query));

        let long = format!("{{ __typename {} }}", " ".repeat(LONGEST_KEPT));
        assert!(!admit(&long));
        admission.ran_cleanly(&long);
        assert!(
            !admit(&long),
            "a document not kept is validated in full every time"
        );
        assert_eq!(admission.kept().len(), 1);
    }

    /// A refusal is not kept, so the same document is refused again; documents beyond the
    /// bounds are admitted without being kept.
    #[test]
    fn refusals_long_documents_and_many_documents_stay_bounded() {
        let limits = QueryLimits {
            depth: 2,
            ..QueryLimits::default()
        };
        let admission = Admission::new(limits);
        let deep = "{ chain { tip { hash } } }";
        for _ in 0..2 {
            let refused = admitted(&admission, deep).unwrap_err();
            assert!(refused.contains("--max-depth"), "{refused}");
        }
        assert_eq!(admission.kept().len(), 0);

        let long = format!("{{ __typename {} }}", " ".repeat(LONGEST_KEPT));
        admitted(&admission, &long).unwrap();
        assert_eq!(admission.kept().len(), 0);

        for n in 0..MOST_KEPT.get() + 10 {
            admitted(&admission, &format!("{{ a{n}: __typename }}")).unwrap();
        }
        let kept = admission.kept();
        assert_eq!(kept.len(), MOST_KEPT.get());
        assert!(
            !kept.contains("{ a9: __typename }"),
            "the oldest left first"
        );
        assert!(kept.contains("{ a10: __typename }"));
        assert!(kept.contains(format!("{{ a{}: __typename }}", MOST_KEPT.get() + 9).as_str()));
    }
}
