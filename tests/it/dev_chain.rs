//! The dev chain: many blocks in one call, committed and announced in runs that let other
//! writers in.

use std::sync::Arc;
use std::time::Duration;

use pocket_chain::model::StoredBlock;
use pocket_chain::node::{Node, NodeConfig, NodeError, NodeEvent};
use serde_json::json;

use crate::app::{code, spawn_app};
use pocket_chain::model::PoolEntry;
use pocket_testkit::{
    Backend, PoolRows, TestDb, addr, dump_tables, keystore, on_both_backends, test_config,
};

on_both_backends!(
    mine_blocks_commits_and_announces_each_block,
    mine_blocks_refuses_counts_out_of_range,
    mine_blocks_stopped_midway_keeps_what_it_committed,
    a_long_mine_blocks_lets_other_writers_in,
    dropped_transactions_leave_only_the_pool,
);

const MINE_BLOCKS: &str = "mutation($a: String!, $n: Int!, $t: Int) { mineBlocks(address: $a, count: $n, txCount: $t) { height txCount } }";

async fn mine_blocks_commits_and_announces_each_block(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let mut events = app.node.subscribe();
    // `txCount` omitted: up to 5 per block, so the two pending transactions go into the first.
    let data = app.data(MINE_BLOCKS, json!({ "a": a[1], "n": 5 })).await;
    let blocks = data["mineBlocks"].as_array().unwrap();
    let heights: Vec<_> = blocks
        .iter()
        .map(|b| b["height"].as_u64().unwrap())
        .collect();
    assert_eq!(heights, [10, 11, 12, 13, 14]);
    assert_eq!(blocks[0]["txCount"], 3);
    assert!(blocks[1..].iter().all(|b| b["txCount"] == 1));
    // Every block was announced by itself, in order, before the mutation answered.
    let mut announced = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let NodeEvent::BlockMined(block) = event {
            announced.push(block.height);
        }
    }
    assert_eq!(announced, heights);
    let report = app.node.verify_chain(&|_, _| {}).await.unwrap();
    assert_eq!(report.blocks, 15);
}

async fn mine_blocks_refuses_counts_out_of_range(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    for (count, txs) in [
        (json!(0), json!(5)),
        (json!(1001), json!(5)),
        (json!(-3), json!(5)),
        (json!(2), json!(-1)),
    ] {
        let body = app
            .gql(MINE_BLOCKS, json!({ "a": a[0], "n": count, "t": txs }))
            .await;
        assert_eq!(
            code(&body),
            "BAD_REQUEST",
            "{count} blocks of {txs}: {body}"
        );
    }
    let body = app
        .gql(MINE_BLOCKS, json!({ "a": a[0], "n": 3_000_000_000_i64 }))
        .await;
    assert_eq!(code(&body), "BAD_REQUEST", "{body}");
    let body = app.gql(MINE_BLOCKS, json!({ "a": "1nope", "n": 2 })).await;
    assert_eq!(code(&body), "INVALID_ADDRESS", "{body}");
    let height = app.data("{ chain { height } }", json!({})).await["chain"]["height"].clone();
    assert_eq!(height, 9, "nothing was mined");
}

/// A node on `db` subscribed to, and a `mineBlocks` of 1,000 empty blocks running on it.
async fn mining_1000_blocks(
    db: &TestDb,
    config: NodeConfig,
) -> (
    Arc<Node>,
    tokio::sync::broadcast::Receiver<NodeEvent>,
    tokio::task::JoinHandle<Result<Vec<Arc<StoredBlock>>, NodeError>>,
) {
    let node = Arc::new(
        Node::open(db.store().await, config, keystore())
            .await
            .unwrap(),
    );
    let miner = addr(&node.new_wallet().await.unwrap().address.to_string());
    let events = node.subscribe();
    let mining = {
        let node = node.clone();
        tokio::spawn(async move { node.mine_blocks(&miner, 1000, Some(0), |_| {}).await })
    };
    (node, events, mining)
}

