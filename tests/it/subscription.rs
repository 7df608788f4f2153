//! Subscriptions: blocks and pool changes pushed over both WebSocket protocols, each block once
//! and in order; a subscriber that falls behind the in-process channel catches up from the
//! database; subscribers follow a reset.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use pocket_chain::graphql::{self, QueryLimits};
use pocket_chain::node::{Node, NodeConfig, NodeEvent, PoolChangeKind};

use crate::app::spawn_app;
use pocket_testkit::on_both_backends;
use pocket_testkit::{Backend, TestDb, addr, keystore, next_json, reset, subscribe, test_config};

on_both_backends!(
    subscribers_get_every_block_once_in_order,
    a_block_feed_is_counted_once_it_knows_where_it_starts,
    legacy_websocket_protocol_works,
    pool_changes_are_pushed,
    lagging_subscriber_catches_up_by_height,
    subscribers_follow_a_reset_from_genesis
);

async fn subscribers_get_every_block_once_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let miner = app.new_wallet().await;
    let before = app.node.subscriber_count();
    let mut first = subscribe(
        &app.base,
        "graphql-transport-ws",
        "subscription { blockMined { height hash txCount } }",
    )
    .await;
    let mut second = subscribe(
        &app.base,
        "graphql-transport-ws",
        "subscription { blockMined { height } }",
    )
    .await;
    app.await_subscribers(before, 2).await;
    for expected in 0..6u64 {
        let mined = Instant::now();
        let block = app.mine(&miner, Some(0)).await;
        assert_eq!(block["data"]["mineBlock"]["height"], expected);
        for ws in [&mut first, &mut second] {
            let message = next_json(ws).await;
            assert_eq!(message["type"], "next", "{message}");
            assert_eq!(
                message["payload"]["data"]["blockMined"]["height"], expected,
                "{message}"
            );
            assert!(
                mined.elapsed() < Duration::from_secs(1),
                "pushed within a second"
            );
        }
    }
    // Nothing more arrives: each block came exactly once.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), first.next())
            .await
            .is_err()
    );
}

/// A `blockMined` feed reads the tip after subscribing and starts after it; it is counted only
/// then, so a block committed as soon as the count shows it is delivered, not taken for one
/// that was there before.
async fn a_block_feed_is_counted_once_it_knows_where_it_starts(backend: Backend) {
    let app = spawn_app(backend).await;
    let miner = app.new_wallet().await;
    let before = app.node.subscriber_count();
    let (events, setting_up) = app.node.subscribe_counted_later();
    assert_eq!(app.node.subscriber_count(), before);
    drop(setting_up);
    assert_eq!(app.node.subscriber_count(), before + 1);
    drop(events);
    assert_eq!(app.node.subscriber_count(), before);
    // Each new subscriber gets the block mined the moment it is counted.
    let mut feeds = Vec::new();
    for height in 0..8u64 {
        let counted = app.node.subscriber_count();
        let mut ws = subscribe(
            &app.base,
            "graphql-transport-ws",
            "subscription { blockMined { height } }",
        )
        .await;
        app.await_subscribers(counted, 1).await;
        app.mine(&miner, Some(0)).await;
        let message = next_json(&mut ws).await;
        assert_eq!(
            message["payload"]["data"]["blockMined"]["height"], height,
            "{message}"
        );
        feeds.push(ws);
    }
}

async fn legacy_websocket_protocol_works(backend: Backend) {
    let app = spawn_app(backend).await;
    let miner = app.new_wallet().await;
    let before = app.node.subscriber_count();
    let mut ws = subscribe(
        &app.base,
        "graphql-ws",
        "subscription { blockMined { height } }",
    )
    .await;
    app.await_subscribers(before, 1).await;
    app.mine(&miner, None).await;
    let message = next_json(&mut ws).await;
    assert_eq!(message["type"], "data", "{message}");
    assert_eq!(message["payload"]["data"]["blockMined"]["height"], 0);
}

async fn pool_changes_are_pushed(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.reset().await;
    let before = app.node.subscriber_count();
    let mut ws = subscribe(
        &app.base,
        "graphql-transport-ws",
        "subscription { poolChanged { from amount status error } }",
    )
    .await;
    app.await_subscribers(before, 1).await;
    app.send(&a[0], &a[1], 5).await;
    app.send(&a[3], &a[1], 5).await;
    app.mine(&a[0], Some(5)).await;
    // Only this test's entries (amount 5): the reset's own announcements may still be arriving.
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let message = next_json(&mut ws).await;
        let change = &message["payload"]["data"]["poolChanged"];
        if change["amount"] == 5 {
            seen.push(change["status"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen, vec!["PENDING", "REJECTED", "MINED"]);
}

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
    let schema = graphql::schema(
        node.clone(),
        pocket_chain::net::Network::new(node.clone(), None),
        QueryLimits::default(),
    );
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
    node.reset_system(pocket_chain::node::ResetTarget::Training)
        .await
        .unwrap();
    let schema = graphql::schema(
        node.clone(),
        pocket_chain::net::Network::new(node.clone(), None),
        QueryLimits::default(),
    );
    let request = async_graphql::Request::new("subscription { blockMined { height } }")
        .data(graphql::loader_for(node.clone()));
    let mut stream = schema.execute_stream(request);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), stream.next())
            .await
            .is_err()
    );
    // The chain is at height 9; a reset starts a new one at 0, and the subscriber follows it.
    node.reset_system(pocket_chain::node::ResetTarget::Training)
        .await
        .unwrap();
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
/// pool change twice. Each send is mined only once the watcher has announced it: an entry added
/// and mined while a relay is away is announced by its block alone (see `node::relay`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_listen_connections_lose_nothing() {
    let db = TestDb::new(Backend::Postgres).await;
    let watcher = db.node().await;
    let writer = db.node().await;
    let mut events = watcher.subscribe();
    let a = reset(&writer).await;
    let mut sent = Vec::new();
    let mut heights = Vec::new();
    let mut pool = Vec::new();
    let heard = |event: NodeEvent, heights: &mut Vec<u64>, pool: &mut Vec<_>| match event {
        NodeEvent::BlockMined(block) => heights.push(block.height),
        NodeEvent::PoolChanged { kind, entry } => pool.push((entry.id(), kind)),
        NodeEvent::ChainReset { .. } => heights.clear(),
        other => panic!("unexpected {other:?}"),
    };
    for round in 0..4 {
        db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query ILIKE 'LISTEN%' \
             AND pid <> pg_backend_pid()",
        )
        .await;
        let id = writer.send(&a[0], &a[1 + round], 1).await.unwrap().id();
        sent.push(id);
        while !pool.contains(&(id, PoolChangeKind::Added)) {
            let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
                .await
                .unwrap_or_else(|_| panic!("send {id} not announced within 10 s: {pool:?}"))
                .expect("an event");
            heard(event, &mut heights, &mut pool);
        }
        writer.mine_block(&addr(&a[0]), Some(3)).await.unwrap();
    }
    while let Ok(Ok(event)) = tokio::time::timeout(Duration::from_secs(3), events.recv()).await {
        heard(event, &mut heights, &mut pool);
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
