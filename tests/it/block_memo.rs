//! The explorer's pages come from a memo of blocks as shown (kept by hash between requests), on a
//! server with the response cache off so that every answer is computed anew. A reorganisation, a
//! revert, a reset and another replica's write each remove blocks the memo holds: after each, the
//! pages show the chain as it is, and every page agrees with the same blocks read one at a time
//! (`block(height:)`, which looks each input's spent output up instead).

use pocket_chain::chain::testing::{ChainBuilder, pkh};
use pocket_chain::chain::{Address, Block, PubkeyHash, Transaction};
use pocket_testkit::{
    Backend, NETWORK_BITS, Replica, TestDb, graphql, network_builder, on_both_backends,
};
use serde_json::{Value, json};

on_both_backends!(the_explorer_follows_a_reorganisation_a_revert_and_a_reset);

/// The fields of a block both paths show.
const BLOCK_FIELDS: &str = "hash height transactions { id inputs { address value } outputs { address value spent } block { hash } }";

fn address(of: PubkeyHash) -> String {
    Address::from(of).to_string()
}

async fn ask(http: &reqwest::Client, base: &str, query: &str) -> Value {
    let answer = graphql(http, &format!("{base}/graphql"), query, json!({})).await;
    assert!(answer.get("errors").is_none(), "{query}: {answer}");
    answer["data"].clone()
}

