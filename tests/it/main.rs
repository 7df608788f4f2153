//! Integration tests through the public API, each on a fresh database of each backend.

mod api;
mod app;
mod archive;
mod browser;
mod cli_output;
mod client_signing;
mod clients;
mod conformance;
mod data_lock;
mod dev_chain;
mod explorer;
mod hostile_peer;
mod http_surface;
mod mining_modes;
mod network;
mod node;
mod operator_safety;
mod raw_blocks;
mod replicas;
mod resume;
mod schema;
mod shutdown;
mod snapshots;
mod startup;
mod subscription;
mod tls_peer;
