//! The one chain builder of the tests and benchmarks: keys, a UTXO view and a miner at low
//! difficulty. Unit tests use it here; `testkit` (integration tests, benches) re-exports it.
//! Built only for tests and with the `testing` feature.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use super::{
    Block, ChainTip, OutPoint, Params, PubkeyHash, SecretKey, Transaction, TxOut, Utxo, pow,
    validate_block,
};

/// The time of the builder's first block; later ones follow a second apart unless given.
pub const GENESIS_TIME: u64 = 1_700_000_000;

/// Test key `n` (its secret is 32 bytes of `n`).
pub fn key(n: u8) -> SecretKey {
    SecretKey::from_bytes(&[n; 32]).expect("a test key is a valid scalar")
}

/// The pubkey hash of test key `n`.
pub fn pkh(n: u8) -> PubkeyHash {
    key(n).public_key().pubkey_hash()
}

/// A chain grown in memory. Its own blocks pay and are spent by test keys; blocks on other tips
/// (forks, orphans, blocks for `submitBlock`) are built with [`ChainBuilder::block_on`].
#[derive(Clone)]
pub struct ChainBuilder {
    /// The chain's parameters.
    pub params: Params,
    /// The tip of the blocks accepted so far.
    pub tip: Option<ChainTip>,
    /// The chainstate after them.
    pub utxos: HashMap<OutPoint, Utxo>,
    /// The blocks accepted, from genesis.
    pub blocks: Vec<Block>,
    /// The key [`ChainBuilder::block`] pays and [`ChainBuilder::spend`] signs with.
    pub key: SecretKey,
}

impl Default for ChainBuilder {
    /// At 4 bits: a block is found in a few dozen hashes.
    fn default() -> Self {
        Self::with_bits(4)
    }
}

impl ChainBuilder {
    /// A builder at the unit tests' difficulty (4 bits).
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder whose blocks need `difficulty_bits` leading zero bits; its own key is key 9.
    pub fn with_bits(difficulty_bits: u32) -> Self {
        Self {
            params: Params {
                difficulty_bits,
                ..Params::default()
            },
            tip: None,
            utxos: HashMap::new(),
            blocks: Vec::new(),
            key: key(9),
        }
    }

    /// A mined block on any `tip`, with `txs`, its reward to `miner`, at `time`.
    pub fn block_on(
        &self,
        tip: Option<&ChainTip>,
        miner: PubkeyHash,
        txs: Vec<Transaction>,
        time: u64,
    ) -> Block {
        self.remine(Block::candidate(tip, miner, txs, &self.params, time))
    }

    /// A mined block on `tip` with `txs`, its reward to the builder's own key.
    pub fn block(&self, tip: Option<&ChainTip>, txs: Vec<Transaction>, time: u64) -> Block {
        self.block_on(tip, self.key.public_key().pubkey_hash(), txs, time)
    }

    /// An empty mined block on `tip` whose reward goes to `miner`.
    pub fn block_paying(&self, tip: Option<&ChainTip>, miner: PubkeyHash, time: u64) -> Block {
        self.block_on(tip, miner, vec![], time)
    }

    /// A mined block on the builder's tip (not yet validated or accepted).
    pub fn mine_candidate(&self, miner: PubkeyHash, txs: Vec<Transaction>) -> Block {
        self.block_on(self.tip.as_ref(), miner, txs, GENESIS_TIME)
    }

    /// Mines again a block whose fields a test changed.
    pub fn remine(&self, mut block: Block) -> Block {
        block.header = pow::search(&block.header, 1, &AtomicBool::new(false))
            .expect("a test difficulty is always met");
        block
    }

    /// Mines a block on the tip and accepts it.
    pub fn mine(&mut self, miner: PubkeyHash, txs: Vec<Transaction>) -> Block {
        let block = self.mine_candidate(miner, txs);
        self.accept(&block);
        block
    }

    /// Validates `block` in full on the tip, applies it and makes it the tip.
    pub fn accept(&mut self, block: &Block) {
        let changes = validate_block(block, self.tip.as_ref(), &self.params, &self.utxos)
            .expect("the builder's block is valid");
        changes.apply(&mut self.utxos);
        let height = block.height().expect("the builder's block has a height");
        self.tip = Some(tip_of(block, height));
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
        tx.sign(&key(from), &spent)
            .expect("the inputs are the key's");
        tx
    }

    /// A transaction spending `outpoints` (each a coinbase of the reward to the builder's own
    /// key) back to that key, without looking them up: for blocks on tips the builder never saw.
    pub fn spend(&self, outpoints: &[OutPoint]) -> Transaction {
        let pkh = self.key.public_key().pubkey_hash();
        let reward = TxOut {
            value: self.params.block_reward,
            pubkey_hash: pkh,
        };
        let mut tx = Transaction::new_unsigned(
            outpoints,
            vec![TxOut {
                value: reward.value * outpoints.len() as u64,
                pubkey_hash: pkh,
            }],
        );
        tx.sign(&self.key, &vec![reward; outpoints.len()])
            .expect("the inputs are the key's");
        tx
    }
}

/// The tip a block at `height` makes.
pub fn tip_of(block: &Block, height: u64) -> ChainTip {
    ChainTip {
        hash: block.hash(),
        height,
    }
}

/// The output a block's coinbase pays.
pub fn coinbase_of(block: &Block) -> OutPoint {
    OutPoint {
        txid: block.transactions[0].txid(),
        vout: 0,
    }
}
