//! Sea-orm entities of Pocket Chain's tables, one module per table, named for what it holds. The
//! tables keep the names the reference gave them (each module's `table_name`): `b` blocks, `l` the
//! tip, `c` the chainstate's unspent outputs, `p` the pool, plus `w` keystore wallets, `t` the
//! transaction index, `v` the state version, `m` the mining settings, `s` snapshots with `sp`
//! their pools, `u` undo data, `pi` the outputs pending transactions spend, `ab` balances by
//! address, `sb` the block tree's side branches, and `cp` the chain's parameters. Hashes are lower-case hex; unsigned 64-bit values that can exceed `i64` (nonces) are
//! stored bit-cast; times are Unix milliseconds.

pub mod balances;
pub mod blocks;
pub mod chain_params;
pub mod mining;
pub mod pool;
pub mod pool_inputs;
pub mod side_blocks;
pub mod snapshot_pool;
pub mod snapshots;
pub mod state_version;
pub mod tip;
pub mod tx_index;
pub mod undo;
pub mod utxos;
pub mod wallets;
