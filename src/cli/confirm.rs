//! Asking before deleting blocks: on a terminal the user types `yes`; without one, the command
//! needs `--yes`. Either way it first says how many blocks go.

use std::io::{BufRead, IsTerminal, Write};

/// Why nothing was deleted.
#[derive(Debug, thiserror::Error)]
pub enum NotConfirmed {
    /// No terminal to ask on, and no `--yes`.
    #[error(
        "{action} would delete the {blocks} blocks of {database}; nothing was changed. Pass --yes \
         to do it without a terminal, or use another --data-dir / --database-url for a new chain"
    )]
    NoTerminal {
        /// What would delete them.
        action: String,
        /// How many.
        blocks: u64,
        /// Which database.
        database: String,
    },
    /// The user did not answer `yes`.
    #[error("not confirmed; nothing was changed")]
    Declined,
}

/// Goes ahead when there is nothing to delete, when `yes` was given, or when the user answers
/// `yes` on the terminal.
pub fn delete_blocks(
    action: &str,
    blocks: u64,
    database: &str,
    yes: bool,
) -> Result<(), NotConfirmed> {
    if blocks == 0 || yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(NotConfirmed::NoTerminal {
            action: action.to_owned(),
            blocks,
            database: database.to_owned(),
        });
    }
    eprint!("{action} deletes all {blocks} blocks of {database}. Type yes to go on: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    match answer.trim() {
        "yes" | "y" => Ok(()),
        _ => Err(NotConfirmed::Declined),
    }
}
