//! The command line: arguments (`args`), the commands, and what they print (`output`). `serve`
//! runs the server; `status`, `verify`, `reindex`, `demo`, `mine`, `export` and `import` open the
//! node, run and report on standard output (long replays show a progress bar); `schema`, `key`
//! and `sign` need no database (`offline`).
//!
//! Commands that only read never create a database or a key file. Commands that delete blocks ask
//! first. On SQLite one process writes a database at a time (`lock`); a write asked of a
//! database that a server holds is sent to that server (`remote`).

mod accounts;
mod archive;
pub mod args;
mod confirm;
mod fork;
pub mod lock;
mod maintain;
mod mine;
mod node_args;
pub mod offline;
pub mod output;
mod remote;
mod serve;
mod serve_args;

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use self::args::{Command, KeyCommand, NodeArgs, StoreArgs};
use self::lock::{Attempt, Holder};
use crate::chain::Params;
use crate::chain::archive::ArchiveError;
use crate::node::{Keystore, Node, NodeConfig, NodeError, VerifyReport};
use crate::server::ServerError;
use crate::store::{ReadConfig, Store, redact, sqlite_path};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] args::ConfigError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The node refused or failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The chain runs with other parameters than the flags ask for.
    #[error(
        "{source}. Start without --difficulty, --reward and the account flags (--accounts, \
         --account-balance, --seed-phrase, or their POCKET_* variables) to run it with its own, \
         or start a new chain with another --data-dir or --database-url"
    )]
    ParamsMismatch {
        /// The node's refusal, naming both.
        source: NodeError,
    },
    /// An offline key or signing command failed.
    #[error(transparent)]
    Offline(#[from] offline::OfflineError),
    /// The server could not start or failed.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The server holding the database did not do what was asked.
    #[error(transparent)]
    Remote(#[from] remote::RemoteError),
    /// Blocks would be deleted and that was not confirmed.
    #[error(transparent)]
    NotConfirmed(#[from] confirm::NotConfirmed),
    /// The file is not a chain archive.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// `--fork-url` could not copy the source's chain.
    #[error("--fork-url {url}: {reason}")]
    Fork {
        /// The source node.
        url: String,
        /// Why.
        reason: String,
    },
    /// Another process holds the SQLite database.
    #[error("{database} is held by {holder}: {advice}")]
    Held {
        /// The database.
        database: String,
        /// Who holds it.
        holder: String,
        /// What to do.
        advice: &'static str,
    },
    /// The archive's wallets are sealed and no keystore key was given.
    #[error(
        "the archive holds wallets sealed by the exporting node's keystore key, and there is no \
         key here ({path} does not exist): pass that node's key with --keystore-key HEX \
         (POCKET_KEYSTORE_KEY), or copy its keystore.key to {path}; nothing was created"
    )]
    ArchiveKeyMissing {
        /// Where a key file would be.
        path: String,
    },
    /// The archive's wallets do not open with the key given.
    #[error(
        "{source}. Pass the exporting node's key with --keystore-key HEX (POCKET_KEYSTORE_KEY), \
         or copy its keystore.key to {path}; nothing was created"
    )]
    ArchiveKeyWrong {
        /// The node's refusal.
        source: NodeError,
        /// Where a key file would be.
        path: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Runs one command.
pub async fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Schema => output::line(format_args!("{}", crate::graphql::sdl().trim_end())),
        Command::Key(KeyCommand::New { out }) => offline::new_key(out.as_deref())?,
        Command::Key(KeyCommand::Address { file }) => offline::key_address(&file)?,
        Command::Key(KeyCommand::Derive { index, seed_phrase }) => {
            offline::derive_key(index, seed_phrase.as_deref())?
        }
        Command::Sign { key, request } => offline::sign(&key, request.as_deref())?,
        Command::Serve(serve) => serve::serve(*serve).await?,
        Command::Status { store } => maintain::status(&store).await?,
        Command::Verify { store } => maintain::verify(&store).await?,
        Command::Reindex { store } => maintain::reindex(&store).await?,
        Command::Demo {
            yes,
            to,
            node,
            key,
            remote,
        } => maintain::demo(yes, to, &node, &key, &remote).await?,
        Command::Export {
            file,
            keystore,
            store,
            key,
        } => archive::export(&file, keystore, &store, &key).await?,
        Command::Import {
            file,
            dry_run,
            store,
            params,
            key,
        } => archive::import(&file, dry_run, &store, &params, &key).await?,
        Command::Mine {
            address,
            blocks,
            tx_count,
            node,
            key,
            remote,
        } => mine::mine(&address, blocks, tx_count, &node, &key, &remote).await?,
    }
    Ok(())
}

