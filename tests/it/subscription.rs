//! A block subscriber that falls behind the in-process channel catches up from the database.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use pocket_chain::graphql::{self, QueryLimits};
use pocket_chain::node::{Node, NodeConfig, NodeEvent, PoolChangeKind};

use crate::harness::{Backend, TestDb, addr, keystore, reset, test_config};
use crate::on_both_backends;

on_both_backends!(
    lagging_subscriber_catches_up_by_height,
    subscribers_follow_a_reset_from_genesis
);

async fn lagging_subscriber_catches_up_by_height(backend: Backend) {
    let db = TestDb::new(backend).await;
    // A channel of 2 announcements: mining 12 blocks unread makes the subscriber lag.
    let config = NodeConfig {
        event_buffer: 2,
        ..test_config()
    };
    let node = Arc::new(
        Node::open(db.store().await, config, keystore())
            .await
            .unwrap(),
    );
    let miner = node.new_wallet().await.unwrap().address.to_string();
    let schema = graphql::schema(node.clone(), QueryLimits::default());
    let request = async_graphql::Request::new("subscription { blockMined { height } }")
        .data(graphql::loader_for(node.clone()));
    let mut stream = schema.execute_stream(request);
    // The first poll starts the subscription; nothing has been mined yet.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), stream.next())
            .await
            .is_err()
    );
    for _ in 0..12 {
        node.mine_block(&addr(&miner), Some(0)).await.unwrap();
    }
    for expected in 0..12u64 {
        let response = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("delivered")
            .expect("open");
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let data = response.data.into_json().unwrap();
        assert_eq!(data["blockMined"]["height"], expected);
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(200), stream.next())
            .await
            .is_err(),
        "no duplicates"
    );
}

async fn subscribers_follow_a_reset_from_genesis(backend: Backend) {
    let db = TestDb::new(backend).await;
    let node = db.node().await;
    node.reset_system().await.unwrap();
    let schema = graphql::schema(node.clone(), QueryLimits::default());
    let request = async_graphql::Request::new("subscription { blockMined { height } }")
        .data(graphql::loader_for(node.clone()));
    let mut stream = schema.execute_stream(request);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), stream.next())
            .await
            .is_err()
    );
    // The chain is at height 9; a reset starts a new one at 0, and the subscriber follows it.
    node.reset_system().await.unwrap();
    for expected in 0..10u64 {
        let response = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("delivered")
            .expect("open");
        assert_eq!(
            response.data.into_json().unwrap()["blockMined"]["height"],
            expected
        );
    }
}

/// Every replica's relay loses its `LISTEN` connection again and again while another node
/// writes: a subscriber still gets every block once, in order, every accepted send, and no
/// pool change twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_listen_connections_lose_nothing() {
    let db = TestDb::new(Backend::Postgres).await;
    let watcher = db.node().await;
    let writer = db.node().await;
    let mut events = watcher.subscribe();
    let a = reset(&writer).await;
    let mut sent = Vec::new();
    for round in 0..4 {
        db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query ILIKE 'LISTEN%' \
             AND pid <> pg_backend_pid()",
        )
        .await;
        sent.push(writer.send(&a[0], &a[1 + round], 1).await.unwrap().id());
        writer.mine_block(&addr(&a[0]), Some(3)).await.unwrap();
    }
    let mut heights = Vec::new();
    let mut pool = Vec::new();
    while let Ok(Ok(event)) = tokio::time::timeout(Duration::from_secs(3), events.recv()).await {
        match event {
            NodeEvent::BlockMined(block) => heights.push(block.height),
            NodeEvent::PoolChanged { kind, entry } => pool.push((entry.id(), kind)),
            NodeEvent::ChainReset { .. } => heights.clear(),
        }
    }
    assert_eq!(heights, (0..14).collect::<Vec<u64>>());
    let mut unique = pool.clone();
    unique.sort_by_key(|(id, kind)| (*id, *kind as u8));
    unique.dedup();
    assert_eq!(
        unique.len(),
        pool.len(),
        "a pool change came twice: {pool:?}"
    );
    for id in sent {
        assert!(
            pool.contains(&(id, PoolChangeKind::Added)),
            "send {id} never announced: {pool:?}"
        );
    }
}
