//! The maintenance commands: verify, reindex, demo, mine. Each opens the node, runs, and reports
//! on standard output; long replays show a progress bar.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{ChainConfig, Command};
use crate::node::{Node, NodeError, VerifyReport};

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
}

/// Opens the store and node the configuration describes.
pub async fn open_node(config: &ChainConfig) -> Result<Arc<Node>, CliError> {
    let keystore = config.keystore()?;
    let store = Store::open(&config.database_url).await?;
    Ok(Arc::new(
        Node::open(store, config.node_config(), keystore).await?,
    ))
}

/// Runs one maintenance command.
pub async fn run(command: Command, config: &ChainConfig) -> Result<(), CliError> {
    let node = open_node(config).await?;
    match command {
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
            let mut mined = 0u64;
            while blocks.is_none_or(|n| mined < n) {
                let block = node.mine_block(&address, Some(tx_count)).await?;
                // Printed only after commit: a line on stdout is an acknowledged block.
                println!("mined {} {}", block.height, block.hash);
                mined += 1;
            }
        }
    }
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
