//! A block's nonce search, started before the caller needs its result: the helpers search the
//! first nonces while the caller does what does not depend on the nonce (see `chain::Unsealed`),
//! then the caller joins them.

use crate::chain::BlockHeader;
use crate::chain::pow::{self, FirstSearch, SearchOutcome};
use crate::node::{Node, NodeError, NodeResult};

use super::search_helpers::search_helpers;

/// A nonce search under way (see [`Node::start_search`]).
pub(in crate::node) struct NonceSearch {
    header: BlockHeader,
    height: u64,
    threads: usize,
    /// The first nonces, handed to the helpers; `None` when someone watches mining, whose
    /// searches report their progress from the start.
    first: Option<FirstSearch>,
}

impl std::fmt::Debug for NonceSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceSearch")
            .field("header", &self.header)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl NonceSearch {
    /// The header searched for, its nonce aside.
    pub(in crate::node) fn header(&self) -> &BlockHeader {
        &self.header
    }
}

impl Node {
    /// Starts the search of a nonce for `header` (the block at `height`) on `threads` threads:
    /// the helpers on the other cores start on the first nonces now.
    pub(in crate::node) fn start_search(
        &self,
        header: &BlockHeader,
        height: u64,
        threads: usize,
    ) -> NonceSearch {
        let watched = self.mining_watched();
        NonceSearch {
            header: *header,
            height,
            threads,
            first: (!watched).then(|| pow::start_first(header, search_helpers(threads))),
        }
    }

    /// Searches a nonce for `header` (the block at `height`) on `threads` threads.
    pub(in crate::node) async fn search_nonce(
        &self,
        header: &BlockHeader,
        height: u64,
        threads: usize,
    ) -> NodeResult<BlockHeader> {
        let search = self.start_search(header, height, threads);
        self.finish_search(search).await
    }

    /// Joins `search` until a nonce is found: the header with it.
    pub(in crate::node) async fn finish_search(
        &self,
        search: NonceSearch,
    ) -> NodeResult<BlockHeader> {
        let NonceSearch {
            header,
            height,
            threads,
            first,
        } = search;
        // Unwatched, the first nonces are tried here too: most dev-chain blocks are found among
        // them sooner than a hand-off to the blocking pool and back would take.
        let from = match first.map(FirstSearch::finish) {
            Some(Some(found)) => return Ok(found),
            Some(None) => pow::FIRST_NONCES,
            None => 0,
        };
        let cancel = self.cancel.clone();
        let watched = self.search_started(&header, height);
        let progress = watched.as_ref().map(|(progress, _)| progress.clone());
        tokio::task::spawn_blocking(move || {
            pow::search_from(&header, from, threads, &cancel, progress.as_deref())
        })
        .await?
        .map_err(|outcome| match outcome {
            SearchOutcome::Cancelled => NodeError::ShuttingDown,
            SearchOutcome::Exhausted => NodeError::NonceSpaceExhausted,
        })
    }
}
