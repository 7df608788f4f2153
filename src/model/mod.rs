//! Read models: what the node answers with and the API shows — plain data over the chain's types,
//! with no database types and no secret material. The store builds them from rows, the node
//! returns them, and `graphql` wraps them; so `graphql` never needs `store`.

mod block;
mod mining;
mod pool_entry;
mod reorg;
mod snapshot;
mod tx_status;
mod wallet;

pub use block::{MinedTx, SideBlock, StoredBlock, TxLocation};
pub use mining::{MiningMode, MiningSettings, MiningStatus};
pub use pool_entry::{PendingTx, PoolEntry, RefusedSend};
pub use reorg::Reorg;
pub use snapshot::Snapshot;
pub use tx_status::TxStatus;
pub use wallet::Wallet;
