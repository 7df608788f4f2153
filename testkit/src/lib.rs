//! What Pocket Chain's integration tests and benchmarks share: fresh databases on either backend
//! (a throwaway PostgreSQL cluster included), fixtures, real `pocket` processes, and GraphQL over
//! HTTP and WebSocket clients. A crate of its own, so that tests and benches depend on it like on
//! any library.

mod chain_builder;
mod commit_probe;
mod db;
mod fixtures;
mod http;
mod network;
mod postgres;
mod replica;
mod standby;
mod ws;

pub use chain_builder::{
    BUILT_CHAIN_DIFFICULTY, built_chain, built_chain_node, built_chain_params,
};
pub use commit_probe::CommitProbe;
pub use db::{Backend, TestDb};
pub use fixtures::{PoolRows, addr, dump, dump_tables, keystore, reset, test_config};
pub use http::graphql;
pub use network::{NETWORK_BITS, connect_block, network_builder, sqlite_databases, verify_chain};
pub use pocket_chain::chain::testing::{ChainBuilder, coinbase_of, key, pkh, tip_of};
pub use postgres::DURABLE_PG;
pub use replica::Replica;
pub use standby::StandbyPair;
pub use ws::{WsStream, connect_ws, next_json, subscribe};

/// Generates one test per backend from `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}
