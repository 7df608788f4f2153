//! Test databases: a fresh SQLite file, or a fresh database on PostgreSQL — from
//! `TEST_DATABASE_URL` when set, otherwise on a throwaway cluster started from the system's
//! PostgreSQL binaries that stops by itself when the test process ends.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use pocket_chain::chain::Params;
use pocket_chain::node::{Keystore, Node, NodeConfig};
use pocket_chain::store::Store;
use sea_orm::{ConnectionTrait, Database, EntityTrait, QueryOrder};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("pocket.db").display()
                );
                Self {
                    url,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => Self {
                url: fresh_pg_database().await,
                _dir: None,
            },
        }
    }

    pub async fn store(&self) -> Store {
        Store::open(&self.url).await.expect("store opens")
    }

    /// Runs SQL of the test's own (statistics, fault injection) on a connection of its own.
    #[allow(dead_code)]
    pub async fn execute(&self, sql: &str) {
        self.store()
            .await
            .db()
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub async fn node(&self) -> Arc<Node> {
        Arc::new(
            Node::open(self.store().await, test_config(), keystore())
                .await
                .expect("node opens"),
        )
    }
}

/// Runs `reset_system`; the 8 training wallets' addresses, in creation order.
pub async fn reset(node: &Node) -> Vec<String> {
    node.reset_system()
        .await
        .unwrap_or_else(|e| panic!("reset failed: {e}"))
        .iter()
        .map(|w| w.address.to_string())
        .collect()
}

/// An address the test knows to be valid.
pub fn addr(text: &str) -> pocket_chain::chain::Address {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not an address: {e}"))
}

/// POSTs a GraphQL operation to `url` and returns the JSON answer.
#[allow(dead_code)] // not every target sharing this harness uses it
pub async fn graphql(http: &reqwest::Client, url: &str, query: &str, variables: Value) -> Value {
    http.post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("a JSON answer")
}

pub fn test_config() -> NodeConfig {
    NodeConfig {
        params: Params::default(),
        mining_threads: 2,
        rejected_cap: 50,
        event_buffer: 1024,
    }
}

pub fn keystore() -> Keystore {
    Keystore::new(&[7; 32])
}

/// Every row of every table, as text, in a stable order. Rejected pool rows are left out: they
/// are the log of refusals, not state (tests count them separately).
pub async fn dump(db: &impl ConnectionTrait) -> String {
    use entity::*;
    let mut out = String::new();
    out += &format!(
        "{:?}\n",
        blocks::Entity::find()
            .order_by_asc(blocks::Column::Height)
            .all(db)
            .await
            .unwrap()
    );
    out += &format!("{:?}\n", tip::Entity::find().all(db).await.unwrap());
    out += &format!(
        "{:?}\n",
        utxos::Entity::find()
            .order_by_asc(utxos::Column::Txid)
            .order_by_asc(utxos::Column::Vout)
            .all(db)
            .await
            .unwrap()
    );
    let pending: Vec<_> = pool::Entity::find()
        .order_by_asc(pool::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| !r.error)
        .collect();
    out += &format!("{pending:?}\n");
    out += &format!(
        "{:?}\n",
        wallets::Entity::find()
            .order_by_asc(wallets::Column::Id)
            .all(db)
            .await
            .unwrap()
    );
    out += &format!(
        "{:?}\n",
        tx_index::Entity::find()
            .order_by_asc(tx_index::Column::Txid)
            .all(db)
            .await
            .unwrap()
    );
    out
}

/// A `pocket serve` process on a free loopback port over `url`; killed when dropped.
pub struct Replica {
    pub base: String,
    child: std::process::Child,
}

