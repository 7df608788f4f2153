//! Commands that look after a chain: `status`, `verify`, `reindex` and `demo`.

use serde_json::json;

use super::args::{DemoTarget, KeystoreArgs, NodeArgs, RemoteArgs, StoreArgs};
use super::lock::{self, Attempt};
use super::remote::Remote;
use super::{
    Accounts, CliError, confirm, describe, held, new_chain_line, open_reader, open_writer, output,
    progress_bar, show, take_lock,
};
use crate::node::{Keystore, ResetTarget, describe_params};
use crate::store::ReadConfig;
use crate::store::{redact, sqlite_path};

const BLOCKS_BAR: &str = "{bar:40} {pos}/{len} blocks {elapsed}";

/// `pocket status`: which database, which chain (parameters, height, tip), and who holds it.
pub(super) async fn status(store: &StoreArgs) -> Result<(), CliError> {
    let url = store.url();
    let node = open_reader(store, Keystore::ephemeral()).await?;
    let info = node.chain_info().await?;
    output::line(format_args!("database   {}", redact(&url)));
    output::line(format_args!(
        "chain      {} (stored with the chain)",
        describe_params(&node.params())
    ));
    match (info.height, info.tip_hash) {
        (Some(height), Some(tip)) => {
            output::line(format_args!("height     {height} (tip {tip})"));
        }
        _ => output::line(format_args!("height     none: no blocks yet")),
    }
    output::line(format_args!("pool       {} pending", info.pool_size));
    let holder = match sqlite_path(&url) {
        Some(database) => {
            let path = lock::path_for(&database);
            match lock::holder(&path).map_err(|source| CliError::File { path, source })? {
                Some(holder) => holder.to_string(),
                None => "no process".to_owned(),
            }
        }
        None => {
            let others = node.attached().await?;
            if others.is_empty() {
                "no other process (PostgreSQL: replicas may attach)".to_owned()
            } else {
                format!("shared by {} (PostgreSQL replicas)", others.join(", "))
            }
        }
    };
    output::line(format_args!("held by    {holder}"));
    Ok(())
}

/// `pocket verify`.
pub(super) async fn verify(store: &StoreArgs) -> Result<(), CliError> {
    let node = open_reader(store, Keystore::ephemeral()).await?;
    let bar = progress_bar(BLOCKS_BAR);
    let report = node
        .verify_chain(&|done, total| show(&bar, done, total))
        .await;
    bar.finish_and_clear();
    output::line(format_args!("chain verified: {}", describe(&report?)));
    Ok(())
}

/// `pocket reindex`: rewrites the chainstate, so it needs the database to itself.
pub(super) async fn reindex(store: &StoreArgs) -> Result<(), CliError> {
    // Opened first, so that a missing database is refused before a lock file is created.
    let node = open_reader(store, Keystore::ephemeral()).await?;
    let _lock = match take_lock(store, "reindex")? {
        Some(Attempt::Held(holder)) => {
            return Err(held(store, holder, "stop it first, then reindex"));
        }
        lock => lock,
    };
    let bar = progress_bar(BLOCKS_BAR);
    let report = node.reindex(&|done, total| show(&bar, done, total)).await;
    bar.finish_and_clear();
    output::line(format_args!("chainstate rebuilt: {}", describe(&report?)));
    Ok(())
}

/// `pocket demo`: deletes the chain (after asking) and starts again as `to` says (by default
/// the training scenario), here or by the server that holds the database.
pub(super) async fn demo(
    yes: bool,
    to: DemoTarget,
    args: &NodeArgs,
    key: &KeystoreArgs,
    remote: &RemoteArgs,
) -> Result<(), CliError> {
    let database = redact(&args.store.url());
    let _lock = match take_lock(&args.store, "demo")? {
        Some(Attempt::Held(Some(holder))) if holder.url.is_some() => {
            let url = holder.url.as_deref().unwrap_or_default();
            let remote = Remote::new(url, remote.api_token.clone());
            let blocks = remote.block_count().await?;
            let served = format!("{database} (served by {holder})");
            confirm::delete_blocks("pocket demo", blocks, &served, yes)?;
            let data = remote
                .call(
                    "mutation($to: ResetTarget!) { resetSystem(to: $to) { address balance } }",
                    json!({ "to": reset_name(to) }),
                )
                .await?;
            for wallet in data["resetSystem"].as_array().into_iter().flatten() {
                output::line(format_args!(
                    "{} {}",
                    wallet["address"].as_str().unwrap_or_default(),
                    wallet["balance"].as_u64().unwrap_or_default()
                ));
            }
            return Ok(());
        }
        Some(Attempt::Held(holder)) => {
            return Err(held(&args.store, holder, "try again when it has finished"));
        }
        lock => lock,
    };
    let keystore = key.load_or_create(&args.store.data_dir)?;
    let opened = open_writer(
        args,
        keystore,
        Accounts::Skip,
        &ReadConfig::default(),
        false,
    )
    .await?;
    let node = opened.node;
    let blocks = node.chain_info().await?.height.map_or(0, |h| h + 1);
    confirm::delete_blocks("pocket demo", blocks, &database, yes)?;
    if opened.new_chain {
        eprintln!("pocket: {}", new_chain_line(&args.store, &node.params()));
    }
    let target = match to {
        DemoTarget::Empty => ResetTarget::Empty,
        DemoTarget::Accounts => ResetTarget::Accounts,
        DemoTarget::Training => ResetTarget::Training,
    };
    let wallets = node.reset_system(target).await?;
    for info in node.wallets(None, wallets.len() as u64).await? {
        output::line(format_args!("{} {}", info.wallet.address, info.balance));
    }
    Ok(())
}

/// The GraphQL name of a reset target.
fn reset_name(to: DemoTarget) -> &'static str {
    match to {
        DemoTarget::Empty => "EMPTY",
        DemoTarget::Accounts => "ACCOUNTS",
        DemoTarget::Training => "TRAINING",
    }
}
