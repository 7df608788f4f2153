//! The GraphQL API through real HTTP on both backends: the reference scenario, reset, refusals that
//! change nothing, a fixed statement count for nested pages, reads as small as their selection,
//! and the response cache.

use serde_json::{Value, json};

use crate::app::{TestApp, code, spawn_app};
use pocket_testkit::on_both_backends;
use pocket_testkit::{Backend, addr, dump};

on_both_backends!(
    reference_scenario_over_graphql,
    reset_system_over_graphql,
    bad_inputs_get_codes_and_change_nothing,
    nested_pages_cost_a_constant_number_of_statements,
    cached_answers_follow_every_change,
    a_field_reads_only_what_its_selection_shows,
);

const WALLETS: &str = "{ wallets(first: 100) { totalCount nodes { address balance } } }";

async fn balances(app: &TestApp) -> Vec<u64> {
    let data = app.data(WALLETS, json!({})).await;
    data["wallets"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["balance"].as_u64().unwrap())
        .collect()
}

async fn reference_scenario_over_graphql(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut a = Vec::new();
    for _ in 0..8 {
        a.push(app.new_wallet().await);
    }
    let genesis = app.mine(&a[0], None).await;
    assert_eq!(genesis["data"]["mineBlock"]["height"], 0, "{genesis}");
    for (to, amount) in [(1, 3), (2, 2), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)] {
        let sent = app.send(&a[0], &a[to], amount).await;
        assert_eq!(sent["data"]["send"]["status"], "PENDING", "{sent}");
        assert_eq!(
            app.mine(&a[0], None).await["data"]["mineBlock"]["txCount"],
            2
        );
    }
    for from in &a[1..] {
        assert!(app.send(from, &a[0], 1).await.get("errors").is_none());
    }
    app.mine(&a[1], Some(2)).await;
    app.mine(&a[1], Some(3)).await;
    assert_eq!(balances(&app).await, vec![75, 22, 1, 0, 0, 0, 1, 1]);
    let chain = app
        .data(
            "{ chain { height tipHash difficultyBits reward totalSupply utxoCount poolSize } }",
            json!({}),
        )
        .await;
    assert_eq!(chain["chain"]["height"], 9);
    assert_eq!(chain["chain"]["totalSupply"], 100);
    assert_eq!(chain["chain"]["poolSize"], 2);
    assert_eq!(chain["chain"]["difficultyBits"], 12);

    // A transaction, its inputs (resolved to the spent outputs) and its block.
    let wallet = app
        .data(
            "query($a: String!) { wallet(address: $a) { balance pending { txId } transactions(first: 10) { totalCount nodes { id isCoinbase inputs { txId vout address value } outputs { index address value spent } block { height } } } } }",
            json!({ "a": a[1] }),
        )
        .await;
    let history = &wallet["wallet"]["transactions"];
    assert_eq!(history["totalCount"], 4);
    let payment = history["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["isCoinbase"] == false && t["inputs"][0]["address"] == a[0].as_str())
        .expect("the payment of 3");
    assert_eq!(payment["outputs"][0]["value"], 3);
    let id = payment["id"].as_str().unwrap();
    let tx = app.data("query($id: String!) { transaction(id: $id) { id block { height } outputs { spent } } }", json!({ "id": id })).await;
    assert_eq!(tx["transaction"]["id"], id);
    assert_eq!(tx["transaction"]["block"]["height"], 1);
}

