//! The maintenance commands: verify, reindex, demo, mine. Each opens the node, runs, and reports
//! on standard output; long replays show a progress bar.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{ChainConfig, Command, ServeConfig};
use crate::model::MiningMode;
use crate::node::{MAX_BLOCKS_PER_CALL, MiningChange, Node, NodeError, VerifyReport};

use crate::server::ServerError;
use crate::store::Store;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The node refused or failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The server could not start or failed.
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}

/// The database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens the store and node the configuration describes.
pub async fn open_node(config: &ChainConfig) -> Result<Arc<Node>, CliError> {
    let keystore = config.keystore()?;
    let store = Store::open(&config.database_url).await?;
    Ok(Arc::new(
        Node::open(store, config.node_config(), keystore).await?,
    ))
}

/// Runs one command.
pub async fn run(command: Command, config: &ChainConfig) -> Result<(), CliError> {
    if let Command::Schema = command {
        print!("{}", crate::graphql::sdl());
        return Ok(());
    }
    let node = open_node(config).await?;
    match command {
        Command::Schema => {}
        Command::Serve(serve) => {
            let server = serve.server_config();
            server.check_exposure()?;
            apply_mining_flags(&node, &serve).await?;
            let listener = tokio::net::TcpListener::bind(server.listen)
                .await
                .map_err(ServerError::Io)?;
            tracing::info!(
                "pocket serving on http://{} (test stand at /, GraphiQL at /graphiql, database {})",
                listener.local_addr().map_err(ServerError::Io)?,
                redact(&config.database_url)
            );
            crate::server::run(listener, node.clone(), server, shutdown_signal()).await?;
            tracing::info!("pocket stopped");
        }
        Command::Verify => {
            let bar = progress_bar();
            let report = node
                .verify_chain(&|done, total| show(&bar, done, total))
                .await;
            bar.finish_and_clear();
            println!("chain verified: {}", describe(&report?));
        }
        Command::Reindex => {
            let bar = progress_bar();
            let report = node.reindex(&|done, total| show(&bar, done, total)).await;
            bar.finish_and_clear();
            println!("chainstate rebuilt: {}", describe(&report?));
        }
        Command::Demo => {
            let wallets = node.reset_system().await?;
            for info in node.wallets(None, wallets.len() as u64).await? {
                println!("{} {}", info.wallet.address, info.balance);
            }
        }
        Command::Mine {
            address,
            blocks,
            tx_count,
        } => {
            let address = crate::node::parse_address("address", &address)?;
            let mut left = blocks;
            // The same path as `mineBlocks`, in calls of at most MAX_BLOCKS_PER_CALL blocks.
            while left != Some(0) {
                let batch = left.map_or(MAX_BLOCKS_PER_CALL.into(), |n| {
                    n.min(MAX_BLOCKS_PER_CALL.into())
                });
                node.mine_blocks(&address, batch as i64, Some(tx_count), |block| {
                    // Printed only after commit: a line on stdout is an acknowledged block.
                    println!("mined {} {}", block.height, block.hash);
                })
                .await?;
                left = left.map(|n| n - batch);
            }
        }
    }
    Ok(())
}

/// Stores the mining flags given at start (those not given keep their stored value); a mode that
/// cannot work (no miner address, no interval) stops the start with its typed error.
async fn apply_mining_flags(node: &Node, serve: &ServeConfig) -> Result<(), CliError> {
    if serve.mining.is_none() && serve.block_time.is_none() && serve.miner_address.is_none() {
        return Ok(());
    }
    let mode = match serve.mining.as_deref().and_then(MiningMode::parse) {
        Some(mode) => mode,
        None => node.mining().await?.settings.mode,
    };
    let address = serve
        .miner_address
        .as_deref()
        .map(|a| crate::node::parse_address("--miner-address", a))
        .transpose()?;
    let status = node
        .set_mining(MiningChange {
            mode,
            address,
            interval_seconds: serve.block_time,
            tx_count: None,
        })
        .await?;
    tracing::info!(mode = status.settings.mode.as_str(), "mining mode set");
    Ok(())
}

fn describe(report: &VerifyReport) -> String {
    format!(
        "{} blocks, {} transactions, {} unspent outputs worth {}",
        report.blocks, report.transactions, report.utxos, report.total_supply
    )
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} blocks {elapsed}") {
        bar.set_style(style);
    }
    bar
}

fn show(bar: &ProgressBar, done: u64, total: u64) {
    bar.set_length(total);
    bar.set_position(done);
}
