//! PostgreSQL for tests: a server from `TEST_DATABASE_URL`, or else a throwaway cluster started
//! from the system's PostgreSQL binaries on 127.0.0.1 and a free port, which stops by itself when
//! the test process ends.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};

struct Cluster {
    base_url: String,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
/// Whether the throwaway cluster syncs commits to disk. Tests run without (a killed process
/// loses nothing either way); benchmarks set this before the first database so commit costs are
/// real.
pub static DURABLE_PG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// A new, empty database on the test cluster (started on first use).
pub(crate) async fn fresh_pg_database() -> String {
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
    initdb(&bin, &data)?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut server = as_owner(&bin.join("postgres"));
    server.arg("-D").arg(&data).args([
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-c",
        "max_connections=300",
    ]);
    if !DURABLE_PG.load(Ordering::Relaxed) {
        server.arg("-F");
    }
    server
        .arg("-k")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))?;
    watch(&dir, &[&data])?;
    wait_for_port(port)?;
    Ok(Cluster {
        base_url: format!("postgres://postgres@127.0.0.1:{port}"),
    })
}

/// A watchdog that outlives this process only until it notices it is gone, then stops the
/// servers of `datas` and removes `dir`: test clusters never outlast the tests.
pub(crate) fn watch(dir: &Path, datas: &[&Path]) -> Result<(), String> {
    let stops: String = datas
        .iter()
        .map(|d| {
            format!(
                "kill -INT $(head -1 {}/postmaster.pid 2>/dev/null) 2>/dev/null; ",
                d.display()
            )
        })
        .collect();
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stops} sleep 3; rm -rf {dir}",
        pid = std::process::id(),
        dir = dir.display()
    );
    Command::new("setsid")
        .args(["sh", "-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("cannot start the watchdog: {e}"))
}

/// Waits until a server accepts on `port`, then a moment for its start-up to finish
/// (accepting TCP is not yet accepting queries).
pub(crate) fn wait_for_port(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("postgres on port {port} did not start within 30 s"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    Ok(())
}

/// `program`, run as the `postgres` user when this process is root (PostgreSQL refuses root).
pub(crate) fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// A new cluster in `data`: trust on loopback, superuser `postgres`, UTF-8, no fsync while
/// it is written.
pub(crate) fn initdb(bin: &Path, data: &Path) -> Result<(), String> {
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
        .arg(data))
}

pub(crate) fn find_pg_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
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
