//! Subscriptions that answer with the state itself, read again after each announcement that
//! may have changed it.

use std::sync::Arc;

use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::error::ApiResult;
use crate::node::{Node, NodeError, NodeEvent};

/// A stream that reads `read` again each time an announcement it `wants` arrives (or the feed
/// lagged, and may have missed one): the state itself, not the event, so a late or lagging
/// subscriber still gets the truth.
pub fn read_again_on<T>(
    node: Arc<Node>,
    wants: fn(&NodeEvent) -> bool,
    read: impl AsyncFn(&Node) -> Result<T, NodeError> + Send + Sync + Copy + 'static,
) -> impl Stream<Item = async_graphql::Result<T>> {
    let events = node.subscribe();
    futures::stream::unfold((node, events), move |(node, mut events)| async move {
        loop {
            match events.recv().await {
                Ok(event) if wants(&event) => break,
                Err(RecvError::Lagged(_)) => break,
                Ok(_) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
        let answer = read(&node).await.api();
        Some((answer, (node, events)))
    })
}
