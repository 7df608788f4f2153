//! `pocket mine`: blocks to an address, each printed once committed. With the database free it
//! mines here; when a server holds it, the server mines them (`mineBlocks` through its API), so
//! that its subscribers, its test stand and its peers hear of every block.

use serde_json::{Value, json};

use super::args::{KeystoreArgs, NodeArgs, RemoteArgs};
use super::lock::Attempt;
use super::remote::Remote;
use super::{Accounts, CliError, held, new_chain_line, open_writer, take_lock};
use crate::chain::Params;
use crate::node::{MAX_BLOCKS_PER_CALL, NodeError, describe_params};
use crate::store::ReadConfig;
use crate::store::redact;

/// Blocks asked of a server per request when mining until stopped, so lines keep coming.
const REMOTE_BATCH: u64 = 10;

/// Mines `blocks` blocks (until stopped when `None`) to `address`.
pub(super) async fn mine(
    address: &str,
    blocks: Option<u64>,
    tx_count: i64,
    args: &NodeArgs,
    key: &KeystoreArgs,
    remote: &RemoteArgs,
) -> Result<(), CliError> {
    let _lock = match take_lock(&args.store, "mine")? {
        Some(Attempt::Held(Some(holder))) if holder.url.is_some() => {
            let url = holder.url.as_deref().unwrap_or_default();
            eprintln!(
                "pocket: {} is held by {holder}; its server mines the blocks",
                redact(&args.store.url())
            );
            let remote = Remote::new(url, remote.api_token.clone());
            return mine_remote(&remote, address, blocks, tx_count, args).await;
        }
        Some(Attempt::Held(holder)) => {
            return Err(held(&args.store, holder, "try again when it has finished"));
        }
        lock => lock,
    };
    let address = crate::node::parse_address("address", address)?;
    let keystore = key.load_or_create(&args.store.data_dir)?;
    let opened = open_writer(
        args,
        keystore,
        Accounts::Start,
        &ReadConfig::default(),
        false,
    )
    .await?;
    if opened.new_chain {
        eprintln!(
            "pocket: {}",
            new_chain_line(&args.store, &opened.node.params())
        );
    }
    let mut left = blocks;
    // The same path as `mineBlocks`, in calls of at most MAX_BLOCKS_PER_CALL blocks.
    while left != Some(0) {
        let batch = left.map_or(MAX_BLOCKS_PER_CALL.into(), |n| {
            n.min(MAX_BLOCKS_PER_CALL.into())
        });
        opened
            .node
            .mine_blocks(&address, batch as i64, Some(tx_count), |block| {
                // Printed only after commit: a line on stdout is an acknowledged block.
                super::output::line(format_args!("mined {} {}", block.height, block.hash));
            })
            .await?;
        left = left.map(|n| n - batch);
    }
    Ok(())
}

/// The same through the server's API: each line printed once the server answered, so each
/// printed block is committed there.
async fn mine_remote(
    remote: &Remote,
    address: &str,
    blocks: Option<u64>,
    tx_count: i64,
    args: &NodeArgs,
) -> Result<(), CliError> {
    check_remote_params(remote, args).await?;
    let mut left = blocks;
    while left != Some(0) {
        let batch = left.map_or(REMOTE_BATCH, |n| n.min(MAX_BLOCKS_PER_CALL.into()));
        let data = remote
            .call(
                "mutation Mine($address: String!, $count: Int!, $txCount: Int!) { \
                 mineBlocks(address: $address, count: $count, txCount: $txCount) { height hash } }",
                json!({ "address": address, "count": batch, "txCount": tx_count }),
            )
            .await?;
        for block in data["mineBlocks"].as_array().into_iter().flatten() {
            super::output::line(format_args!(
                "mined {} {}",
                block["height"],
                block["hash"].as_str().unwrap_or_default()
            ));
        }
        left = left.map(|n| n - batch);
    }
    Ok(())
}

/// `--difficulty` and `--reward`, when given, must be the served chain's.
async fn check_remote_params(remote: &Remote, args: &NodeArgs) -> Result<(), CliError> {
    if args.params.difficulty.is_none() && args.params.reward.is_none() {
        return Ok(());
    }
    let data = remote
        .call("{ chain { difficultyBits reward } }", json!({}))
        .await?;
    let number = |field: &str| {
        data.pointer(&format!("/chain/{field}"))
            .and_then(Value::as_u64)
    };
    let chain = Params {
        difficulty_bits: number("difficultyBits").map_or(0, |d| d as u32),
        block_reward: number("reward").unwrap_or_default(),
        ..Params::default()
    };
    // The server's premine is not compared here: only the flags this check reads.
    let (requested, _) = args.params.resolve(Some(chain.clone()))?;
    let requested = Params {
        premine: chain.premine.clone(),
        ..requested
    };
    if requested == chain {
        return Ok(());
    }
    Err(CliError::ParamsMismatch {
        source: NodeError::ParamsMismatch {
            chain: format!("{} (served at {})", describe_params(&chain), remote.url()),
            requested: describe_params(&requested),
        },
    })
}
