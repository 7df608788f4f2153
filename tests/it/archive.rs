//! Export and import through the `pocket` binary: a round trip reproduces the chain's tables
//! exactly, `GET /export` serves the same bytes, and every damaged or foreign archive is refused
//! with its reason, writing nothing.

use std::path::Path;
use std::process::{Command, Output};

use pocket_chain::chain::Witness;
use pocket_chain::chain::archive::Archive;
use serde_json::json;

use crate::app::spawn_app;
use pocket_testkit::{Backend, PoolRows, TestDb, dump_tables, on_both_backends};

on_both_backends!(
    export_then_import_reproduces_the_chain,
    damaged_or_foreign_archives_are_refused,
);

/// Runs `pocket ARGS --database-url URL`, with the tests' keystore key (unless `key` overrides)
/// for the commands that take one.
fn pocket(args: &[&str], url: &str, key: Option<&str>) -> Output {
    let key = key.map_or_else(|| "07".repeat(32), str::to_owned);
    let mut command = Command::new(env!("CARGO_BIN_EXE_pocket"));
    command.env("POCKET_ACCOUNTS", "0");
    command.args(args).args(["--database-url", url]);
    if matches!(args.first(), Some(&("export" | "import"))) {
        command.args(["--keystore-key", &key]);
    }
    command
        .env("POCKET_LOG", "warn")
        .output()
        .expect("pocket runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn chain_tables(url: &str) -> String {
    let store = pocket_chain::store::Store::open(url).await.unwrap();
    dump_tables(store.db(), PoolRows::None).await
}

async fn export_then_import_reproduces_the_chain(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    app.data(
        "mutation($a: String!) { mineBlocks(address: $a, count: 20) { height } }",
        json!({ "a": a[3] }),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chain.pchain");
    let file = file.to_str().unwrap();
    let out = pocket(&["export", file, "--keystore"], &app.db.url, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("exported 30 blocks and 8 wallets"),
        "{}",
        text(&out.stdout)
    );

    // A dry run checks everything and writes nothing, even into a database that holds a chain.
    let before = chain_tables(&app.db.url).await;
    let out = pocket(&["import", file, "--dry-run"], &app.db.url, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("nothing written: 30 blocks"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(chain_tables(&app.db.url).await, before);

    let target = TestDb::new(backend).await;
    let out = pocket(&["import", file], &target.url, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("imported 30 blocks"),
        "{}",
        text(&out.stdout)
    );
    // Blocks, tip, chainstate, keystore (sealed keys and creation times), index and undo data.
    assert_eq!(
        chain_tables(&target.url).await,
        chain_tables(&app.db.url).await
    );
    let out = pocket(&["verify"], &target.url, None);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The download is the same archive without the keystore.
    let served = app
        .http
        .get(format!("{}/export", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert!(
        served.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("pocket-chain-29.pchain")
    );
    let downloaded = served.bytes().await.unwrap();
    let bare = dir.path().join("bare.pchain");
    let out = pocket(&["export", bare.to_str().unwrap()], &app.db.url, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        downloaded.as_ref(),
        std::fs::read(&bare).unwrap().as_slice()
    );
    let decoded = Archive::decode(&downloaded).unwrap();
    assert_eq!(decoded.blocks.len(), 30);
    assert!(decoded.wallets.is_none());
}

/// How an import is run: with another keystore key, or extra flags.
#[derive(Default)]
struct Run<'a> {
    key: Option<&'a str>,
    flags: &'a [&'a str],
}

/// Writes `bytes` to a file in `dir`, imports it into a fresh database, and checks that the
/// import failed naming `reason` and wrote nothing.
async fn refused(backend: Backend, dir: &Path, bytes: &[u8], run: Run<'_>, reason: &str) {
    let file = dir.join("bad.pchain");
    std::fs::write(&file, bytes).unwrap();
    let target = TestDb::new(backend).await;
    let mut args = vec!["import", file.to_str().unwrap()];
    args.extend_from_slice(run.flags);
    let out = pocket(&args, &target.url, run.key);
    assert!(!out.status.success(), "imported: {}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(reason), "expected {reason:?} in {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let empty = chain_tables(&target.url).await;
    assert_eq!(empty, "[]\n".repeat(9), "nothing is written");
}

async fn damaged_or_foreign_archives_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.reset().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chain.pchain");
    let out = pocket(
        &["export", file.to_str().unwrap(), "--keystore"],
        &app.db.url,
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let good = std::fs::read(&file).unwrap();
    let archive = Archive::decode(&good).unwrap();
    let dir = dir.path();
    a_block_breaking_a_rule_is_named(backend, dir, &archive).await;
    the_lowest_forged_signature_is_named(backend, dir, &archive, &app.db.url).await;
    damaged_files_are_refused(backend, dir, &good).await;
    foreign_archives_are_refused(backend, dir, &good).await;
    // A database that already holds a chain.
    let out = pocket(&["import", file.to_str().unwrap()], &app.db.url, None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("needs an empty database"),
        "{}",
        text(&out.stderr)
    );
}

/// A block that breaks a rule, in an archive whose checksum is right: validation names it.
async fn a_block_breaking_a_rule_is_named(backend: Backend, dir: &Path, archive: &Archive) {
    let mut tampered = archive.clone();
    tampered.blocks[5].transactions[1].outputs[0].value += 1;
    refused(
        backend,
        dir,
        &tampered.encode(),
        Run::default(),
        "block at height 5 is invalid: merkle root",
    )
    .await;
    let mut unworked = archive.clone();
    unworked.blocks[7].header.nonce ^= 1;
    refused(
        backend,
        dir,
        &unworked.encode(),
        Run::default(),
        "block at height 7 is invalid: block hash has",
    )
    .await;
}

/// A forged signature leaves the txid and merkle root as they were: only the signature check
/// catches it, and the lowest height wins, before or after other rules of later blocks. `url` is
/// a database with a chain, for a dry run.
async fn the_lowest_forged_signature_is_named(
    backend: Backend,
    dir: &Path,
    archive: &Archive,
    url: &str,
) {
    let forge = |archive: &mut Archive, height: usize| {
        let Witness::Signed { signature, .. } =
            &mut archive.blocks[height].transactions[1].inputs[0].witness
        else {
            panic!("block {height}'s second transaction is signed");
        };
        signature[40] ^= 1;
    };
    let mut forged = archive.clone();
    forge(&mut forged, 6);
    refused(
        backend,
        dir,
        &forged.encode(),
        Run::default(),
        "block at height 6 is invalid: transaction 1",
    )
    .await;
    let mut forged_then_broken = archive.clone();
    forge(&mut forged_then_broken, 6);
    forged_then_broken.blocks[8].transactions[1].outputs[0].value += 1;
    refused(
        backend,
        dir,
        &forged_then_broken.encode(),
        Run::default(),
        "block at height 6 is invalid: transaction 1",
    )
    .await;
    let mut broken_then_forged = archive.clone();
    broken_then_forged.blocks[6].transactions[1].outputs[0].value += 1;
    forge(&mut broken_then_forged, 8);
    refused(
        backend,
        dir,
        &broken_then_forged.encode(),
        Run::default(),
        "block at height 6 is invalid: merkle root",
    )
    .await;
    let forged_file = dir.join("forged.pchain");
    std::fs::write(&forged_file, forged.encode()).unwrap();
    let out = pocket(
        &["import", forged_file.to_str().unwrap(), "--dry-run"],
        url,
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("block at height 6 is invalid"),
        "{}",
        text(&out.stderr)
    );
    let mut relinked = archive.clone();
    relinked.blocks.swap(3, 4);
    refused(
        backend,
        dir,
        &relinked.encode(),
        Run::default(),
        "block at height 3 is invalid",
    )
    .await;
}

/// Cut, wrong magic or version, lengths beyond the file, a bad checksum: each named.
async fn damaged_files_are_refused(backend: Backend, dir: &Path, good: &[u8]) {
    refused(
        backend,
        dir,
        &good[..good.len() / 2],
        Run::default(),
        "chain archive refused",
    )
    .await;
    refused(backend, dir, &good[..30], Run::default(), "too short").await;
    let mut magic = good.to_vec();
    magic[..8].copy_from_slice(b"NOTCHAIN");
    refused(backend, dir, &magic, Run::default(), "wrong magic").await;
    let mut version = good.to_vec();
    version[8] = 9;
    refused(backend, dir, &version, Run::default(), "format version 9").await;
    let mut huge = good.to_vec();
    huge[36..40].copy_from_slice(&u32::MAX.to_le_bytes());
    refused(backend, dir, &huge, Run::default(), "exceeds the").await;
    let mut count = good.to_vec();
    count[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    refused(backend, dir, &count, Run::default(), "block count").await;
    let mut flipped = good.to_vec();
    let at = flipped.len() - 10;
    flipped[at] ^= 0xff;
    refused(backend, dir, &flipped, Run::default(), "checksum").await;
}

/// Another chain's parameters, another keystore key.
async fn foreign_archives_are_refused(backend: Backend, dir: &Path, good: &[u8]) {
    refused(
        backend,
        dir,
        good,
        Run {
            key: None,
            flags: &["--difficulty", "8"],
        },
        "difficulty 12 bits",
    )
    .await;
    refused(
        backend,
        dir,
        good,
        Run {
            key: Some(&"11".repeat(32)),
            flags: &[],
        },
        "does not open with this node's keystore key",
    )
    .await;
}
