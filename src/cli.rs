//! The commands: serve, verify, reindex, demo, mine, export, import open the node, run, and
//! report on standard output (long replays show a progress bar); schema, key and sign need no
//! database.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{ChainConfig, Command, KeyCommand, ServeConfig};
use crate::model::MiningMode;
use crate::node::{MAX_BLOCKS_PER_CALL, MiningChange, Node, NodeError, VerifyReport};
use crate::offline;

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
    /// An offline key or signing command failed.
    #[error(transparent)]
    Offline(#[from] offline::OfflineError),
    /// The server could not start or failed.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
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
    match &command {
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            return Ok(());
        }
        Command::Key(KeyCommand::New { out }) => return Ok(offline::new_key(out.as_deref())?),
        Command::Key(KeyCommand::Address { file }) => return Ok(offline::key_address(file)?),
        Command::Sign { key, request } => return Ok(offline::sign(key, request.as_deref())?),
        _ => {}
    }
    let node = open_node(config).await?;
    match command {
        Command::Schema | Command::Key(_) | Command::Sign { .. } => {}
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
            crate::stdout::line(format_args!("chain verified: {}", describe(&report?)));
        }
        Command::Reindex => {
            let bar = progress_bar();
            let report = node.reindex(&|done, total| show(&bar, done, total)).await;
            bar.finish_and_clear();
            crate::stdout::line(format_args!("chainstate rebuilt: {}", describe(&report?)));
        }
        Command::Demo => {
            let wallets = node.reset_system().await?;
            for info in node.wallets(None, wallets.len() as u64).await? {
                crate::stdout::line(format_args!("{} {}", info.wallet.address, info.balance));
            }
        }
        Command::Export { file, keystore } => {
            let archive = node.export_chain(keystore).await?;
            let bytes = archive.encode();
            write_whole(&file, &bytes).map_err(|source| CliError::File {
                path: file.clone(),
                source,
            })?;
            crate::stdout::line(format_args!(
                "exported {} blocks and {} wallets to {} ({} bytes)",
                archive.blocks.len(),
                archive.wallets.as_ref().map_or(0, Vec::len),
                file.display(),
                bytes.len()
            ));
        }
        Command::Import { file, dry_run } => {
            let bytes = read_archive(&file)?;
            let bar = progress_bar();
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {percent}% checked (ordered rules, then signatures) {elapsed}",
            ) {
                bar.set_style(style);
            }
            let shown = bar.clone();
            let progress = move |done, total| show(&shown, done, total);
            let report = if dry_run {
                node.check_archive(bytes, progress).await
            } else {
                node.import_chain(bytes, progress).await
            };
            bar.finish_and_clear();
            let report = report?;
            if dry_run {
                crate::stdout::line(format_args!(
                    "archive checked, nothing written: {}, and {} wallets; every check passed in \
                     {:.1} s ({:.0} signatures/s)",
                    describe(&report.chain),
                    report.wallets,
                    report.checked_in.as_secs_f64(),
                    report.signatures as f64 / report.checked_in.as_secs_f64().max(1e-9)
                ));
                return Ok(());
            }
            let seconds = report.elapsed.as_secs_f64().max(1e-9);
            crate::stdout::line(format_args!(
                "imported {}, and {} wallets, in {seconds:.1} s ({:.0} blocks/s, {:.0} \
                 signatures/s; every check passed after {:.1} s)",
                describe(&report.chain),
                report.wallets,
                report.chain.blocks as f64 / seconds,
                report.signatures as f64 / seconds,
                report.checked_in.as_secs_f64()
            ));
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
                    crate::stdout::line(format_args!("mined {} {}", block.height, block.hash));
                })
                .await?;
                left = left.map(|n| n - batch);
            }
        }
    }
    Ok(())
}

/// Largest archive `pocket import` reads (it is read whole into memory).
const MAX_ARCHIVE_BYTES: u64 = 2 << 30;

/// Reads an archive file, refusing one larger than [`MAX_ARCHIVE_BYTES`] before reading it.
fn read_archive(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    let file_error = |source| CliError::File {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(file_error)?.len();
    if size > MAX_ARCHIVE_BYTES {
        return Err(file_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{size} bytes is larger than the {MAX_ARCHIVE_BYTES}-byte limit"),
        )));
    }
    std::fs::read(path).map_err(file_error)
}

/// Writes `bytes` to a file beside `path`, syncs it, then renames it over `path`: a reader sees
/// the old file or the whole new one.
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
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
