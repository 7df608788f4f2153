//! Hot paths of the chain core: nonce search against a bare double SHA-256 loop, signature
//! verification, and validating a block of 1,000 transactions.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use k256::ecdsa::SigningKey;
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use pocket_chain::chain::hash::sha256d;
use pocket_chain::chain::pow::Midstate;
use pocket_chain::chain::testing::{ChainBuilder, GENESIS_TIME, key};
use pocket_chain::chain::{
    Block, BlockHash, BlockHeader, ChainTip, MerkleRoot, OutPoint, Params, SecretKey, Transaction,
    TxOut, Txid, Utxo, sig_cache, validate_block,
};

const NONCES: u64 = 200_000;

fn header() -> BlockHeader {
    BlockHeader {
        version: 1,
        prev_hash: BlockHash([7; 32]),
        merkle_root: MerkleRoot([9; 32]),
        timestamp: 1_700_000_000,
        // No nonce meets 64 bits in practice, so a scan always runs its full count.
        bits: 64,
        nonce: 0,
    }
}

fn nonce_search(c: &mut Criterion) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let mut group = c.benchmark_group("pow");
    group.throughput(Throughput::Elements(NONCES));
    group.bench_function("bare_double_sha256_of_header", |b| {
        let mut h = header();
        b.iter(|| {
            let mut zeros = 0u32;
            for nonce in 0..NONCES {
                h.nonce = nonce;
                zeros |= u32::from(sha256d(&h.encode())[0] == 0);
            }
            black_box(zeros)
        })
    });
    let midstate = Midstate::new(&header());
    group.bench_function("midstate_search_1_thread", |b| {
        b.iter(|| black_box(midstate.scan(0, 1, NONCES)))
    });
    group.bench_function(format!("midstate_search_{threads}_threads"), |b| {
        b.iter(|| {
            std::thread::scope(|s| {
                for t in 0..threads {
                    let midstate = &midstate;
                    s.spawn(move || black_box(midstate.scan(t, threads, NONCES / threads)));
                }
            })
        })
    });
    group.finish();
}

fn signatures(c: &mut Criterion) {
    let key = SecretKey::from_bytes(&[5; 32]).unwrap();
    let public = key.public_key();
    let digest = [3u8; 32];
    let signature = key.sign_digest(&digest);
    let mut group = c.benchmark_group("ecdsa");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify", |b| {
        b.iter(|| black_box(public.verify_digest(&digest, &signature)))
    });
    group.bench_function("sign", |b| b.iter(|| black_box(key.sign_digest(&digest))));
    // The same verification through k256 (pure Rust), which signs.
    let k256_public = *SigningKey::from_slice(&[5; 32]).unwrap().verifying_key();
    group.bench_function("verify, k256", |b| {
        b.iter(|| black_box(k256_public.verify_prehash(&digest, &signature).is_ok()))
    });
    group.finish();
}

/// A mined block of `n` payments (plus its coinbase) and the chainstate it spends from.
fn block_of(n: usize) -> (Block, ChainTip, HashMap<OutPoint, Utxo>, Params) {
    let params = Params::default();
    let keys: Vec<SecretKey> = (1..=50u8).map(key).collect();
    let mut view = HashMap::new();
    let mut txs = Vec::with_capacity(n);
    for i in 0..n {
        let key = &keys[i % keys.len()];
        let owner = key.public_key().pubkey_hash();
        let mut txid = [0u8; 32];
        txid[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let outpoint = OutPoint {
            txid: Txid(txid),
            vout: 0,
        };
        let utxo = Utxo {
            output: TxOut {
                value: 20,
                pubkey_hash: owner,
            },
            height: 1,
            coinbase: false,
        };
        view.insert(outpoint, utxo);
        let to = keys[(i + 1) % keys.len()].public_key().pubkey_hash();
        let mut tx = Transaction::new_unsigned(
            &[outpoint],
            vec![
                TxOut {
                    value: 15,
                    pubkey_hash: to,
                },
                TxOut {
                    value: 5,
                    pubkey_hash: owner,
                },
            ],
        );
        tx.sign(key, &[utxo.output]).unwrap();
        txs.push(tx);
    }
    let tip = ChainTip {
        hash: BlockHash([1; 32]),
        height: 1,
    };
    let block = ChainBuilder::with_bits(params.difficulty_bits).block_on(
        Some(&tip),
        keys[0].public_key().pubkey_hash(),
        txs,
        GENESIS_TIME,
    );
    (block, tip, view, params)
}

fn block_validation(c: &mut Criterion) {
    let (block, tip, view, params) = block_of(1_000);
    let mut group = c.benchmark_group("validate_block");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("1000_txs_all_cores", |b| {
        b.iter(|| {
            sig_cache::clear();
            validate_block(&block, Some(&tip), &params, &view).unwrap()
        })
    });
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    group.bench_function("1000_txs_1_core", |b| {
        b.iter(|| {
            sig_cache::clear();
            one.install(|| validate_block(&block, Some(&tip), &params, &view).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, nonce_search, signatures, block_validation);
criterion_main!(benches);