/// Opens the node of a command that only reads: never creates a database or a key file, and
/// runs the chain with its own parameters.
async fn open_reader(store: &StoreArgs, keystore: Keystore) -> Result<Arc<Node>, CliError> {
    let store = Store::open_existing(&store.url()).await?;
    let defaults = Params::default();
    let params = Node::chain_params(&store, &defaults)
        .await?
        .unwrap_or(defaults);
    let config = NodeConfig {
        params,
        ..NodeConfig::default()
    };
    Ok(Arc::new(Node::open(store, config, keystore).await?))
}

/// Whether a command that opens a new chain starts its dev accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accounts {
    /// Their wallets and premined genesis are created.
    Start,
    /// Not now: the command resets the chain.
    Skip,
}

/// A node opened to write, and whether its chain is new (no blocks yet).
struct Opened {
    node: Arc<Node>,
    new_chain: bool,
}

/// Opens the node of a command that writes, creating the database when missing. The chain's
/// own parameters apply; a flag that differs from them is refused before anything is written.
/// A new chain with dev accounts gets their genesis, unless `accounts` is [`Accounts::Skip`]
/// (a command that resets the chain anyway). Reads may go to the hot standbys of `reads`.
async fn open_writer(
    args: &NodeArgs,
    keystore: Keystore,
    accounts: Accounts,
    reads: &ReadConfig,
    sole_writer: bool,
) -> Result<Opened, CliError> {
    // A new SQLite file's accounts are derived on another core while its store opens.
    let derived = (accounts == Accounts::Start
        && sqlite_path(&args.store.url()).is_some_and(|path| !path.exists()))
    .then(|| {
        let flags = args.params.clone();
        tokio::task::spawn_blocking(move || flags.new_chain_accounts())
    });
    let store = Store::open(&args.store.url())
        .await?
        .with_standbys(reads)
        .await?;
    let chain = Node::chain_params(&store, &Params::default()).await?;
    let new_chain = Node::is_empty(&store).await?;
    let derived = match derived {
        Some(task) => task.await.ok(),
        None => None,
    };
    let (params, dev_accounts) = args.params.resolve_with(chain, || {
        derived.unwrap_or_else(|| args.params.new_chain_accounts())
    })?;
    let dev_accounts = dev_accounts.filter(|_| accounts == Accounts::Start);
    let config = NodeConfig {
        sole_writer,
        ..args.node_config(params, dev_accounts)
    };
    let node = Node::open(store, config, keystore)
        .await
        .map_err(|source| match source {
            NodeError::ParamsMismatch { .. } => CliError::ParamsMismatch { source },
            source => CliError::Node(source),
        })?;
    Ok(Opened {
        node: Arc::new(node),
        new_chain,
    })
}

/// The first line of a command that starts a chain.
fn new_chain_line(store: &StoreArgs, params: &Params) -> String {
    format!(
        "a new chain in {} ({}; stored with the chain)",
        redact(&store.url()),
        crate::node::describe_params(params)
    )
}

/// For a SQLite database, tries to take its lock for `command`; `None` on PostgreSQL, where
/// writers take turns inside the database and every process relays every change.
fn take_lock(store: &StoreArgs, command: &str) -> Result<Option<Attempt>, CliError> {
    let Some(database) = sqlite_path(&store.url()) else {
        return Ok(None);
    };
    let path = lock::path_for(&database);
    lock::try_take(&path, &Holder::this(command))
        .map(Some)
        .map_err(|source| CliError::File { path, source })
}

/// The refusal for a database that another process holds.
fn held(store: &StoreArgs, holder: Option<Holder>, advice: &'static str) -> CliError {
    CliError::Held {
        database: redact(&store.url()),
        holder: holder.map_or_else(|| "another pocket process".to_owned(), |h| h.to_string()),
        advice,
    }
}

fn describe(report: &VerifyReport) -> String {
    format!(
        "{} blocks, {} transactions, {} unspent outputs worth {}",
        report.blocks, report.transactions, report.utxos, report.total_supply
    )
}

fn progress_bar(template: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

fn show(bar: &ProgressBar, done: u64, total: u64) {
    bar.set_length(total);
    bar.set_position(done);
}
