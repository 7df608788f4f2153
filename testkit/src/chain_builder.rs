//! A valid chain built in memory, for benchmarks that need many blocks with signed payments.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use pocket_chain::chain::archive::{Archive, ArchiveParams};
use pocket_chain::chain::{
    Block, ChainTip, OutPoint, Params, SecretKey, Transaction, TxOut, Utxo, pow,
};
use pocket_chain::node::Node;

use crate::db::TestDb;
use crate::fixtures::{keystore, test_config};

/// Low, so that generating 10,000 blocks stays quick; validation's cost is the signatures.
pub const BUILT_CHAIN_DIFFICULTY: u32 = 8;
const KEYS: u8 = 8;
const TXS_PER_BLOCK: usize = 5;

/// A node over `db` running [`built_chain`]'s parameters, with the tests' keystore.
pub async fn built_chain_node(db: &TestDb) -> Arc<Node> {
    let mut config = test_config();
    config.params = built_chain_params();
    Arc::new(
        Node::open(db.store().await, config, keystore())
            .await
            .expect("node opens"),
    )
}

/// The parameters of [`built_chain`]'s chains.
pub fn built_chain_params() -> Params {
    Params {
        difficulty_bits: BUILT_CHAIN_DIFFICULTY,
        ..Params::default()
    }
}

/// A valid chain of `blocks` blocks: after five empty ones, each has 5 transactions, each
/// spending the oldest unspent output (one input, signed) to the next key.
pub fn built_chain(blocks: u64) -> (Archive, Vec<(Transaction, Vec<Utxo>)>) {
    let params = built_chain_params();
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
