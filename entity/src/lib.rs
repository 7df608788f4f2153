//! Sea-orm entities of Pocket Chain's tables, one module per table, named as the reference names
//! them: `b` blocks, `l` the tip, `c` chainstate, `p` pool, plus `w` keystore and `t` transaction
//! index, and `v` the state version. Hashes are lower-case hex; unsigned 64-bit values that can exceed `i64` (nonces) are
//! stored bit-cast; times are Unix milliseconds.

pub mod b;
pub mod c;
pub mod l;
pub mod p;
pub mod t;
pub mod v;
pub mod w;
