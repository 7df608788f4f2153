//! The dev chain's costs on both backends: a snapshot and a revert of 10 blocks on chains of
//! 1,000 and 10,000 blocks (both should cost the same: O(changes), not O(chain)), and importing a
//! 10,000-block archive with 5 signed transactions per block next to the bare signature
//! verification rate of all cores, measured in the same run.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pocket_chain::chain::tx_check::verify_signatures;
use pocket_chain::chain::{SecretKey, sig_cache};
use pocket_testkit::{Backend, TestDb, built_chain, built_chain_node};
use rayon::prelude::*;
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn backends() -> [(Backend, &'static str); 2] {
    [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")]
}

fn snapshot_and_revert(c: &mut Criterion) {
    pocket_testkit::DURABLE_PG.store(true, Ordering::Relaxed);
    let rt = runtime();
    let mut group = c.benchmark_group("snapshot_revert");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    let miner = SecretKey::from_bytes(&[1; 32])
        .unwrap()
        .public_key()
        .address();
    for blocks in [1_000u64, 10_000] {
        let bytes = built_chain(blocks).0.encode();
        for (backend, name) in backends() {
            let (_db, node) = rt.block_on(async {
                let db = TestDb::new(backend).await;
                let node = built_chain_node(&db).await;
                node.import_chain(bytes.clone(), |_, _| {}).await.unwrap();
                (db, node)
            });
            group.bench_function(format!("{name}/snapshot_at_{blocks}"), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let mut spent = Duration::ZERO;
                        for _ in 0..iters {
                            let started = Instant::now();
                            let snapshot = node.snapshot(None).await.unwrap();
                            spent += started.elapsed();
                            node.delete_snapshot(snapshot.id).await.unwrap();
                        }
                        spent
                    })
                })
            });
            group.bench_function(format!("{name}/revert_10_blocks_at_{blocks}"), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let mut spent = Duration::ZERO;
                        for _ in 0..iters {
                            let snapshot = node.snapshot(None).await.unwrap();
                            node.mine_blocks(&miner, 10, Some(0), |_| {}).await.unwrap();
                            let started = Instant::now();
                            node.revert(snapshot.id).await.unwrap();
                            spent += started.elapsed();
                            node.delete_snapshot(snapshot.id).await.unwrap();
                        }
                        spent
                    })
                })
            });
        }
    }
    group.finish();
}

fn import(c: &mut Criterion) {
    pocket_testkit::DURABLE_PG.store(true, Ordering::Relaxed);
    let rt = runtime();
    let (archive, signed) = built_chain(10_000);
    let signatures = signed.len() as u64;
    let bytes = archive.encode();
    let mut group = c.benchmark_group("import");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(signatures));
    group.bench_function("bare_signature_checks_all_cores", |b| {
        b.iter(|| {
            // Every signature verified, none found in the cache of an earlier iteration.
            sig_cache::clear();
            signed.par_iter().for_each(|(tx, spent)| {
                verify_signatures(tx, &tx.txid(), spent).unwrap();
            })
        })
    });
    let (_checker_db, checker) = rt.block_on(async {
        let db = TestDb::new(Backend::Sqlite).await;
        let node = built_chain_node(&db).await;
        (db, node)
    });
    group.bench_function("check_10000_blocks_without_writing", |b| {
        b.iter(|| {
            sig_cache::clear();
            rt.block_on(checker.check_archive(bytes.clone(), |_, _| {}))
                .unwrap()
        })
    });
    for (backend, name) in backends() {
        sig_cache::clear();
        let report = rt.block_on(async {
            let db = TestDb::new(backend).await;
            built_chain_node(&db)
                .await
                .import_chain(bytes.clone(), |_, _| {})
                .await
                .unwrap()
        });
        eprintln!(
            "{name} import: every check passed after {:?}, committed after {:?}",
            report.checked_in, report.elapsed
        );
        group.bench_function(format!("{name}/import_10000_blocks"), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iters {
                        let db = TestDb::new(backend).await;
                        let node = built_chain_node(&db).await;
                        sig_cache::clear();
                        let started = Instant::now();
                        node.import_chain(bytes.clone(), |_, _| {}).await.unwrap();
                        spent += started.elapsed();
                    }
                    spent
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, import, snapshot_and_revert);
criterion_main!(benches);