impl Replica {
    /// Starts the real binary with `extra` arguments and waits until it answers `/healthz`.
    pub async fn start(url: &str, extra: &[&str]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_pocket"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                url,
            ])
            .args(["--keystore-key", &"07".repeat(32)])
            .args(extra)
            .env("POCKET_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("pocket serve starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(
                Instant::now() < deadline,
                "pocket on port {port} did not become healthy"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { base, child }
    }

    /// Sends SIGTERM, as a service manager stopping it would.
    #[allow(dead_code)] // not used by the benchmarks that share this harness
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit by itself, up to `limit`.
    #[allow(dead_code)]
    pub async fn exited(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "pocket did not exit within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Resident memory of the process, MiB.
    #[allow(dead_code)] // used by the load benchmark, which shares this harness
    pub fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0.0);
        kib / 1024.0
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Cluster {
    base_url: String,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
/// Whether the throwaway cluster syncs commits to disk. Tests run without (a killed process
/// loses nothing either way); benchmarks set this before the first database so commit costs are
/// real.
#[allow(dead_code)] // set by the benchmarks, which share this harness
pub static DURABLE_PG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

async fn fresh_pg_database() -> String {
    let base = match CLUSTER.get_or_init(start_cluster) {
        Ok(cluster) => cluster.base_url.clone(),
        Err(message) => panic!("{message}"),
    };
    let name = format!(
        "pocket_test_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    let admin = Database::connect(format!("{base}/postgres"))
        .await
        .expect("connect to the postgres database");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    format!("{base}/{name}")
}

fn start_cluster() -> Result<Cluster, String> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        // A server URL such as postgres://user@127.0.0.1:5432 (any database path is dropped).
        let base = match url.rfind('/') {
            Some(i) if i > "postgres://".len() => url[..i].to_owned(),
            _ => url,
        };
        return Ok(Cluster { base_url: base });
    }
    let bin = find_pg_bin().ok_or_else(|| {
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin). Install them with \
         `apt-get install postgresql`, or set TEST_DATABASE_URL=postgres://USER@HOST:PORT to use a running server."
            .to_string()
    })?;
    let root = is_root();
    let dir = std::env::temp_dir().join(format!("pocket-pg-{}", std::process::id()));
    let data = dir.join("data");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if root {
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir))?;
    }
    let as_owner = |program: &Path| {
        if root {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        }
    };
    run(as_owner(&bin.join("initdb"))
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
        ])
        .arg(&data))?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    as_owner(&bin.join("postgres"))
        .arg("-D")
        .arg(&data)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-F",
            "-c",
            "max_connections=300",
        ])
        .arg("-k")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    // A watchdog outlives this process only until it notices we are gone, then stops the server
    // and removes its files: the cluster never outlasts the tests.
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         kill -INT $(head -1 {data}/postmaster.pid) 2>/dev/null; sleep 3; rm -rf {dir}",
        pid = std::process::id(),
        data = data.display(),
        dir = dir.display()
    );
    Command::new("setsid")
        .args(["sh", "-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the cluster's watchdog: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("the throwaway PostgreSQL cluster did not start within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Accepting TCP is not yet accepting queries: wait for the startup to finish.
    std::thread::sleep(Duration::from_millis(500));
    Ok(Cluster {
        base_url: format!("postgres://postgres@127.0.0.1:{port}"),
    })
}

fn find_pg_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A subscription's WebSocket.
pub type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket to the server at `base` speaking `protocol`, sending nothing yet.
pub async fn connect_ws(base: &str, protocol: &str) -> WsStream {
    let url = format!("{}/graphql/ws", base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket connects");
    ws
}

/// Opens a WebSocket to the server at `base` speaking `protocol`, and subscribes to `query`.
pub async fn subscribe(base: &str, protocol: &str, query: &str) -> WsStream {
    let mut ws = connect_ws(base, protocol).await;
    ws.send(Message::text(
        json!({ "type": "connection_init", "payload": {} }).to_string(),
    ))
    .await
    .unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack");
    let start = if protocol == "graphql-transport-ws" {
        "subscribe"
    } else {
        "start"
    };
    ws.send(Message::text(
        json!({ "id": "1", "type": start, "payload": { "query": query } }).to_string(),
    ))
    .await
    .unwrap();
    ws
}

/// The next JSON message, skipping keep-alives; fails the test after 5 s.
pub async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("open")
            .expect("ok");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] != "ka" && value["type"] != "ping" {
                return value;
            }
        }
    }
}

/// Generates one test per backend from `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::harness::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name($crate::harness::Backend::Postgres).await
                }
            )*
        }
    };
}
