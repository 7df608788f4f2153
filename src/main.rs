//! `pocket`: parse the configuration, start logging, run the command.

use std::process::ExitCode;

use clap::Parser;
use pocket_chain::config::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("POCKET_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let Some(command) = cli.command else {
        eprintln!("pocket: the GraphQL server is not built yet; try `pocket --help`");
        return ExitCode::FAILURE;
    };
    match pocket_chain::cli::run(command, &cli.chain).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pocket: {err}");
            ExitCode::FAILURE
        }
    }
}
