//! `pocket export` and `pocket import`. Export only reads. Import refuses what it cannot finish
//! before it creates anything (an archive with sealed wallets and no key to open them), takes the
//! archive's parameters for a new database, and removes the database it created if the import
//! is refused after all.

use std::path::{Path, PathBuf};

use super::args::{KeystoreArgs, ParamsArgs, StoreArgs};
use super::lock::Attempt;
use super::{CliError, describe, held, open_reader, output, progress_bar, show, take_lock};
use crate::chain::Params;
use crate::chain::archive::ArchiveHeader;
use crate::node::{ImportReport, Keystore, Node, NodeError, describe_params};
use crate::store::{Store, sqlite_path};

/// Largest archive `pocket import` reads (it is read whole into memory).
const MAX_ARCHIVE_BYTES: u64 = 2 << 30;

/// `pocket export`.
pub(super) async fn export(
    file: &Path,
    with_keystore: bool,
    store: &StoreArgs,
    key: &KeystoreArgs,
) -> Result<(), CliError> {
    let keystore = if with_keystore {
        key.existing(&store.data_dir)?
            .ok_or_else(|| CliError::ArchiveKeyMissing {
                path: key_file(store),
            })?
    } else {
        Keystore::ephemeral()
    };
    let node = open_reader(store, keystore).await?;
    let archive = node.export_chain(with_keystore).await?;
    let bytes = archive.encode();
    write_whole(file, &bytes).map_err(|source| CliError::File {
        path: file.to_owned(),
        source,
    })?;
    output::line(format_args!(
        "exported {} blocks and {} wallets to {} ({} bytes)",
        archive.blocks.len(),
        archive.wallets.as_ref().map_or(0, Vec::len),
        file.display(),
        bytes.len()
    ));
    Ok(())
}

/// `pocket import` (and `--dry-run`).
pub(super) async fn import(
    file: &Path,
    dry_run: bool,
    store: &StoreArgs,
    params: &ParamsArgs,
    key: &KeystoreArgs,
) -> Result<(), CliError> {
    let bytes = read_archive(file)?;
    let header = ArchiveHeader::peek(&bytes)?;
    let keystore = match key.existing(&store.data_dir)? {
        Some(keystore) => keystore,
        None if header.keystore => {
            return Err(CliError::ArchiveKeyMissing {
                path: key_file(store),
            });
        }
        None => Keystore::ephemeral(),
    };
    let created = Created::before(store);
    let _lock = match take_lock(store, "import")? {
        Some(Attempt::Held(holder)) => {
            return Err(held(store, holder, "stop it first, then import"));
        }
        lock => lock,
    };
    let archive_params = header.params.to_params();
    let outcome = run_import(bytes, dry_run, store, params, archive_params, keystore).await;
    let report = match outcome {
        Ok(report) => report,
        Err(err) => {
            created.remove();
            return Err(match err {
                CliError::Node(source @ NodeError::ArchiveKeystore { .. }) => {
                    CliError::ArchiveKeyWrong {
                        source,
                        path: key_file(store),
                    }
                }
                err => err,
            });
        }
    };
    if dry_run {
        created.remove();
        output::line(format_args!(
            "archive checked, nothing written: {}, and {} wallets; every check passed in {:.1} s \
             ({:.0} signatures/s)",
            describe(&report.chain),
            report.wallets,
            report.checked_in.as_secs_f64(),
            report.signatures as f64 / report.checked_in.as_secs_f64().max(1e-9)
        ));
        return Ok(());
    }
    let seconds = report.elapsed.as_secs_f64().max(1e-9);
    output::line(format_args!(
        "imported {}, and {} wallets, in {seconds:.1} s ({:.0} blocks/s, {:.0} signatures/s; \
         every check passed after {:.1} s)",
        describe(&report.chain),
        report.wallets,
        report.chain.blocks as f64 / seconds,
        report.signatures as f64 / seconds,
        report.checked_in.as_secs_f64()
    ));
    Ok(())
}

/// Opens the database (a new one takes the archive's parameters) and imports or checks.
pub(super) async fn run_import(
    bytes: Vec<u8>,
    dry_run: bool,
    store: &StoreArgs,
    params: &ParamsArgs,
    archive_params: Params,
    keystore: Keystore,
) -> Result<ImportReport, CliError> {
    let db = Store::open(&store.url()).await?;
    let chain = Node::chain_params(&db, &Params::default()).await?;
    let (requested, _) = params.resolve(Some(chain.unwrap_or(archive_params.clone())))?;
    if requested != archive_params {
        // Refused before the node opens: opening records a new chain's parameters.
        return Err(CliError::Node(NodeError::ArchiveParams {
            theirs: describe_params(&archive_params),
            ours: describe_params(&requested),
        }));
    }
    let config = crate::node::NodeConfig {
        params: requested,
        ..Default::default()
    };
    let node = Node::open(db, config, keystore).await?;
    let bar =
        progress_bar("{bar:40} {percent}% checked (ordered rules, then signatures) {elapsed}");
    let shown = bar.clone();
    let progress = move |done, total| show(&shown, done, total);
    let report = if dry_run {
        node.check_archive(bytes, progress).await
    } else {
        node.import_chain(bytes, progress).await
    };
    bar.finish_and_clear();
    Ok(report?)
}

/// The SQLite files and directory an import would create, noted before it runs, so a refused
/// import (or a dry run) leaves nothing behind.
struct Created {
    files: Vec<PathBuf>,
    dir: Option<PathBuf>,
}

impl Created {
    fn before(store: &StoreArgs) -> Self {
        let Some(database) = sqlite_path(&store.url()) else {
            return Self {
                files: Vec::new(),
                dir: None,
            };
        };
        let dir = database
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf);
        let files = if database.exists() {
            Vec::new()
        } else {
            ["", "-wal", "-shm", ".lock"]
                .iter()
                .map(|suffix| {
                    let mut path = database.as_os_str().to_owned();
                    path.push(suffix);
                    PathBuf::from(path)
                })
                .collect()
        };
        Self { files, dir }
    }

    fn remove(&self) {
        for file in &self.files {
            let _ = std::fs::remove_file(file);
        }
        if let Some(dir) = &self.dir {
            // Only if empty: nothing of anyone else's goes.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

fn key_file(store: &StoreArgs) -> String {
    store.data_dir.join("keystore.key").display().to_string()
}

/// Reads an archive file, refusing one larger than [`MAX_ARCHIVE_BYTES`] before reading it.
fn read_archive(path: &Path) -> Result<Vec<u8>, CliError> {
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
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
}
