//! `pocket`: the Pocket Chain binary.

fn main() {
    println!("pocket {}", env!("CARGO_PKG_VERSION"));
}
