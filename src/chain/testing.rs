//! An in-memory chain for tests: keys, a UTXO map and a miner at low difficulty.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use super::{
    Block, ChainTip, OutPoint, Params, PubkeyHash, SecretKey, Transaction, TxOut, Utxo, pow,
    validate_block,
};

#[derive(Clone)]
pub(crate) struct TestChain {
    pub params: Params,
    pub tip: Option<ChainTip>,
    pub utxos: HashMap<OutPoint, Utxo>,
    pub blocks: Vec<Block>,
}

pub(crate) fn key(n: u8) -> SecretKey {
    SecretKey::from_bytes(&[n; 32]).unwrap()
}

pub(crate) fn pkh(n: u8) -> PubkeyHash {
    key(n).public_key().pubkey_hash()
}

impl TestChain {
    pub fn new() -> Self {
        let params = Params {
            difficulty_bits: 4,
            ..Params::default()
        };
        Self {
            params,
            tip: None,
            utxos: HashMap::new(),
            blocks: Vec::new(),
        }
    }

    /// A mined candidate (not yet validated or applied).
    pub fn mine_candidate(&self, miner: PubkeyHash, txs: Vec<Transaction>) -> Block {
        let mut block =
            Block::candidate(self.tip.as_ref(), miner, txs, &self.params, 1_700_000_000);
        block.header = pow::search(&block.header, 1, &AtomicBool::new(false)).unwrap();
        block
    }

    /// Re-mines a block whose fields a test changed.
    pub fn remine(&self, mut block: Block) -> Block {
        block.header = pow::search(&block.header, 1, &AtomicBool::new(false)).unwrap();
        block
    }

    pub fn mine(&mut self, miner: PubkeyHash, txs: Vec<Transaction>) -> Block {
        let block = self.mine_candidate(miner, txs);
        self.accept(&block);
        block
    }

    pub fn accept(&mut self, block: &Block) {
        let changes = validate_block(block, self.tip.as_ref(), &self.params, &self.utxos).unwrap();
        changes.apply(&mut self.utxos);
        self.tip = Some(ChainTip {
            hash: block.hash(),
            height: block.height().unwrap(),
        });
        self.blocks.push(block.clone());
    }

    /// A signed payment of `amount` from key `from` to `to`, change back to `from`.
    pub fn pay(&self, from: u8, to: PubkeyHash, amount: u64) -> Transaction {
        let owner = pkh(from);
        let mut coins: Vec<(OutPoint, Utxo)> = self
            .utxos
            .iter()
            .filter(|(_, u)| u.output.pubkey_hash == owner)
            .map(|(o, u)| (*o, *u))
            .collect();
        coins.sort_by_key(|(o, _)| *o);
        let mut total = 0;
        let mut inputs = Vec::new();
        let mut spent = Vec::new();
        for (o, u) in coins {
            if total >= amount {
                break;
            }
            total += u.output.value;
            inputs.push(o);
            spent.push(u.output);
        }
        assert!(total >= amount, "test wallet {from} cannot pay {amount}");
        let mut outputs = vec![TxOut {
            value: amount,
            pubkey_hash: to,
        }];
        if total > amount {
            outputs.push(TxOut {
                value: total - amount,
                pubkey_hash: owner,
            });
        }
        let mut tx = Transaction::new_unsigned(&inputs, outputs);
        tx.sign(&key(from), &spent).unwrap();
        tx
    }
}
