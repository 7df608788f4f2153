//! What the network tests share: their difficulty, a database per node, and a check of each
//! node's chain through `pocket verify`. Their blocks come from the one chain builder
//! ([`network_builder`]).

use pocket_chain::chain::Block;
use pocket_chain::chain::testing::ChainBuilder;
use serde_json::json;

use crate::db::{Backend, TestDb};
use crate::http::graphql;

/// The difficulty every node of the network tests runs (fast blocks), as a flag's value.
pub const NETWORK_BITS: &str = "8";

/// A SQLite database for each of `N` nodes.
pub async fn sqlite_databases<const N: usize>() -> [TestDb; N] {
    let mut dbs = Vec::with_capacity(N);
    for _ in 0..N {
        dbs.push(TestDb::new(Backend::Sqlite).await);
    }
    match dbs.try_into() {
        Ok(dbs) => dbs,
        Err(_) => unreachable!("exactly N databases were made"),
    }
}

/// Runs the `pocket` binary at `bin` (`env!("CARGO_BIN_EXE_pocket")`) as `pocket verify` over
/// `db`, and fails the test if the chain does not verify.
pub fn verify_chain(bin: &str, db: &TestDb) {
    let out = std::process::Command::new(bin)
        .env("POCKET_ACCOUNTS", "0")
        .args(["verify", "--database-url", &db.url])
        .output()
        .expect("pocket verify runs");
    assert!(
        out.status.success(),
        "verify of {}: {}",
        db.url,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The chain builder at [`NETWORK_BITS`], for blocks built by hand for `submitBlock`.
pub fn network_builder() -> ChainBuilder {
    ChainBuilder::with_bits(NETWORK_BITS.parse().expect("NETWORK_BITS is a number"))
}

/// Submits `block` to the server at `base` (`http://host:port`) and fails the test unless it is
/// connected to the main chain.
pub async fn connect_block(http: &reqwest::Client, base: &str, block: &Block) {
    let answer = graphql(
        http,
        &format!("{base}/graphql"),
        "mutation($r: String!) { submitBlock(rawHex: $r) { status } }",
        json!({ "r": hex::encode(block.encode()) }),
    )
    .await;
    assert_eq!(
        answer["data"]["submitBlock"]["status"], "CONNECTED",
        "{answer}"
    );
}
