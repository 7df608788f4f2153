//! `pocket --fork-url URL [--fork-height N]`: a local copy of another node's chain to experiment
//! on, as Anvil's `--fork-url`. The source's chain archive (`GET /export`, blocks and parameters,
//! never keys) is fetched once, cut at the height asked for, and imported with every check an
//! import runs; the source is never followed afterwards, so local blocks stay local.

use std::time::Duration;

use clap::Args;

use super::archive::run_import;
use super::args::ServeArgs;
use super::{CliError, describe};
use crate::chain::archive::Archive;
use crate::node::{Keystore, Node};
use crate::store::Store;

/// Largest archive a fork fetches (held in memory whole, like an import's).
const MAX_FORK_BYTES: usize = 1 << 30;
/// How long the fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(600);

/// Where a fork comes from.
#[derive(Debug, Clone, Args)]
pub struct ForkArgs {
    /// Copy the chain of the node at URL (`http://host:port`) into a new chain here, then never
    /// follow it: local blocks stay local. A restart serves the copy already made.
    #[arg(long, env = "POCKET_FORK_URL")]
    pub fork_url: Option<String>,
    /// The height to copy up to [default: the source's tip].
    #[arg(long, env = "POCKET_FORK_HEIGHT", requires = "fork_url")]
    pub fork_height: Option<u64>,
}

/// Makes the fork when the chain here is new; returns whether it did. The chain takes the
/// source's parameters (premine included), so the account flags do not apply to a fork.
pub(super) async fn fork_if_new(args: &ServeArgs, keystore: &Keystore) -> Result<bool, CliError> {
    let Some(url) = &args.fork.fork_url else {
        return Ok(false);
    };
    let source = crate::net::normalize(url).map_err(|e| fork_error(url, e.to_string()))?;
    let store = Store::open(&args.node.store.url()).await?;
    if !Node::is_empty(&store).await? {
        tracing::info!("serving the fork made earlier; --fork-url copies only into a new chain");
        return Ok(false);
    }
    drop(store);
    let mut archive = fetch(&source).await?;
    let tip = archive.blocks.len().saturating_sub(1) as u64;
    if archive.blocks.is_empty() {
        return Err(fork_error(url, "its chain has no blocks".to_owned()));
    }
    if let Some(height) = args.fork.fork_height {
        if height > tip {
            return Err(fork_error(
                url,
                format!("its tip is at height {tip}, below {height}"),
            ));
        }
        archive.blocks.truncate(height as usize + 1);
    }
    let params = archive.params.to_params();
    let report = run_import(
        archive.encode(),
        false,
        &args.node.store,
        &args.node.params,
        params,
        keystore.clone(),
    )
    .await?;
    tracing::info!(
        "forked {source} at height {}: {}; this node never follows it",
        report.chain.blocks.saturating_sub(1),
        describe(&report.chain)
    );
    Ok(true)
}

/// `GET {source}/export`, refused past [`MAX_FORK_BYTES`] as it arrives.
async fn fetch(source: &str) -> Result<Archive, CliError> {
    let fail = |reason: String| fork_error(source, reason);
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut response = client
        .get(format!("{source}/export"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(e.to_string()))? {
        if bytes.len() + chunk.len() > MAX_FORK_BYTES {
            return Err(fail(format!(
                "its archive is larger than the {MAX_FORK_BYTES}-byte limit"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    tokio::task::spawn_blocking(move || Archive::decode(&bytes))
        .await
        .map_err(|e| fail(e.to_string()))?
        .map_err(|e| fail(e.to_string()))
}

fn fork_error(url: &str, reason: String) -> CliError {
    CliError::Fork {
        url: url.to_owned(),
        reason,
    }
}