async fn mine_blocks_stopped_midway_keeps_what_it_committed(backend: Backend) {
    // At 20 bits a block takes about a million hashes: the call is still mining when the node is
    // told to shut down after the first block, which cancels the next search.
    let db = TestDb::new(backend).await;
    let mut config = test_config();
    config.params.difficulty_bits = 20;
    let (node, mut events, mining) = mining_1000_blocks(&db, config).await;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("a block within 30 s")
            .unwrap();
        if matches!(event, NodeEvent::BlockMined(_)) {
            break;
        }
    }
    node.shutdown();
    let result = tokio::time::timeout(Duration::from_secs(30), mining)
        .await
        .expect("stopped promptly")
        .unwrap();
    let Err(NodeError::StoppedAfter {
        mined,
        requested,
        last_height,
        source,
    }) = result
    else {
        panic!("expected StoppedAfter, got {result:?}");
    };
    assert!(matches!(*source, NodeError::ShuttingDown), "{source:?}");
    assert_eq!(requested, 1000);
    assert!((1..1000).contains(&mined));
    assert_eq!(last_height, u64::from(mined) - 1);
    let info = node.chain_info().await.unwrap();
    assert_eq!(
        info.height,
        Some(last_height),
        "every block before the failure is kept"
    );
}

/// `dropTransaction` and `clearPool` move pending entries to the refusal log, each with its
/// reason, free their senders, and change no other table.
/// 1,000 blocks in one call commit in runs: a write sent once the first run is announced is
/// committed while the call still mines, and every block is announced once, in height order.
async fn a_long_mine_blocks_lets_other_writers_in(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (node, mut events, mining) = mining_1000_blocks(&db, test_config()).await;
    let mut announced = Vec::new();
    while announced.is_empty() {
        if let NodeEvent::BlockMined(block) = events.recv().await.unwrap() {
            announced.push(block.height);
        }
    }
    node.new_wallet().await.unwrap();
    assert!(
        !mining.is_finished(),
        "the wallet was written while the call still mined"
    );
    let blocks = mining.await.unwrap().unwrap();
    assert_eq!(blocks.len(), 1000);
    while announced.len() < 1000 {
        if let NodeEvent::BlockMined(block) = events.recv().await.unwrap() {
            announced.push(block.height);
        }
    }
    assert_eq!(announced, (0..1000).collect::<Vec<u64>>());
    assert!(events.try_recv().is_err(), "nothing announced twice");
    assert_eq!(node.verify_chain(&|_, _| {}).await.unwrap().blocks, 1000);
}

async fn dropped_transactions_leave_only_the_pool(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let node = &app.node;
    let chain_before = dump_tables(app.db.store().await.db(), PoolRows::None).await;
    let pending = node.pool(false, None, 10).await.unwrap();
    let txids: Vec<_> = pending
        .iter()
        .map(|e| match e {
            PoolEntry::Pending(tx) => tx.txid,
            PoolEntry::Refused(_) => unreachable!("only pending entries were asked for"),
        })
        .collect();
    assert_eq!(txids.len(), 2);
    assert!(node.drop_transaction(&txids[0]).await.unwrap());
    assert!(!node.drop_transaction(&txids[0]).await.unwrap());
    assert_eq!(node.transaction_status(&txids[0]).await.unwrap(), None);
    assert!(node.transaction_status(&txids[1]).await.unwrap().is_some());
    assert_eq!(node.clear_pool().await.unwrap(), 1);
    assert_eq!(node.clear_pool().await.unwrap(), 0);
    assert_eq!(node.pool_count(false).await.unwrap(), 0);
    let log: Vec<String> = node
        .pool(true, None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            PoolEntry::Refused(r) if r.error.starts_with("dropped") => Some(r.error),
            _ => None,
        })
        .collect();
    assert_eq!(log, ["dropped: dropTransaction", "dropped: clearPool"]);
    assert_eq!(
        dump_tables(app.db.store().await.db(), PoolRows::None).await,
        chain_before,
        "dropping changed a table other than the pool"
    );
    // The senders are free: the training scenario's locked wallets send again.
    for from in [&a[6], &a[7]] {
        let sent = app.send(from, &a[0], 1).await;
        assert_eq!(sent["data"]["send"]["status"], "PENDING", "{sent}");
    }
}
