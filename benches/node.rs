//! The node's write path on both backends: send + mine latency at chain height 10 and 10,000,
//! and sends per second from many concurrent senders next to the store's own durable
//! single-row commit rate, measured in the same run; and blocks per second through
//! `mineBlocks(count: 1000)` next to 1,000 single `mineBlock` calls.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pocket_chain::node::Node;
use pocket_testkit::{Backend, CommitProbe, TestDb, addr};
use tokio::runtime::Runtime;

const SENDERS: usize = 32;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn backends() -> [(Backend, &'static str); 2] {
    [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")]
}

/// Mines empty blocks until the tip is at `height`, then refreshes the planner's statistics as
/// autovacuum would on a running server (growing 10,000 blocks in a minute outpaces it).
async fn grow(db: &TestDb, node: &Node, miner: &str, height: u64) {
    while node.chain_info().await.unwrap().height.unwrap_or(0) < height {
        node.mine_block(&addr(miner), Some(0)).await.unwrap();
    }
    db.execute("ANALYZE").await;
}

fn send_and_mine(c: &mut Criterion) {
    pocket_testkit::DURABLE_PG.store(true, Ordering::Relaxed);
    let rt = runtime();
    let mut group = c.benchmark_group("send_and_mine");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    for (backend, name) in backends() {
        let (db, node, a) = rt.block_on(async {
            let db = TestDb::new(backend).await;
            let node = db.node().await;
            let a = pocket_testkit::reset(&node).await;
            // Clear the two pending sends so the first wallet's payments are the only traffic.
            node.mine_block(&addr(&a[0]), None).await.unwrap();
            (db, node, a)
        });
        for height in [10u64, 10_000] {
            rt.block_on(grow(&db, &node, &a[0], height));
            group.bench_function(format!("{name}/height_{height}"), |b| {
                b.iter(|| {
                    rt.block_on(async {
                        node.send(&a[0], &a[2], 1).await.unwrap();
                        node.mine_block(&addr(&a[0]), None).await.unwrap();
                    })
                })
            });
        }
        drop(node);
        drop(db);
    }
    group.finish();
}

fn concurrent_sends(c: &mut Criterion) {
    pocket_testkit::DURABLE_PG.store(true, Ordering::Relaxed);
    let rt = runtime();
    let mut group = c.benchmark_group("write_path");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for (backend, name) in backends() {
        let (db, node, senders) = rt.block_on(async {
            let db = TestDb::new(backend).await;
            let node = db.node().await;
            let mut senders = Vec::new();
            for _ in 0..SENDERS {
                let address = node.new_wallet().await.unwrap().address.to_string();
                node.mine_block(&addr(&address), Some(0)).await.unwrap();
                senders.push(address);
            }
            (db, node, senders)
        });

        group.throughput(Throughput::Elements(1));
        let mut probe = rt.block_on(CommitProbe::new(&db));
        group.bench_function(format!("{name}/durable_single_row_commit"), |b| {
            b.iter(|| rt.block_on(probe.commit_one()))
        });

        group.throughput(Throughput::Elements(SENDERS as u64));
        group.bench_function(format!("{name}/{SENDERS}_concurrent_sends"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        let tasks: Vec<_> = (0..SENDERS)
                            .map(|i| {
                                let node: Arc<Node> = node.clone();
                                let (from, to) =
                                    (senders[i].clone(), senders[(i + 1) % SENDERS].clone());
                                tokio::spawn(async move { node.send(&from, &to, 1).await.unwrap() })
                            })
                            .collect();
                        for t in tasks {
                            t.await.unwrap();
                        }
                        timed += start.elapsed();
                        // Untimed: mine them so every sender is unlocked for the next round.
                        node.mine_block(&addr(&senders[0]), Some(SENDERS as i64))
                            .await
                            .unwrap();
                    }
                    timed
                })
            })
        });
    }
    group.finish();
}

/// Empty blocks (difficulty 12) mined one per `mineBlock` call next to 1,000 per `mineBlocks`
/// call, per block: with nothing to include, the many-block path searches a run's blocks in memory
/// and writes them together, so it costs less than single blocks do.
fn many_blocks(c: &mut Criterion) {
    pocket_testkit::DURABLE_PG.store(true, Ordering::Relaxed);
    let rt = runtime();
    let mut group = c.benchmark_group("many_blocks");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(1000));
    for (backend, name) in backends() {
        let (db, node, miner) = rt.block_on(async {
            let db = TestDb::new(backend).await;
            let node = db.node().await;
            let miner = node.new_wallet().await.unwrap().address;
            node.mine_block(&miner, Some(0)).await.unwrap();
            (db, node, miner)
        });
        group.bench_function(format!("{name}/mine_block_1000_times"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    for _ in 0..1000 {
                        node.mine_block(&miner, Some(0)).await.unwrap();
                    }
                })
            })
        });
        group.bench_function(format!("{name}/mine_blocks_1000"), |b| {
            b.iter(|| {
                rt.block_on(node.mine_blocks(&miner, 1000, Some(0), |_| {}))
                    .unwrap()
            })
        });
        drop(node);
        drop(db);
    }
    group.finish();
}

criterion_group!(benches, concurrent_sends, send_and_mine, many_blocks);
criterion_main!(benches);
