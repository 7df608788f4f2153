//! Lines for standard output. When the reader has gone (`pocket mine | head -1`), the command
//! ends quietly with status 0, as Unix tools do, where `println!` would panic.

use std::fmt::Arguments;
use std::io::{ErrorKind, Write};

/// Writes `text` and a newline to standard output, flushed.
pub fn line(text: Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(text)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(err) = written {
        if err.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let _ = writeln!(
            std::io::stderr(),
            "pocket: cannot write to standard output: {err}"
        );
        std::process::exit(1);
    }
}
