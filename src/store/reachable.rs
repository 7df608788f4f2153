//! Whether a PostgreSQL server answers, said in an operator's words, before a pool is built.

use sea_orm::sqlx::postgres::PgConnectOptions;

use super::error::{StoreError, StoreResult};
use super::{CONNECT_TIMEOUT, redact};

/// Where a connection goes, `host:port/database`, without credentials.
pub(super) fn target(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    )
}

/// One connection attempt before the pool is built, so a wrong URL fails within
/// [`CONNECT_TIMEOUT`] naming the server and the reason, instead of the pool's acquire timeout.
pub(super) async fn postgres_reachable(url: &str) -> StoreResult<()> {
    use sea_orm::sqlx::Connection;
    use sea_orm::sqlx::postgres::PgConnection;

    let options: PgConnectOptions = url.parse().map_err(|e| StoreError::Unreachable {
        target: redact(url),
        reason: format!("the URL does not parse: {e}"),
    })?;
    let target = target(&options);
    let reason =
        match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await {
            Ok(Ok(connection)) => {
                let _ = connection.close().await;
                return Ok(());
            }
            Ok(Err(err)) => connect_failure(&err),
            Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        };
    Err(StoreError::Unreachable { target, reason })
}

/// What went wrong, in the terms an operator looks for.
fn connect_failure(err: &sea_orm::sqlx::Error) -> String {
    use sea_orm::sqlx::Error;
    match err {
        Error::Database(db) => match db.code().as_deref() {
            Some("28P01" | "28000") => format!("authentication failed ({})", db.message()),
            Some("3D000") => format!("the database does not exist ({})", db.message()),
            _ => db.message().to_owned(),
        },
        Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is PostgreSQL running and listening there?)".to_owned()
        }
        Error::Io(io) if io.to_string().contains("lookup address") => {
            format!("unknown host ({io})")
        }
        other => other.to_string(),
    }
}
