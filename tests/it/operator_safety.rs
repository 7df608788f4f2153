//! Operator mistakes through the real binary: a chain's parameters belong to it, commands that
//! delete blocks ask first, commands that read create nothing, an import refused leaves nothing
//! behind, and each command shows only its own options.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use pocket_testkit::{Backend, PoolRows, TestDb, dump_tables, on_both_backends};

on_both_backends!(
    a_start_with_other_parameters_is_refused_and_changes_nothing,
    demo_without_a_terminal_needs_yes_and_says_how_many_blocks_go,
    a_command_that_reads_never_creates_a_database,
);

const MINER: &str = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";

/// Runs `pocket ARGS` with no terminal on standard input, in `dir` when given.
pub(crate) fn pocket(args: &[&str], dir: Option<&Path>, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pocket"));
    command.env("POCKET_ACCOUNTS", "0");
    command
        .args(args)
        .envs(env.iter().copied())
        .env("POCKET_LOG", "warn")
        .stdin(Stdio::null());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.output().expect("pocket runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every chain table, the pool's refusals, the recorded parameters and the state version, as
/// text.
async fn tables(db: &TestDb) -> String {
    use sea_orm::EntityTrait;
    let store = db.store().await;
    let params = entity::chain_params::Entity::find()
        .all(store.db())
        .await
        .unwrap();
    // Every write to any table advances the state version.
    let version = entity::state_version::Entity::find()
        .all(store.db())
        .await
        .unwrap();
    format!(
        "{}{params:?}\n{version:?}",
        dump_tables(store.db(), PoolRows::All).await
    )
}

fn mine(db: &TestDb, blocks: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["mine", MINER, "--blocks", blocks, "--database-url", &db.url];
    args.extend_from_slice(extra);
    pocket(&args, None, env)
}

async fn a_start_with_other_parameters_is_refused_and_changes_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let created = mine(&db, "2", &["--difficulty", "8"], &[]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(
        text(&created.stderr).starts_with("pocket: a new chain in "),
        "the first line says a chain starts: {}",
        text(&created.stderr)
    );
    let before = tables(&db).await;

    // Flags, environment variables, and the server: each refused before any write.
    let refusals = [
        mine(&db, "1", &["--difficulty", "9", "--reward", "20"], &[]),
        mine(&db, "1", &[], &[("POCKET_REWARD", "20")]),
        pocket(
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                &db.url,
                "--difficulty",
                "12",
            ],
            None,
            &[("POCKET_KEYSTORE_KEY", &"07".repeat(32))],
        ),
    ];
    for refused in &refusals {
        let stderr = text(&refused.stderr);
        assert!(!refused.status.success(), "{stderr}");
        assert!(
            stderr.contains("this chain runs with difficulty 8 bits, reward 10"),
            "names the chain's own: {stderr}"
        );
        assert!(stderr.contains("--data-dir or --database-url"), "{stderr}");
    }
    assert!(text(&refusals[0].stderr).contains("difficulty 9 bits, reward 20"));
    assert!(text(&refusals[1].stderr).contains("difficulty 8 bits, reward 20"));
    assert_eq!(tables(&db).await, before, "nothing was written");

    // A chain recorded before its parameters were: they are read from its genesis block.
    db.execute("DELETE FROM cp").await;
    let legacy = mine(&db, "1", &["--difficulty", "12"], &[]);
    assert!(!legacy.status.success());
    assert!(
        text(&legacy.stderr).contains("difficulty 8 bits"),
        "{}",
        text(&legacy.stderr)
    );

    // Without flags the chain's own apply: it grows and still verifies.
    let grown = mine(&db, "1", &[], &[]);
    assert!(grown.status.success(), "{}", text(&grown.stderr));
    assert!(text(&grown.stdout).starts_with("mined 2 "));
    let verified = pocket(&["verify", "--database-url", &db.url], None, &[]);
    assert!(verified.status.success(), "{}", text(&verified.stderr));
    let status = pocket(&["status", "--database-url", &db.url], None, &[]);
    let shown = text(&status.stdout);
    assert!(shown.contains("difficulty 8 bits, reward 10"), "{shown}");
    assert!(shown.contains("height     2 (tip "), "{shown}");
}

async fn demo_without_a_terminal_needs_yes_and_says_how_many_blocks_go(backend: Backend) {
    let db = TestDb::new(backend).await;
    assert!(mine(&db, "3", &["--difficulty", "4"], &[]).status.success());
    let before = tables(&db).await;
    let refused = pocket(&["demo", "--database-url", &db.url], None, &[]);
    let stderr = text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("would delete the 3 blocks of"), "{stderr}");
    assert!(stderr.contains("Pass --yes"), "{stderr}");
    assert_eq!(tables(&db).await, before, "nothing was deleted");

    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().to_str().unwrap();
    let done = pocket(
        &[
            "demo",
            "--yes",
            "--database-url",
            &db.url,
            "--data-dir",
            key,
        ],
        None,
        &[],
    );
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert_eq!(
        text(&done.stdout).lines().count(),
        8,
        "the eight training wallets"
    );
    // On an empty chain there is nothing to ask about.
    let fresh = TestDb::new(backend).await;
    let first = pocket(
        &["demo", "--database-url", &fresh.url, "--data-dir", key],
        None,
        &[],
    );
    assert!(first.status.success(), "{}", text(&first.stderr));
}

