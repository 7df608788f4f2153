//! Integration tests through the public API, each on a fresh database of each backend.

mod harness;
mod node;
