//! Cross-process announcements on PostgreSQL: `NOTIFY` inside the writer's transaction (delivered
//! on commit, in commit order, and never for a rolled-back transaction) and a `LISTEN`ing
//! connection that every `pocket` process keeps. SQLite has no such channel.

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use super::error::{StoreError, StoreResult};

/// The channel every replica listens on.
pub const CHANNEL: &str = "pocket_events";

/// Payloads queued per statement by [`notify_all`] (each is a bound parameter).
const PER_STATEMENT: usize = 500;

/// Queues each of `payloads`, in order, for every listener, delivered when the surrounding
/// transaction commits: a few statements however many there are (the select list is evaluated
/// left to right). Does nothing on SQLite.
pub async fn notify_all(db: &impl ConnectionTrait, payloads: &[String]) -> StoreResult<()> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    for chunk in payloads.chunks(PER_STATEMENT) {
        let calls: Vec<String> = (0..chunk.len())
            .map(|i| format!("pg_notify($1, ${})", i + 2))
            .collect();
        let mut values = vec![CHANNEL.into()];
        values.extend(chunk.iter().map(|p| p.as_str().into()));
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            format!("SELECT {}", calls.join(", ")),
            values,
        ))
        .await?;
    }
    Ok(())
}

/// What a listener hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A payload sent with [`notify`].
    Payload(String),
    /// The connection was lost and is being re-established: anything sent meanwhile was missed.
    Reconnecting,
}

/// A connection listening on [`CHANNEL`].
pub struct Listener(PgListener);

impl Listener {
    /// Connects to the PostgreSQL server at `url` and listens.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let mut listener = PgListener::connect(url).await.map_err(listen_error)?;
        listener.listen(CHANNEL).await.map_err(listen_error)?;
        Ok(Self(listener))
    }

    /// The next payload, or word that the connection dropped (it reconnects on the next call).
    pub async fn recv(&mut self) -> StoreResult<Heard> {
        match self.0.try_recv().await.map_err(listen_error)? {
            Some(notification) => Ok(Heard::Payload(notification.payload().to_owned())),
            None => Ok(Heard::Reconnecting),
        }
    }
}

fn listen_error(err: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
        err.into(),
    )))
}
