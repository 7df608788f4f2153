//! What the network tests share: their difficulty, a database per node, a check of each node's
//! chain through `pocket verify`, and blocks built by hand for `submitBlock`.

use std::sync::atomic::AtomicBool;

use pocket_chain::chain::{
    Block, ChainTip, OutPoint, Params, PubkeyHash, SecretKey, Transaction, TxOut, pow,
};

use crate::db::{Backend, TestDb};

/// The difficulty every node of the network tests runs (fast blocks), as a flag's value.
pub const NETWORK_BITS: &str = "8";

/// A SQLite database for each of `N` nodes.
pub async fn sqlite_databases<const N: usize>() -> [TestDb; N] {
    let mut dbs = Vec::with_capacity(N);
    for _ in 0..N {
        dbs.push(TestDb::new(Backend::Sqlite).await);
    }
    match dbs.try_into() {
        Ok(dbs) => dbs,
        Err(_) => unreachable!("exactly N databases were made"),
    }
}

/// Runs the `pocket` binary at `bin` (`env!("CARGO_BIN_EXE_pocket")`) as `pocket verify` over
/// `db`, and fails the test if the chain does not verify.
pub fn verify_chain(bin: &str, db: &TestDb) {
    let out = std::process::Command::new(bin)
        .args(["verify", "--database-url", &db.url])
        .output()
        .expect("pocket verify runs");
    assert!(
        out.status.success(),
        "verify of {}: {}",
        db.url,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Blocks built by hand for `submitBlock`: mined at the network tests' difficulty on top of a
/// tip, paying (and spent by) one key of the builder's own.
pub struct BlockBuilder {
    /// The chain's parameters (the network tests' difficulty).
    pub params: Params,
    /// The key its blocks pay, and that signs its spends.
    pub key: SecretKey,
}

impl BlockBuilder {
    /// A builder at [`NETWORK_BITS`] with its own key.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            params: Params {
                difficulty_bits: NETWORK_BITS.parse().unwrap(),
                ..Params::default()
            },
            key: SecretKey::from_bytes(&[9; 32]).unwrap(),
        }
    }

    /// A block on `tip` with `txs`, its reward to the builder's key.
    pub fn block(&self, tip: Option<&ChainTip>, txs: Vec<Transaction>, time: u64) -> Block {
        self.mined(tip, self.key.public_key().pubkey_hash(), txs, time)
    }

    /// An empty block whose reward goes to `miner`.
    pub fn block_paying(&self, tip: Option<&ChainTip>, miner: PubkeyHash, time: u64) -> Block {
        self.mined(tip, miner, vec![], time)
    }

    fn mined(
        &self,
        tip: Option<&ChainTip>,
        miner: PubkeyHash,
        txs: Vec<Transaction>,
        time: u64,
    ) -> Block {
        let mut block = Block::candidate(tip, miner, txs, &self.params, time);
        block.header = pow::search(&block.header, 1, &AtomicBool::new(false)).unwrap();
        block
    }

    /// A transaction spending `outpoints` (each the builder's coinbase of the reward) to itself.
    pub fn spend(&self, outpoints: &[OutPoint]) -> Transaction {
        let pkh = self.key.public_key().pubkey_hash();
        let value = self.params.block_reward * outpoints.len() as u64;
        let mut tx = Transaction::new_unsigned(
            outpoints,
            vec![TxOut {
                value,
                pubkey_hash: pkh,
            }],
        );
        let spent: Vec<TxOut> = outpoints
            .iter()
            .map(|_| TxOut {
                value: self.params.block_reward,
                pubkey_hash: pkh,
            })
            .collect();
        tx.sign(&self.key, &spent).unwrap();
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