async fn a_command_that_reads_never_creates_a_database(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chain.pchain");
    let file = file.to_str().unwrap();
    let url = match backend {
        Backend::Sqlite => None,
        // A database that exists but holds no chain.
        Backend::Postgres => Some(TestDb::new(backend).await.url),
    };
    for args in [
        vec!["verify"],
        vec!["export", file],
        vec!["reindex"],
        vec!["status"],
    ] {
        let mut args = args.clone();
        if let Some(url) = &url {
            args.extend(["--database-url", url.as_str()]);
        }
        // Run where a user would mistype: a directory without a chain.
        let out = pocket(&args, Some(dir.path()), &[]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {}", text(&out.stdout));
        assert!(
            stderr.contains("no chain database at"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("--data-dir DIR or --database-url URL"),
            "{stderr}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} created {left:?}");
    }
    if let Some(url) = url {
        let store = pocket_chain::store::Store::open_existing(&url).await;
        assert!(
            store.is_err(),
            "the PostgreSQL database was given no tables"
        );
    }
}

/// An archive with sealed wallets, imported into a new directory without its key or with
/// another: refused, naming what to pass, and nothing is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_refused_for_its_keystore_leaves_nothing_behind() {
    let source = tempfile::tempdir().unwrap();
    let data = source.path().to_str().unwrap();
    assert!(
        pocket(
            &["demo", "--data-dir", data, "--difficulty", "4"],
            None,
            &[]
        )
        .status
        .success()
    );
    let archive = source.path().join("chain.pchain");
    let archive = archive.to_str().unwrap();
    let exported = pocket(
        &["export", archive, "--keystore", "--data-dir", data],
        None,
        &[],
    );
    assert!(exported.status.success(), "{}", text(&exported.stderr));

    let target = tempfile::tempdir().unwrap();
    let fresh = target.path().join("data");
    let fresh = fresh.to_str().unwrap();
    let other_key = "11".repeat(32);
    for key in [None, Some(other_key.as_str())] {
        let mut args = vec!["import", archive, "--data-dir", fresh];
        if let Some(key) = key {
            args.extend(["--keystore-key", key]);
        }
        let out = pocket(&args, None, &[]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains("--keystore-key HEX"), "{stderr}");
        assert!(stderr.contains("keystore.key"), "{stderr}");
        assert!(stderr.contains("nothing was created"), "{stderr}");
        let left: Vec<_> = std::fs::read_dir(target.path()).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
    // With the exporting node's key file copied over, it imports.
    std::fs::create_dir_all(fresh).unwrap();
    std::fs::copy(
        source.path().join("keystore.key"),
        Path::new(fresh).join("keystore.key"),
    )
    .unwrap();
    let out = pocket(&["import", archive, "--data-dir", fresh], None, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("and 8 wallets"),
        "{}",
        text(&out.stdout)
    );
}

/// Each command lists only the options it uses.
#[test]
fn each_command_shows_only_its_own_options() {
    let node_options = [
        "--database-url",
        "--difficulty",
        "--reward",
        "--mining-threads",
    ];
    for command in [
        &["key", "--help"][..],
        &["key", "new", "--help"],
        &["sign", "--help"],
        &["schema", "--help"],
    ] {
        let help = text(&pocket(command, None, &[]).stdout);
        for option in node_options.iter().chain(&["--keystore-key", "--data-dir"]) {
            assert!(!help.contains(option), "{command:?} shows {option}: {help}");
        }
    }
    for command in ["verify", "status", "reindex"] {
        let help = text(&pocket(&[command, "--help"], None, &[]).stdout);
        assert!(
            help.contains("--database-url") && help.contains("--data-dir"),
            "{help}"
        );
        for option in [
            "--difficulty",
            "--reward",
            "--mining-threads",
            "--keystore-key",
            "--listen",
        ] {
            assert!(!help.contains(option), "{command} shows {option}: {help}");
        }
    }
    let mine = text(&pocket(&["mine", "--help"], None, &[]).stdout);
    // A new chain's dev accounts are sealed by the keystore key.
    assert!(
        mine.contains("--difficulty") && mine.contains("--accounts") && !mine.contains("--listen"),
        "{mine}"
    );
    let serve = text(&pocket(&["serve", "--help"], None, &[]).stdout);
    assert!(
        serve.contains("--keystore-key") && serve.contains("--listen"),
        "{serve}"
    );
}

/// `pocket sign` given the server's refusal of `buildTransaction` shows it, code included.
#[test]
fn sign_shows_the_servers_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let key = key.to_str().unwrap();
    assert!(
        pocket(&["key", "new", "--out", key], None, &[])
            .status
            .success()
    );
    let refusal = r#"{"errors":[{"message":"1Boat… has 0 units available, 5 requested","extensions":{"code":"INSUFFICIENT_FUNDS"}}],"data":null}"#;
    let out = pocket(&["sign", "--key", key, refusal], None, &[]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("has 0 units available, 5 requested"),
        "{stderr}"
    );
    assert!(stderr.contains("(INSUFFICIENT_FUNDS)"), "{stderr}");
}

/// `pocket status` on PostgreSQL names the replicas attached to the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_names_the_replicas_attached_on_postgres() {
    let db = TestDb::new(Backend::Postgres).await;
    let bin = env!("CARGO_BIN_EXE_pocket");
    let _replica = pocket_testkit::Replica::start(bin, &db.url, &["--difficulty", "4"]).await;
    let status = pocket(&["status", "--database-url", &db.url], None, &[]);
    let shown = text(&status.stdout);
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert!(
        shown.contains("chain      difficulty 4 bits, reward 10"),
        "{shown}"
    );
    assert!(shown.contains("height     none: no blocks yet"), "{shown}");
    assert!(
        shown.contains("held by    shared by pocket pid "),
        "{shown}"
    );
}
