//! `pocket serve`: checks every flag, takes the database (the lock on SQLite), opens the node,
//! says which chain it serves, and serves until SIGINT or SIGTERM.

use super::args::{ServeArgs, ServeConfig};
use super::lock::{Attempt, Holder};
use super::{Accounts, CliError, held, new_chain_line, open_writer, take_lock};
use crate::model::MiningMode;
use crate::node::{MiningChange, Node, describe_params};
use crate::server::ServerError;
use crate::store::redact;

/// Serves until a shutdown signal.
pub(super) async fn serve(args: ServeArgs) -> Result<(), CliError> {
    // Every flag is checked before anything is created or served.
    let server = args.server.server_config()?;
    server.check_exposure()?;
    let mut lock = match take_lock(&args.node.store, "serve")? {
        Some(Attempt::Held(holder)) => {
            return Err(held(
                &args.node.store,
                holder,
                "stop it first, or give this server another --data-dir or --database-url",
            ));
        }
        Some(Attempt::Taken(lock)) => Some(lock),
        None => None,
    };
    let keystore = args.key.load_or_create(&args.node.store.data_dir)?;
    let mut args = args;
    if args.fork.fork_url.is_some() {
        // A fork runs with the source's premine, whatever the account flags say.
        args.node.params = args.node.params.without_accounts();
    }
    let forked = super::fork::fork_if_new(&args, &keystore).await?;
    let opened = open_writer(
        &args.node,
        keystore,
        Accounts::Start,
        &args.server.read_config(),
        // Holding a SQLite database's lock, no other process writes it.
        lock.is_some(),
    )
    .await?;
    let node = opened.node;
    if forked {
        node.adopt_dev_accounts().await?;
    }
    let database = redact(&args.node.store.url());
    let info = node.chain_info().await?;
    if opened.new_chain {
        tracing::info!("{}", new_chain_line(&args.node.store, &node.params()));
    } else {
        tracing::info!(
            "chain in {database}: {}; height {}, tip {}",
            describe_params(&node.params()),
            info.height.unwrap_or_default(),
            info.tip_hash.map(|h| h.to_string()).unwrap_or_default()
        );
    }
    super::accounts::print(&node).await?;
    let others = node.attached().await?;
    if !others.is_empty() {
        tracing::info!("replicas attached to this database: {}", others.join(", "));
    }
    apply_mining_flags(&node, &args.server).await?;
    let listener = tokio::net::TcpListener::bind(server.listen)
        .await
        .map_err(ServerError::Io)?;
    let address = listener.local_addr().map_err(ServerError::Io)?;
    if let Some(lock) = &mut lock {
        let holder = Holder {
            url: Some(format!("http://{address}")),
            ..Holder::this("serve")
        };
        lock.record(&holder).map_err(ServerError::Io)?;
    }
    tracing::info!(
        "pocket serving on http://{address} (test stand at /, GraphiQL at /graphiql, database \
         {database})"
    );
    crate::server::run(listener, node.clone(), server, shutdown_signal()).await?;
    tracing::info!("pocket stopped");
    drop(lock);
    Ok(())
}

/// Stores the mining flags given at start (those not given keep their stored value); a mode that
/// cannot work (no miner address, no interval) stops the start with its typed error.
async fn apply_mining_flags(node: &Node, serve: &ServeConfig) -> Result<(), CliError> {
    if serve.mining.is_none() && serve.block_time.is_none() && serve.miner_address.is_none() {
        return Ok(());
    }
    let mode = match serve.mining.as_deref().and_then(MiningMode::parse) {
        Some(mode) => mode,
        None => node.mining().await?.settings.mode,
    };
    let address = serve
        .miner_address
        .as_deref()
        .map(|a| crate::node::parse_address("--miner-address", a))
        .transpose()?;
    let status = node
        .set_mining(MiningChange {
            mode,
            address,
            interval_seconds: serve.block_time,
            tx_count: None,
        })
        .await?;
    tracing::info!(mode = status.settings.mode.as_str(), "mining mode set");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}
