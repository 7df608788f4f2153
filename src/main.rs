//! `pocket`: parse the configuration, start logging, run the command.

use std::process::ExitCode;

use clap::Parser;
use pocket_chain::cli::args::{Cli, Command, log_colour};

/// A GraphQL answer is built from thousands of small allocations, which took about a fifth of
/// the server's CPU under the system allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Logs when `POCKET_LOG` is not set: our info, and only warnings from the database drivers.
const DEFAULT_LOG: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("POCKET_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_ansi(log_colour())
        .with_writer(std::io::stderr)
        .init();
    let command = cli.command.unwrap_or(Command::Serve(Box::new(cli.serve)));
    match pocket_chain::cli::run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pocket: {err}");
            ExitCode::FAILURE
        }
    }
}
