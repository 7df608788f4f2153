//! The dev chain's costs on both backends: a snapshot and a revert of 10 blocks on chains of
//! 1,000 and 10,000 blocks (both should cost the same: O(changes), not O(chain)), and importing a
//! 10,000-block archive with 5 signed transactions per block next to the bare signature
//! verification rate of all cores, measured in the same run.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pocket_chain::chain::archive::{Archive, ArchiveParams};
use pocket_chain::chain::tx_check::verify_signatures;
use pocket_chain::chain::{
    Block, ChainTip, OutPoint, Params, SecretKey, Transaction, TxOut, Utxo, pow,
};
use pocket_chain::node::Node;
use pocket_testkit::{Backend, TestDb, keystore, test_config};
use rayon::prelude::*;
use tokio::runtime::Runtime;

/// Low, so that generating 10,000 blocks stays quick; validation's cost is the signatures.
const DIFFICULTY: u32 = 8;
const KEYS: u8 = 8;
const TXS_PER_BLOCK: usize = 5;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn params() -> Params {
    Params {
        difficulty_bits: DIFFICULTY,
        ..Params::default()
    }
}

async fn node_on(db: &TestDb) -> Arc<Node> {
    let mut config = test_config();
    config.params = params();
    Arc::new(
        Node::open(db.store().await, config, keystore())
            .await
            .unwrap(),
    )
}

/// A valid chain of `blocks` blocks: after five empty ones, each has 5 transactions, each
/// spending the oldest unspent output (one input, signed) to the next key.
fn chain(blocks: u64) -> (Archive, Vec<(Transaction, Vec<Utxo>)>) {
    let params = params();
    let keys: Vec<SecretKey> = (1..=KEYS)
        .map(|n| SecretKey::from_bytes(&[n; 32]).unwrap())
        .collect();
    let owner = |pkh| {
        keys.iter()
            .position(|k| k.public_key().pubkey_hash() == pkh)
            .unwrap()
    };
    let mut unspent: VecDeque<(OutPoint, Utxo)> = VecDeque::new();
    let mut tip: Option<ChainTip> = None;
    let mut out = Vec::with_capacity(blocks as usize);
    let mut signed = Vec::new();
    let never = AtomicBool::new(false);
    for height in 0..blocks {
        let mut txs = Vec::new();
        while height >= 5 && txs.len() < TXS_PER_BLOCK {
            let (outpoint, utxo) = unspent.pop_front().unwrap();
            let from = owner(utxo.output.pubkey_hash);
            let to = keys[(from + 1) % keys.len()].public_key().pubkey_hash();
            let mut tx = Transaction::new_unsigned(
                &[outpoint],
                vec![TxOut {
                    value: utxo.output.value,
                    pubkey_hash: to,
                }],
            );
            tx.sign(&keys[from], &[utxo.output]).unwrap();
            signed.push((tx.clone(), vec![utxo]));
            txs.push(tx);
        }
        let miner = keys[height as usize % keys.len()]
            .public_key()
            .pubkey_hash();
        let mut block = Block::candidate(tip.as_ref(), miner, txs, &params, 1_700_000_000 + height);
        block.header = pow::search(&block.header, 1, &never).unwrap();
        for (tx_index, tx) in block.transactions.iter().enumerate() {
            let txid = tx.txid();
            for (vout, output) in tx.outputs.iter().enumerate() {
                let outpoint = OutPoint {
                    txid,
                    vout: vout as u32,
                };
                let utxo = Utxo {
                    output: *output,
                    height,
                    coinbase: tx_index == 0,
                };
                unspent.push_back((outpoint, utxo));
            }
        }
        tip = Some(ChainTip {
            hash: block.hash(),
            height,
        });
        out.push(block);
    }
    let archive = Archive {
        params: ArchiveParams {
            difficulty_bits: params.difficulty_bits,
            block_reward: params.block_reward,
            max_block_txs: params.max_block_txs as u32,
        },
        blocks: out,
        wallets: None,
    };
    (archive, signed)
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
        let bytes = chain(blocks).0.encode();
        for (backend, name) in backends() {
            let (_db, node) = rt.block_on(async {
                let db = TestDb::new(backend).await;
                let node = node_on(&db).await;
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
    let (archive, signed) = chain(10_000);
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
            signed.par_iter().for_each(|(tx, spent)| {
                verify_signatures(tx, &tx.txid(), spent).unwrap();
            })
        })
    });
    let (_checker_db, checker) = rt.block_on(async {
        let db = TestDb::new(Backend::Sqlite).await;
        let node = node_on(&db).await;
        (db, node)
    });
    group.bench_function("check_10000_blocks_without_writing", |b| {
        b.iter(|| {
            rt.block_on(checker.check_archive(bytes.clone(), |_, _| {}))
                .unwrap()
        })
    });
    for (backend, name) in backends() {
        let report = rt.block_on(async {
            let db = TestDb::new(backend).await;
            node_on(&db)
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
                        let node = node_on(&db).await;
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