/// The newest blocks' page, checked against each of its blocks read alone.
async fn blocks_page(http: &reqwest::Client, base: &str) -> Vec<Value> {
    let page = ask(
        http,
        base,
        &format!("{{ blocks(first: 10) {{ nodes {{ {BLOCK_FIELDS} }} }} }}"),
    )
    .await;
    let nodes = page["blocks"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for node in &nodes {
        let alone = ask(
            http,
            base,
            &format!(
                "{{ block(height: {}) {{ {BLOCK_FIELDS} }} }}",
                node["height"]
            ),
        )
        .await;
        assert_eq!(
            &alone["block"], node,
            "the page and the block read alone differ"
        );
    }
    nodes
}

/// The hashes the blocks page shows, newest first.
async fn shown_hashes(http: &reqwest::Client, base: &str) -> Vec<String> {
    blocks_page(http, base)
        .await
        .iter()
        .map(|b| b["hash"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn hashes(blocks: &[&Block]) -> Vec<String> {
    blocks.iter().map(|b| b.hash().to_string()).collect()
}

/// An address page's history: (txid, net amount, block hash) newest first, with its totals.
async fn history(
    http: &reqwest::Client,
    base: &str,
    of: PubkeyHash,
) -> (Value, Vec<(String, i64, String)>) {
    let page = ask(
        http,
        base,
        &format!(
            r#"{{ address(address: "{}") {{ balance received sent txCount transactions(first: 10) {{ nodes {{ netAmount transaction {{ id block {{ hash }} }} }} }} }} }}"#,
            address(of)
        ),
    )
    .await;
    let entries = page["address"]["transactions"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|n| {
            (
                n["transaction"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                n["netAmount"].as_i64().unwrap_or_default(),
                n["transaction"]["block"]["hash"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let totals = json!({
        "balance": page["address"]["balance"],
        "received": page["address"]["received"],
        "sent": page["address"]["sent"],
        "txCount": page["address"]["txCount"],
    });
    (totals, entries)
}

async fn submit(http: &reqwest::Client, base: &str, block: &Block) -> String {
    let answer = ask(
        http,
        base,
        &format!(
            r#"mutation {{ submitBlock(rawHex: "{}") {{ status }} }}"#,
            hex::encode(block.encode())
        ),
    )
    .await;
    answer["submitBlock"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn txid(tx: &Transaction) -> String {
    tx.txid().to_string()
}

async fn the_explorer_follows_a_reorganisation_a_revert_and_a_reset(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = Replica::start(
        env!("CARGO_BIN_EXE_pocket"),
        &db.url,
        &["--difficulty", NETWORK_BITS, "--response-cache", "0"],
    )
    .await;
    let (http, base) = (reqwest::Client::new(), server.base.as_str());

    // A chain where key 1 pays key 2, and key 2 pays key 4 from it.
    let mut main = network_builder();
    let genesis = main.mine(pkh(1), vec![]);
    let at_genesis: ChainBuilder = main.clone();
    let pay_two = main.pay(1, pkh(2), 7);
    let one = main.mine(pkh(3), vec![pay_two.clone()]);
    let two_pays = main.pay(2, pkh(4), 3);
    let two = main.mine(pkh(3), vec![two_pays.clone()]);
    for block in [&genesis, &one, &two] {
        assert_eq!(submit(&http, base, block).await, "CONNECTED");
    }
    assert_eq!(
        shown_hashes(&http, base).await,
        hashes(&[&two, &one, &genesis])
    );
    let before = history(&http, base, pkh(2)).await;
    assert_eq!(
        before.1,
        vec![
            (txid(&two_pays), -3, two.hash().to_string()),
            (txid(&pay_two), 7, one.hash().to_string()),
        ]
    );
    assert_eq!(
        before.0,
        json!({ "balance": 4, "received": 11, "sent": 7, "txCount": 2 })
    );
    // Read again: now from the memo, and the same.
    assert_eq!(history(&http, base, pkh(2)).await, before);

    // A reorganisation: a longer branch from genesis where key 1 pays key 4 instead; both
    // payments of the old branch are gone (the first double-spent, the second its child).
    let mut side = at_genesis;
    let pay_four = side.pay(1, pkh(4), 9);
    let side_one = side.mine(pkh(5), vec![pay_four.clone()]);
    let side_two = side.mine(pkh(5), vec![]);
    let side_three = side.mine(pkh(5), vec![]);
    for block in [&side_one, &side_two] {
        submit(&http, base, block).await;
    }
    assert_eq!(submit(&http, base, &side_three).await, "REORGANIZED");
    assert_eq!(
        shown_hashes(&http, base).await,
        hashes(&[&side_three, &side_two, &side_one, &genesis])
    );
    let reorganised = history(&http, base, pkh(2)).await;
    assert_eq!(reorganised.1, vec![]);
    assert_eq!(
        reorganised.0,
        json!({ "balance": 0, "received": 0, "sent": 0, "txCount": 0 })
    );
    assert_eq!(
        history(&http, base, pkh(4)).await.1,
        vec![(txid(&pay_four), 9, side_one.hash().to_string())]
    );

    // A revert: a block mined after a snapshot is shown, then gone, and another takes its height.
    ask(&http, base, "mutation { snapshot { id } }").await;
    let mine = |to: PubkeyHash| {
        format!(
            r#"mutation {{ mineBlock(address: "{}") {{ hash }} }}"#,
            address(to)
        )
    };
    let mined = ask(&http, base, &mine(pkh(6))).await["mineBlock"]["hash"].clone();
    assert_eq!(
        shown_hashes(&http, base).await[0],
        mined.as_str().unwrap_or_default()
    );
    ask(&http, base, r#"mutation { revert(id: "1") { height } }"#).await;
    assert_eq!(
        shown_hashes(&http, base).await,
        hashes(&[&side_three, &side_two, &side_one, &genesis])
    );
    let again = ask(&http, base, &mine(pkh(7))).await["mineBlock"]["hash"].clone();
    assert_ne!(again, mined);
    let shown = blocks_page(&http, base).await;
    assert_eq!(shown[0]["hash"], again);
    assert_eq!(
        shown[0]["transactions"][0]["outputs"][0]["address"],
        address(pkh(7))
    );

    // A reset empties the chain; the first branch, submitted again, is shown as before (its
    // blocks, still in the memo, are the same blocks).
    ask(
        &http,
        base,
        "mutation { resetSystem(to: EMPTY) { address } }",
    )
    .await;
    assert_eq!(shown_hashes(&http, base).await, Vec::<String>::new());
    assert_eq!(history(&http, base, pkh(4)).await.1, vec![]);
    for block in [&genesis, &one, &two] {
        assert_eq!(submit(&http, base, block).await, "CONNECTED");
    }
    assert_eq!(
        shown_hashes(&http, base).await,
        hashes(&[&two, &one, &genesis])
    );
    assert_eq!(history(&http, base, pkh(2)).await, before);
}

/// Two replicas on one PostgreSQL: what one shows follows the other's revert and mining, though
/// the blocks it showed before are still in its memo.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_shows_another_replicas_changes() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut replicas = Vec::new();
    for _ in 0..2 {
        replicas.push(
            Replica::start(
                env!("CARGO_BIN_EXE_pocket"),
                &db.url,
                &["--difficulty", NETWORK_BITS, "--response-cache", "0"],
            )
            .await,
        );
    }
    let (http, reader, writer) = (reqwest::Client::new(), &replicas[0].base, &replicas[1].base);
    let mut main = network_builder();
    let genesis = main.mine(pkh(1), vec![]);
    let pay = main.pay(1, pkh(2), 5);
    let one = main.mine(pkh(3), vec![pay.clone()]);
    for block in [&genesis, &one] {
        assert_eq!(submit(&http, writer, block).await, "CONNECTED");
    }
    assert_eq!(shown_hashes(&http, reader).await, hashes(&[&one, &genesis]));
    ask(&http, writer, "mutation { snapshot { id } }").await;
    let mine = format!(
        r#"mutation {{ mineBlock(address: "{}") {{ hash }} }}"#,
        address(pkh(2))
    );
    let mined = ask(&http, writer, &mine).await["mineBlock"]["hash"].clone();
    assert_eq!(
        shown_hashes(&http, reader).await[0],
        mined.as_str().unwrap_or_default()
    );
    let paid = history(&http, reader, pkh(2)).await;
    assert_eq!(paid.1.len(), 2, "{paid:?}");

    ask(&http, writer, r#"mutation { revert(id: "1") { height } }"#).await;
    assert_eq!(shown_hashes(&http, reader).await, hashes(&[&one, &genesis]));
    assert_eq!(
        history(&http, reader, pkh(2)).await.1,
        vec![(txid(&pay), 5, one.hash().to_string())]
    );
    ask(
        &http,
        writer,
        "mutation { resetSystem(to: EMPTY) { address } }",
    )
    .await;
    assert_eq!(shown_hashes(&http, reader).await, Vec::<String>::new());
    assert_eq!(history(&http, reader, pkh(2)).await.1, vec![]);
}
