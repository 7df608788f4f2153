//! The protocol as pure functions: keys, addresses, transactions, merkle roots, proof of work,
//! blocks and the rules that validate them.
//!
//! No I/O, no async, no database: everything here can be learned from and tested on its own.
//! `docs/protocol.md` gives the byte layouts with test vectors that `vectors` checks.

pub mod address;
pub mod archive;
pub mod block;
pub mod block_error;
pub mod connect;
pub mod derive;
pub mod encoding;
pub mod explain;
pub mod hash;
pub mod header;
pub mod header_chain;
mod header_rules;
pub mod keys;
pub mod merkle;
pub mod params;
pub mod pow;
pub mod premine;
pub mod sig_cache;
pub mod signing;
pub mod transaction;
pub mod tx_check;
mod unsealed;
pub mod utxo;
pub mod validation;
pub mod work;

#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
#[cfg(test)]
mod vectors;

pub use address::{Address, AddressError, PubkeyHash};
pub use block::{Block, BlockTextError, ChainTip, MAX_BLOCK_BYTES};
pub use connect::{
    ConnectFailure, ConnectRows, IndexRow, Ordered, TxLocation, check_signatures, connect_blocks,
    connect_ordered, index_rows,
};
pub use derive::{DEFAULT_SEED_PHRASE, DeriveError, SeedPhrase};
pub use encoding::DecodeError;
pub use hash::{BlockHash, HashParseError, MerkleRoot, Txid};
pub use header::BlockHeader;
pub use header_chain::{HeaderChain, HeaderChainError, decode_headers, encode_headers};
pub use header_rules::check_header;
pub use keys::{KeyError, PublicKey, SecretKey};
pub use params::{Params, ParamsError};
pub use premine::{MAX_PREMINE_OUTPUTS, Premine, PremineError};
pub use signing::{SigningRequest, SigningRequestError};
pub use transaction::{OutPoint, OutPointParseError, Transaction, TxIn, TxOut, Witness};
pub use tx_check::{
    TxCheck, TxError, check_transaction, check_transaction_except_signatures, verify_signatures,
};
pub use unsealed::{Unsealed, connect_unsealed};
pub use utxo::{Utxo, UtxoChanges, UtxoView};
pub use validation::{
    BlockError, UnsignedCheck, validate_block, validate_block_alone,
    validate_block_except_signatures, validate_header,
};
pub use work::{chain_work, locator_heights};
