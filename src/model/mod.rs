//! Read models: what the node answers with and the API shows — plain data over the chain's types,
//! with no database types and no secret material. The store builds them from rows, the node
//! returns them, and `graphql` wraps them; so `graphql` never needs `store`.

mod address;
mod block;
mod block_tree;
mod chain_info;
mod mining;
mod pool_entry;
mod reorg;
mod shown_block;
mod snapshot;
mod tx_status;
mod wallet;

pub use address::AddressSummary;
pub use block::{HeaderRun, SideBlock, StoredBlock, TxLocation};
pub use block_tree::{BlockAccepted, BlockStatus, TreeBlock};
pub use chain_info::{ChainInfo, VerifyReport};
pub use mining::{DevClock, MiningMode, MiningSample, MiningSettings, MiningStatus};
pub use pool_entry::{PendingTx, PoolEntry, RefusedSend};
pub use reorg::Reorg;
pub use shown_block::{ShownBlock, ShownOutput, ShownTx, TxInBlock};
pub use snapshot::Snapshot;
pub use tx_status::TxStatus;
pub use wallet::{Wallet, WalletInfo};
