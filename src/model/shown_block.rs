//! A block as pages show it: its transactions' ids, the outputs its inputs spend, and every
//! address as text. A block's hash names its contents for good (and an outpoint the output it
//! names), so all of this is computed once per block and may be kept for as long as wanted.

use std::sync::{Arc, OnceLock};

use crate::chain::{Address, Transaction, TxOut, Txid};
use crate::model::{StoredBlock, TxLocation};

/// A block with its shown parts, rendered on first use.
#[derive(Debug)]
pub struct ShownBlock {
    /// The block.
    pub stored: Arc<StoredBlock>,
    /// The output each input spends (none for a coinbase input), per transaction; `None` where
    /// the node did not read them (a side block, or a block just announced).
    spends: Option<Vec<Vec<Option<TxOut>>>>,
    txs: OnceLock<Vec<ShownTx>>,
}

/// A transaction's shown parts.
#[derive(Debug)]
pub struct ShownTx {
    /// Its id.
    pub txid: Txid,
    /// Its id as hex.
    pub id: String,
    /// Its outputs.
    pub outputs: Vec<ShownOutput>,
    /// What each input spends (`None` for a coinbase input); `None` when not read.
    pub spends: Option<Vec<Option<ShownOutput>>>,
}

/// An output: its value, and its address as Base58Check.
#[derive(Debug, Clone)]
pub struct ShownOutput {
    /// The output.
    pub output: TxOut,
    /// Its address, Base58Check.
    pub address: String,
}

impl From<TxOut> for ShownOutput {
    fn from(output: TxOut) -> Self {
        Self {
            address: Address::from(output.pubkey_hash).to_string(),
            output,
        }
    }
}

impl ShownBlock {
    /// A block whose inputs' spent outputs are unknown here.
    pub fn new(stored: Arc<StoredBlock>) -> Self {
        Self {
            stored,
            spends: None,
            txs: OnceLock::new(),
        }
    }

    /// A block with the output each input spends, per transaction (`None` for a coinbase
    /// input): `spends` must have one entry per transaction and per input.
    pub fn with_spends(stored: Arc<StoredBlock>, spends: Vec<Vec<Option<TxOut>>>) -> Self {
        Self {
            stored,
            spends: Some(spends),
            txs: OnceLock::new(),
        }
    }

    /// Whether its inputs' spent outputs are known.
    pub fn knows_spends(&self) -> bool {
        self.spends.is_some()
    }

    /// What the inputs of the transaction at `position` spend (`None` for a coinbase input),
    /// when known.
    pub fn spends_of(&self, position: u32) -> Option<&[Option<TxOut>]> {
        Some(self.spends.as_ref()?.get(position as usize)?.as_slice())
    }

    /// The shown transactions, coinbase first (rendered on the first call).
    pub fn txs(&self) -> &[ShownTx] {
        self.txs.get_or_init(|| {
            let spends = self.spends.as_ref();
            self.stored
                .block
                .transactions
                .iter()
                .enumerate()
                .map(|(position, tx)| {
                    let txid = tx.txid();
                    ShownTx {
                        txid,
                        id: txid.to_string(),
                        outputs: tx.outputs.iter().map(|o| ShownOutput::from(*o)).collect(),
                        spends: spends.and_then(|s| s.get(position)).map(|inputs| {
                            inputs.iter().map(|o| o.map(ShownOutput::from)).collect()
                        }),
                    }
                })
                .collect()
        })
    }

    /// The transaction at `position`.
    pub fn transaction(&self, position: u32) -> Option<&Transaction> {
        self.stored.block.transactions.get(position as usize)
    }

    /// Where the transaction at `position` was mined.
    pub fn location(&self, position: u32) -> TxLocation {
        TxLocation {
            block_hash: self.stored.hash,
            height: self.stored.height,
            position,
        }
    }

    /// A rough count of the bytes it holds once rendered, for bounding a memo of blocks.
    pub fn weight(&self) -> usize {
        let transactions = &self.stored.block.transactions;
        let outputs: usize = transactions.iter().map(|t| t.outputs.len()).sum();
        let inputs: usize = transactions.iter().map(|t| t.inputs.len()).sum();
        512 + transactions.len() * 256 + (outputs + inputs) * 160
    }
}

/// A mined transaction, as the block that holds it shows it.
#[derive(Debug, Clone)]
pub struct TxInBlock {
    /// The block.
    pub block: Arc<ShownBlock>,
    /// Its index in the block (0 is the coinbase).
    pub position: u32,
}

impl TxInBlock {
    /// Where it was mined.
    pub fn location(&self) -> TxLocation {
        self.block.location(self.position)
    }
}
