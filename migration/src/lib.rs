//! Schema migrations of Pocket Chain, run at start-up; running them again changes nothing.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_tables;
mod m20261125_000002_state_version;
mod m20261125_000003_dev_chain;
mod m20261125_000004_undo_by_address;
mod m20261126_000005_pool_inputs;
mod m20261126_000006_balances;
mod m20261126_000007_side_blocks;
mod m20261126_000008_pool_txid;
mod m20261204_000009_chain_params;
mod m20261205_000010_dev_clock;
mod m20261205_000011_premine;
mod m20261206_000012_version_per_commit;
mod m20261206_000013_coins_by_height;
mod m20261207_000014_lean_undo;

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_tables::Migration),
            Box::new(m20261125_000002_state_version::Migration),
            Box::new(m20261125_000003_dev_chain::Migration),
            Box::new(m20261125_000004_undo_by_address::Migration),
            Box::new(m20261126_000005_pool_inputs::Migration),
            Box::new(m20261126_000006_balances::Migration),
            Box::new(m20261126_000007_side_blocks::Migration),
            Box::new(m20261126_000008_pool_txid::Migration),
            Box::new(m20261204_000009_chain_params::Migration),
            Box::new(m20261205_000010_dev_clock::Migration),
            Box::new(m20261205_000011_premine::Migration),
            Box::new(m20261206_000012_version_per_commit::Migration),
            Box::new(m20261206_000013_coins_by_height::Migration),
            Box::new(m20261207_000014_lean_undo::Migration),
        ]
    }
}
