//! A long valid chain with signed payments, built with the one chain builder
//! (`chain::testing::ChainBuilder`), for imports, syncs and benchmarks.

use std::collections::VecDeque;
use std::sync::Arc;

use pocket_chain::chain::archive::{Archive, ArchiveParams};
use pocket_chain::chain::testing::{ChainBuilder, GENESIS_TIME, key, tip_of};
use pocket_chain::chain::{OutPoint, Params, SecretKey, Transaction, TxOut, Utxo};
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
    ChainBuilder::with_bits(BUILT_CHAIN_DIFFICULTY).params
}

/// A valid chain of `blocks` blocks: after five empty ones, each has 5 transactions, each
/// spending the oldest unspent output (one input, signed) to the next key.
pub fn built_chain(blocks: u64) -> (Archive, Vec<(Transaction, Vec<Utxo>)>) {
    let builder = ChainBuilder::with_bits(BUILT_CHAIN_DIFFICULTY);
    let params = &builder.params;
    let keys: Vec<SecretKey> = (1..=KEYS).map(key).collect();
    let owner = |pkh| {
        keys.iter()
            .position(|k| k.public_key().pubkey_hash() == pkh)
            .unwrap()
    };
    let mut unspent: VecDeque<(OutPoint, Utxo)> = VecDeque::new();
    let mut tip = None;
    let mut out = Vec::with_capacity(blocks as usize);
    let mut signed = Vec::new();
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
        let block = builder.block_on(tip.as_ref(), miner, txs, GENESIS_TIME + height);
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
        tip = Some(tip_of(&block, height));
        out.push(block);
    }
    let archive = Archive {
        params: ArchiveParams::from(params),
        blocks: out,
        wallets: None,
    };
    (archive, signed)
}
