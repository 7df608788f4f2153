//! The network's costs, measured in one run on this machine (a bench binary: each figure is one
//! long operation, not a loop criterion could time):
//!
//! - a new node syncing a 10,000-block chain (5 signed transactions per block) from a peer over
//!   loopback, next to importing the same chain from an archive, on both backends;
//! - the time from a block's commit on one node to its commit on a peer, both ways along one
//!   link: the follower hears of it and fetches it (pull), and the miner announces it with
//!   `submitBlock` (push).
//!
//! `NET_ONLY=sqlite` (or `postgres`) syncs on that backend alone.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pocket_chain::chain::{Address, BlockHash, SecretKey, sig_cache};
use pocket_chain::net::Network;
use pocket_chain::node::{Node, NodeEvent};
use pocket_chain::server::{self, ServerConfig};
use pocket_testkit::{Backend, TestDb, built_chain, built_chain_node};

const CHAIN: u64 = 10_000;
const LATENCY_SAMPLES: usize = 50;

/// Serves `node` on a loopback port until the process ends; its base URL.
async fn serve(node: Arc<Node>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::run(
        listener,
        node,
        ServerConfig::default(),
        std::future::pending(),
    ));
    base
}

async fn wait_for_height(node: &Node, height: u64) {
    while node.chain_info().await.unwrap().height != Some(height) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// When each block was committed on `node`, as its subscribers hear it.
fn arrivals(node: &Node) -> Arc<Mutex<HashMap<BlockHash, Instant>>> {
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let mut events = node.subscribe();
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            if let NodeEvent::BlockMined(block) = event {
                record.lock().unwrap().insert(block.hash, Instant::now());
            }
        }
    });
    seen
}

/// Mines `LATENCY_SAMPLES` blocks on `from`, one at a time, each once the last has reached `to`;
/// the times from each commit to its arrival on `to`.
async fn latencies(from: &Node, to: &Node, miner: &Address) -> Vec<Duration> {
    let arrived = arrivals(to);
    let mut out = Vec::with_capacity(LATENCY_SAMPLES);
    for _ in 0..LATENCY_SAMPLES {
        let block = from.mine_block(miner, Some(0)).await.unwrap();
        let committed = Instant::now();
        let deadline = committed + Duration::from_secs(10);
        loop {
            if let Some(at) = arrived.lock().unwrap().get(&block.hash) {
                out.push(at.saturating_duration_since(committed));
                break;
            }
            assert!(
                Instant::now() < deadline,
                "block {} never arrived",
                block.hash
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    out.sort();
    out
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    pocket_testkit::DURABLE_PG.store(true, Ordering::Relaxed);
    let (archive, _) = built_chain(CHAIN);
    let bytes = archive.encode();
    println!("chain: {CHAIN} blocks, 5 signed transactions per block after the fifth");
    for (backend, name) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
        if std::env::var("NET_ONLY").is_ok_and(|o| o != name) {
            continue;
        }
        // Each node verifies its own signatures (the nodes share this process's cache).
        sig_cache::clear();
        let import_db = TestDb::new(backend).await;
        let importer = built_chain_node(&import_db).await;
        let started = Instant::now();
        importer
            .import_chain(bytes.clone(), |_, _| {})
            .await
            .unwrap();
        let import = started.elapsed();

        let source_db = TestDb::new(backend).await;
        let source = built_chain_node(&source_db).await;
        source.import_chain(bytes.clone(), |_, _| {}).await.unwrap();
        let base = serve(source.clone()).await;
        let follower_db = TestDb::new(backend).await;
        let follower = built_chain_node(&follower_db).await;
        let network = Network::new(follower.clone(), None);
        sig_cache::clear();
        let started = Instant::now();
        network.add_peer(&base, None).unwrap();
        wait_for_height(&follower, CHAIN - 1).await;
        let sync = started.elapsed();
        network.shutdown();
        let rate = |d: Duration| CHAIN as f64 / d.as_secs_f64();
        println!(
            "{name}: import {:.2} s ({:.0} blocks/s); sync from a peer {:.2} s ({:.0} blocks/s, {:.2}× import)",
            import.as_secs_f64(),
            rate(import),
            sync.as_secs_f64(),
            rate(sync),
            rate(sync) / rate(import),
        );
    }

    // Latency along one link (B follows A) on SQLite, both ways.
    let miner = SecretKey::from_bytes(&[3; 32])
        .unwrap()
        .public_key()
        .address();
    let (db_a, db_b) = (
        TestDb::new(Backend::Sqlite).await,
        TestDb::new(Backend::Sqlite).await,
    );
    let (a, b) = (built_chain_node(&db_a).await, built_chain_node(&db_b).await);
    a.mine_block(&miner, Some(0)).await.unwrap();
    let base_a = serve(a.clone()).await;
    let network = Network::new(b.clone(), None);
    network.add_peer(&base_a, None).unwrap();
    wait_for_height(&b, 0).await;
    // Let the link settle into following before timing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (label, from, to) in [
        ("pull (A mines, B hears and fetches)", &a, &b),
        ("push (B mines, announces to A)", &b, &a),
    ] {
        let times = latencies(from, to, &miner).await;
        println!(
            "commit-to-commit latency, {label}: median {}, p90 {}, max {} ({LATENCY_SAMPLES} blocks)",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 9 / 10]),
            ms(times[times.len() - 1]),
        );
    }
}
