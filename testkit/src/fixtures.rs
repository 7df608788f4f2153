//! The node configuration tests use, the training scenario, addresses, and a dump of every table
//! for comparing states.

use pocket_chain::chain::{Address, Params};
use pocket_chain::node::{Keystore, Node, NodeConfig};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

/// Runs `reset_system`; the 8 training wallets' addresses, in creation order.
pub async fn reset(node: &Node) -> Vec<String> {
    node.reset_system(pocket_chain::node::ResetTarget::Training)
        .await
        .unwrap_or_else(|e| panic!("reset failed: {e}"))
        .iter()
        .map(|w| w.address.to_string())
        .collect()
}

/// An address the test knows to be valid.
pub fn addr(text: &str) -> Address {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not an address: {e}"))
}

/// The node configuration of tests: default chain parameters, two mining threads, a small
/// refusal log.
pub fn test_config() -> NodeConfig {
    NodeConfig {
        params: Params::default(),
        mining_threads: 2,
        rejected_cap: 50,
        event_buffer: 1024,
        accounts: None,
        pool_policy: Default::default(),
        sole_writer: false,
    }
}

/// The keystore key every test node and `pocket` process of a test shares.
pub fn keystore() -> Keystore {
    Keystore::new(&[7; 32])
}

/// Which pool rows a dump shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolRows {
    /// None (an archive carries no pool).
    None,
    /// Pending ones.
    Pending,
    /// All, the refusal log included.
    All,
}

/// Every row of every table, as text, in a stable order. Rejected pool rows are left out: they
/// are the log of refusals, not state (tests count them separately).
pub async fn dump(db: &impl ConnectionTrait) -> String {
    dump_tables(db, PoolRows::Pending).await
}

/// Every row of the chain's tables (blocks, tip, chainstate, balances, keystore, index, undo data,
/// side blocks) and the pool rows asked for, as text, in a stable order.
pub async fn dump_tables(db: &impl ConnectionTrait, pool_rows: PoolRows) -> String {
    use entity::*;
    let mut out = String::new();
    out += &format!(
        "{:?}\n",
        blocks::Entity::find()
            .order_by_asc(blocks::Column::Height)
            .all(db)
            .await
            .unwrap()
    );
    out += &format!("{:?}\n", tip::Entity::find().all(db).await.unwrap());
    out += &format!(
        "{:?}\n",
        utxos::Entity::find()
            .order_by_asc(utxos::Column::Txid)
            .order_by_asc(utxos::Column::Vout)
            .all(db)
            .await
            .unwrap()
    );
    out += &format!(
        "{:?}\n",
        balances::Entity::find()
            .order_by_asc(balances::Column::Address)
            .all(db)
            .await
            .unwrap()
    );
    let pool: Vec<_> = pool::Entity::find()
        .order_by_asc(pool::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| match pool_rows {
            PoolRows::None => false,
            PoolRows::Pending => !r.error,
            PoolRows::All => true,
        })
        .collect();
    out += &format!("{pool:?}\n");
    if !matches!(pool_rows, PoolRows::None) {
        out += &format!(
            "{:?}\n",
            pool_inputs::Entity::find()
                .order_by_asc(pool_inputs::Column::Txid)
                .order_by_asc(pool_inputs::Column::Vout)
                .all(db)
                .await
                .unwrap()
        );
    }
    out += &format!(
        "{:?}\n",
        wallets::Entity::find()
            .order_by_asc(wallets::Column::Id)
            .all(db)
            .await
            .unwrap()
    );
    out += &format!(
        "{:?}\n",
        tx_index::Entity::find()
            .order_by_asc(tx_index::Column::Txid)
            .order_by_asc(tx_index::Column::Address)
            .all(db)
            .await
            .unwrap()
    );
    out += &format!(
        "{:?}\n",
        undo::Entity::find()
            .order_by_asc(undo::Column::Txid)
            .order_by_asc(undo::Column::Vout)
            .all(db)
            .await
            .unwrap()
    );
    out += &format!(
        "{:?}\n",
        side_blocks::Entity::find()
            .order_by_asc(side_blocks::Column::Hash)
            .all(db)
            .await
            .unwrap()
    );
    out
}