async fn reset_system_over_graphql(backend: Backend) {
    let app = spawn_app(backend).await;
    let reset = app
        .data("mutation { resetSystem { address balance } }", json!({}))
        .await;
    let wallets = reset["resetSystem"].as_array().unwrap();
    assert_eq!(wallets.len(), 8);
    assert_eq!(
        wallets
            .iter()
            .map(|w| w["balance"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![75, 22, 1, 0, 0, 0, 1, 1]
    );
    assert_eq!(balances(&app).await, vec![75, 22, 1, 0, 0, 0, 1, 1]);
    let pool = app
        .data(
            "{ pool { totalCount nodes { from to amount status error } } }",
            json!({}),
        )
        .await;
    assert_eq!(pool["pool"]["totalCount"], 2);
    let blocks = app.data("{ blocks(first: 3) { totalCount pageInfo { hasNextPage endCursor } nodes { height } } }", json!({})).await;
    assert_eq!(blocks["blocks"]["totalCount"], 10);
    assert_eq!(blocks["blocks"]["nodes"][0]["height"], 9);
    let cursor = blocks["blocks"]["pageInfo"]["endCursor"].as_str().unwrap();
    let next = app
        .data(
            "query($c: String) { blocks(first: 3, after: $c) { nodes { height } } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(next["blocks"]["nodes"][0]["height"], 6);
}

async fn bad_inputs_get_codes_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let lonely = app.new_wallet().await;
    let outsider = pocket_chain::chain::SecretKey::generate()
        .unwrap()
        .public_key()
        .address()
        .to_string();
    assert_eq!(
        code(&app.send(&lonely, &outsider, 1).await),
        "NOT_INITIALIZED"
    );

    let a = app.reset().await;
    let mut corrupted = a[0].clone();
    corrupted.replace_range(5..6, if &corrupted[5..6] == "A" { "B" } else { "A" });
    let before = dump(app.db.store().await.db()).await;

    let cases = refusals(&app, &a, &corrupted, &outsider).await;
    for (body, expected) in &cases {
        assert_eq!(code(body), *expected, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let insufficient = &cases[5].0["errors"][0];
    assert!(
        insufficient["message"]
            .as_str()
            .unwrap()
            .contains("75 units available"),
        "{insufficient}"
    );
    assert_eq!(insufficient["extensions"]["available"], 75);
    assert!(
        cases[0].0["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("checksum"),
        "{}",
        cases[0].0
    );
    assert_eq!(
        dump(app.db.store().await.db()).await,
        before,
        "a refused request changed the chain"
    );

    unknown_things_are_null(&app, &outsider).await;
    refused_sends_are_in_the_pool_log(&app, 8).await;
}

/// A bad request of each kind, with the code it must get: addresses, amounts, funds (a wallet
/// whose only coin its pending send spends), page arguments, hashes, unknown fields and missing
/// arguments.
async fn refusals(
    app: &TestApp,
    a: &[String],
    corrupted: &str,
    outsider: &str,
) -> Vec<(Value, &'static str)> {
    vec![
        (app.send(corrupted, &a[1], 1).await, "INVALID_ADDRESS"),
        (app.send(&a[0], "hello", 1).await, "INVALID_ADDRESS"),
        (app.send(outsider, &a[1], 1).await, "UNKNOWN_WALLET"),
        (app.send(&a[0], &a[1], 0).await, "INVALID_AMOUNT"),
        (app.send(&a[0], &a[1], -3).await, "INVALID_AMOUNT"),
        (app.send(&a[0], &a[1], 1000).await, "INSUFFICIENT_FUNDS"),
        (app.send(&a[7], &a[1], 1).await, "INSUFFICIENT_FUNDS"),
        (app.send(&a[0], &a[0], 1).await, "SAME_ADDRESS"),
        (app.mine(corrupted, None).await, "INVALID_ADDRESS"),
        (app.mine(&a[0], Some(-1)).await, "BAD_REQUEST"),
        (
            app.gql("{ blocks(first: 501) { totalCount } }", json!({}))
                .await,
            "BAD_REQUEST",
        ),
        (
            app.gql("{ blocks(after: \"bm9wZQ\") { totalCount } }", json!({}))
                .await,
            "BAD_REQUEST",
        ),
        (
            app.gql("{ block(hash: \"zz\") { height } }", json!({}))
                .await,
            "BAD_REQUEST",
        ),
        (
            app.gql("{ block { height } }", json!({})).await,
            "BAD_REQUEST",
        ),
        (
            app.gql("{ transaction(id: \"12\") { id } }", json!({}))
                .await,
            "BAD_REQUEST",
        ),
        (
            app.gql(
                "{ chainstate(address: \"1abc\") { totalCount } }",
                json!({}),
            )
            .await,
            "INVALID_ADDRESS",
        ),
        (app.gql("{ nope }", json!({})).await, "BAD_REQUEST"),
        (
            app.gql("mutation { send(from: 1) { id } }", json!({}))
                .await,
            "BAD_REQUEST",
        ),
    ]
}

/// Unknown things are null, not errors.
async fn unknown_things_are_null(app: &TestApp, outsider: &str) {
    let missing = app.data(&format!("{{ transaction(id: \"{}\") {{ id }} wallet(address: \"{outsider}\") {{ address }} block(height: 99) {{ hash }} }}", "ab".repeat(32)), json!({})).await;
    assert_eq!(
        missing,
        json!({ "transaction": null, "wallet": null, "block": null })
    );
}

/// Refused sends are in the pool's log with their messages: `count` of them.
async fn refused_sends_are_in_the_pool_log(app: &TestApp, count: usize) {
    let log = app
        .data(
            "{ pool(includeRejected: true, first: 100) { nodes { status error } } }",
            json!({}),
        )
        .await;
    let rejected = log["pool"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "REJECTED")
        .count();
    assert_eq!(rejected, count);
}

async fn nested_pages_cost_a_constant_number_of_statements(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let blocks_query = "{ blocks(first: 50) { nodes { transactions { inputs { address value } outputs { spent } } } } }";
    let statements = |query: &'static str| {
        let app = &app;
        async move {
            // On PostgreSQL the notification relay reads blocks on the same pool: let it settle.
            app.await_settled().await;
            let before = app.node.statement_count();
            app.data(query, json!({})).await;
            app.node.statement_count() - before
        }
    };
    let small_blocks = statements(blocks_query).await;
    let small_wallets = statements("{ wallets(first: 100) { nodes { balance } } }").await;
    // Grow to 60 blocks with payments in them, and to 100 wallets.
    for round in 0..50 {
        let from = &a[round % 2];
        let to = &a[2 + round % 6];
        app.send(from, to, 1).await;
        app.mine(&a[0], None).await;
    }
    for _ in 0..92 {
        app.new_wallet().await;
    }
    let large_blocks = statements(blocks_query).await;
    let large_wallets = statements("{ wallets(first: 100) { nodes { balance } } }").await;
    assert_eq!(
        large_blocks, small_blocks,
        "blocks page: {small_blocks} statements for 10 blocks, {large_blocks} for 50"
    );
    assert_eq!(
        large_wallets, small_wallets,
        "wallets page: {small_wallets} statements for 8 wallets, {large_wallets} for 100"
    );
    assert!(
        large_blocks <= 8 && large_wallets <= 4,
        "{large_blocks} / {large_wallets}"
    );
}

async fn cached_answers_follow_every_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let query = "query($a: String!) { wallet(address: $a) { balance pending { amount } } chain { height poolSize } }";
    let vars = json!({ "a": a[1] });
    let (first, cache) = app.cached(query, vars.clone()).await;
    assert_eq!(cache, "miss");
    assert_eq!(first["data"]["wallet"]["balance"], 22);
    let (again, cache) = app.cached(query, vars.clone()).await;
    assert_eq!((again.clone(), cache.as_str()), (first.clone(), "hit"));
    // Other variables are another question.
    let (other, cache) = app.cached(query, json!({ "a": a[0] })).await;
    assert_eq!(
        (other["data"]["wallet"]["balance"].clone(), cache.as_str()),
        (json!(75), "miss")
    );

    // A change made by another node on the same database (another process or replica, which
    // this server hears nothing from) is seen at once.
    let other_node = app.db.node().await;
    other_node.send(&a[1], &a[2], 5).await.unwrap();
    let (after_send, cache) = app.cached(query, vars.clone()).await;
    assert_eq!(cache, "miss");
    assert_eq!(after_send["data"]["wallet"]["pending"]["amount"], 5);
    assert_eq!(after_send["data"]["chain"]["poolSize"], 3);
    other_node.mine_block(&addr(&a[0]), None).await.unwrap();
    let (after_mine, _) = app.cached(query, vars.clone()).await;
    assert_eq!(after_mine["data"]["wallet"]["balance"], 17);
    assert_eq!(after_mine["data"]["chain"]["height"], 10);
    // So is a wallet created outside any block, and a refused send's log entry.
    let (wallets, _) = app.cached("{ wallets { totalCount } }", json!({})).await;
    other_node.new_wallet().await.unwrap();
    let (more, cache) = app.cached("{ wallets { totalCount } }", json!({})).await;
    assert_eq!(cache, "miss");
    assert_eq!(
        more["data"]["wallets"]["totalCount"],
        wallets["data"]["wallets"]["totalCount"].as_u64().unwrap() + 1
    );
    let rejected = "{ pool(includeRejected: true) { totalCount } }";
    let (before, _) = app.cached(rejected, json!({})).await;
    assert!(other_node.send(&a[3], &a[1], 1_000).await.is_err());
    let (after, _) = app.cached(rejected, json!({})).await;
    assert_eq!(
        after["data"]["pool"]["totalCount"],
        before["data"]["pool"]["totalCount"].as_u64().unwrap() + 1
    );

    // Mutations and answers with errors are never kept.
    for _ in 0..2 {
        let (body, cache) = app
            .cached("{ block(height: -5) { hash } }", json!({}))
            .await;
        assert!(body.get("errors").is_some(), "{body}");
        assert_eq!(cache, "miss");
        let (body, cache) = app
            .cached("mutation { newWallet { address } }", json!({}))
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(cache, "");
    }
    // GET shares the cache.
    let get = |query: &str| {
        app.http
            .get(format!("{}/graphql", app.base))
            .query(&[("query", query)])
            .send()
    };
    get("{ chain { height } }").await.unwrap();
    let hit = get("{ chain { height } }").await.unwrap();
    assert_eq!(hit.headers()["x-pocket-cache"], "hit");
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("pocket_response_cache_hits_total 2"),
        "{metrics}"
    );
}

/// `{ address(…) { balance } }` and `{ chain { height } }` read one row each; asking for the
/// totals, directly, through a fragment or after a skipped field, reads them, and every way of
/// asking answers the same.
async fn a_field_reads_only_what_its_selection_shows(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let vars = json!({ "a": a[1] });
    // The statements a query runs, less those of answering it again from the response cache
    // (reading the state version): what resolving it reads.
    let statements = async |query: &str| {
        // On PostgreSQL the notification relay reads blocks on the same pool: let it settle.
        app.await_settled().await;
        let before = app.node.statement_count();
        let data = app.data(query, vars.clone()).await;
        let ran = app.node.statement_count() - before;
        let before = app.node.statement_count();
        assert_eq!(app.data(query, vars.clone()).await, data);
        (ran - (app.node.statement_count() - before), data)
    };
    let (reads, balance) =
        statements("query($a: String!) { address(address: $a) { balance } }").await;
    assert_eq!(
        (reads, balance["address"]["balance"].clone()),
        (1, json!(22))
    );
    let (reads, height) = statements("{ chain { height tipHash chainWork } }").await;
    assert_eq!((reads, height["chain"]["height"].clone()), (1, json!(9)));

    let totals = "query($a: String!) { address(address: $a) { balance received sent txCount } chain { height totalSupply utxoCount poolSize genesisHash sideBlocks } }";
    let (_, direct) = statements(totals).await;
    assert_eq!(direct["address"]["balance"], 22);
    assert!(direct["address"]["received"].as_u64().unwrap() >= 22);
    assert_eq!(direct["chain"]["totalSupply"], 100);
    let through_fragments = "query($a: String!) { address(address: $a) { balance ...T } chain { height ... on ChainInfo { totalSupply utxoCount } ...C } } fragment T on AddressInfo { received sent txCount } fragment C on ChainInfo { poolSize genesisHash sideBlocks }";
    let (_, fragments) = statements(through_fragments).await;
    assert_eq!(fragments, direct);
    let skipped = "query($a: String!, $no: Boolean = false) { address(address: $a) { balance received @include(if: $no) sent txCount } chain { height totalSupply @skip(if: $no) utxoCount poolSize genesisHash sideBlocks } }";
    let (_, with_directives) = statements(skipped).await;
    assert_eq!(
        with_directives["address"]["sent"], direct["address"]["sent"],
        "{with_directives}"
    );
    assert_eq!(with_directives["chain"]["totalSupply"], 100);
}
