//! A PostgreSQL primary and a hot standby streaming from it (`pg_basebackup -R`), each its own
//! throwaway cluster on 127.0.0.1 and a free port, for the read-replica tests. Both stop, and
//! their files go, when the test process ends.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};

use crate::postgres::{as_owner, find_pg_bin, initdb, is_root, run, wait_for_port, watch};

/// A primary and its streaming standby.
pub struct StandbyPair {
    /// The chain's database on the primary.
    pub primary_url: String,
    /// The same database on the standby.
    pub standby_url: String,
    bin: PathBuf,
    dir: PathBuf,
    standby_port: u16,
}

impl StandbyPair {
    /// Starts both clusters and waits until the standby answers queries.
    pub async fn start() -> Self {
        let pair = tokio::task::spawn_blocking(Self::start_blocking)
            .await
            .expect("start task")
            .unwrap_or_else(|e| panic!("cannot start a primary and a standby: {e}"));
        let admin = Database::connect(pair.primary_url.replace("/pocket", "/postgres"))
            .await
            .expect("connect to the primary");
        admin
            .execute_unprepared("CREATE DATABASE pocket")
            .await
            .expect("create the chain's database");
        admin.close().await.ok();
        pair.wait_for_standby().await;
        pair
    }

    fn start_blocking() -> Result<Self, String> {
        let bin = find_pg_bin().ok_or("PostgreSQL server binaries not found")?;
        let dir = std::env::temp_dir().join(format!(
            "pocket-standby-{}-{}",
            std::process::id(),
            free_port()?
        ));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        if is_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir))?;
        }
        let primary = dir.join("primary");
        initdb(&bin, &primary)?;
        let primary_port = free_port()?;
        spawn_server(&bin, &dir, &primary, primary_port)?;
        watch(&dir, &[&primary, &dir.join("standby")])?;
        wait_for_port(primary_port)?;
        let standby = dir.join("standby");
        run(as_owner(&bin.join("pg_basebackup"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &primary_port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-R", "-X", "stream", "--no-sync", "-D"])
            .arg(&standby))?;
        let standby_port = free_port()?;
        let pair = Self {
            primary_url: format!("postgres://postgres@127.0.0.1:{primary_port}/pocket"),
            standby_url: format!("postgres://postgres@127.0.0.1:{standby_port}/pocket"),
            bin,
            dir,
            standby_port,
        };
        start_standby(&pair.bin, &pair.dir, pair.standby_port)?;
        Ok(pair)
    }

    async fn wait_for_standby(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(db) = Database::connect(&self.standby_url).await
                && db.execute_unprepared("SELECT 1").await.is_ok()
            {
                db.close().await.ok();
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the standby did not answer within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stops the standby (fast shutdown), as an operator or a crash would.
    pub fn stop_standby(&self) {
        let pid = std::fs::read_to_string(self.dir.join("standby/postmaster.pid"))
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
            .expect("the standby's pid");
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.standby_port)).is_ok() {
            assert!(Instant::now() < deadline, "the standby did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts the stopped standby again; it resumes streaming from the primary.
    pub async fn restart_standby(&self) {
        let this = (self.bin.clone(), self.dir.clone(), self.standby_port);
        tokio::task::spawn_blocking(move || start_standby(&this.0, &this.1, this.2))
            .await
            .expect("restart task")
            .expect("the standby restarts");
        self.wait_for_standby().await;
    }

    /// Runs one statement on the standby (`pg_wal_replay_pause()`, …).
    pub async fn on_standby(&self, sql: &str) {
        let db = Database::connect(&self.standby_url).await.expect("standby");
        db.execute_unprepared(sql)
            .await
            .expect("statement on the standby");
        db.close().await.ok();
    }

    /// Committed transactions in the chain's database so far, on the primary and on the
    /// standby (`pg_stat_database.xact_commit`; statistics trail by up to a second).
    pub async fn transactions(&self) -> (i64, i64) {
        let mut counts = [0i64; 2];
        for (count, url) in counts
            .iter_mut()
            .zip([&self.primary_url, &self.standby_url])
        {
            let db = Database::connect(url.as_str()).await.expect("connect");
            // A fresh snapshot of the statistics, not the one cached in this transaction.
            db.execute_unprepared("SELECT pg_stat_clear_snapshot()")
                .await
                .ok();
            let row = db
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Postgres,
                    "SELECT xact_commit FROM pg_stat_database WHERE datname = 'pocket'",
                ))
                .await
                .expect("pg_stat_database")
                .expect("a row");
            *count = row.try_get_by_index(0).expect("xact_commit");
            db.close().await.ok();
        }
        (counts[0], counts[1])
    }
}

fn start_standby(bin: &Path, dir: &Path, port: u16) -> Result<(), String> {
    let data = dir.join("standby");
    let _ = std::fs::remove_file(data.join("postmaster.pid"));
    spawn_server(bin, dir, &data, port)?;
    wait_for_port(port)
}

fn spawn_server(bin: &Path, dir: &Path, data: &Path, port: u16) -> Result<(), String> {
    as_owner(&bin.join("postgres"))
        .arg("-D")
        .arg(data)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        // Tests skip fsync, as the shared test cluster does; benchmarks ask for real commits.
        .args((!crate::DURABLE_PG.load(std::sync::atomic::Ordering::Relaxed)).then_some("-F"))
        .args([
            "-c",
            "wal_level=replica",
            "-c",
            "max_wal_senders=4",
            "-c",
            "hot_standby=on",
        ])
        .args(["-c", "max_connections=100"])
        .arg("-k")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| format!("cannot start postgres: {e}"))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}
