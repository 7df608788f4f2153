//! The two servers under comparison, each a real process on a free loopback port.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Anvil release the comparison runs against.
pub const ANVIL_VERSION: &str = "1.7.1";

/// Which server a process is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pocket,
    Anvil,
}

/// A running server; killed (and its data, or Anvil's home, removed) when dropped.
pub struct Server {
    pub kind: Kind,
    pub url: String,
    child: Child,
    _data: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server of `kind` with `extra` arguments and waits for its first answer; returns it
    /// with the time from spawn to that answer.
    pub async fn start(kind: Kind, http: &reqwest::Client, extra: &[&str]) -> (Self, Duration) {
        let port = free_port();
        let (command, data) = match kind {
            Kind::Pocket => {
                let data = tempfile::tempdir().expect("a temporary directory");
                let mut command = Command::new(env!("CARGO_BIN_EXE_pocket"));
                command
                    .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
                    .arg(data.path())
                    .env("POCKET_LOG", "warn");
                (command, Some(data))
            }
            Kind::Anvil => {
                // Anvil writes old states under `$HOME/.foundry/anvil/tmp` and removes them only
                // when it exits cleanly; a home of its own goes with the server (tens of GB
                // over a few runs otherwise).
                let home = tempfile::tempdir().expect("a temporary directory");
                let mut command = Command::new(anvil());
                command
                    .args(["--port", &port.to_string(), "--silent"])
                    .env("HOME", home.path());
                (command, Some(home))
            }
        };
        let mut command = command;
        let started = Instant::now();
        let child = command
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let url = match kind {
            Kind::Pocket => format!("http://127.0.0.1:{port}/graphql"),
            Kind::Anvil => format!("http://127.0.0.1:{port}"),
        };
        let server = Self {
            kind,
            url,
            child,
            _data: data,
        };
        let deadline = started + Duration::from_secs(60);
        loop {
            if server.answers(http).await {
                return (server, started.elapsed());
            }
            assert!(Instant::now() < deadline, "the server did not answer");
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }

    /// Whether the server answers its cheapest request.
    async fn answers(&self, http: &reqwest::Client) -> bool {
        let body = match self.kind {
            Kind::Pocket => serde_json::json!({ "query": "{ __typename }" }),
            Kind::Anvil => {
                serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": [] })
            }
        };
        match http.post(&self.url).json(&body).send().await {
            Ok(response) => response.status().is_success(),
            Err(_) => false,
        }
    }

    /// The process's resident memory, in MiB.
    pub fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process's status");
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("VmRSS");
        kib / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The Anvil binary: `ANVIL` if set, else the npm package installed under `target/vs_anvil`
/// (installed there on first use).
pub fn anvil() -> PathBuf {
    if let Some(path) = std::env::var_os("ANVIL") {
        return path.into();
    }
    let prefix = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/vs_anvil");
    let found = || {
        let scope = prefix.join("node_modules/@foundry-rs");
        std::fs::read_dir(&scope).ok().and_then(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path().join("bin/anvil"))
                .find(|bin| bin.is_file())
        })
    };
    if let Some(bin) = found() {
        return bin;
    }
    eprintln!(
        "installing @foundry-rs/anvil@{ANVIL_VERSION} from npm into {}",
        prefix.display()
    );
    std::fs::create_dir_all(&prefix).expect("target/vs_anvil");
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("@foundry-rs/anvil@{ANVIL_VERSION}"))
        .status()
        .expect("npm runs");
    assert!(status.success(), "npm install @foundry-rs/anvil failed");
    found().expect("the package ships a binary for this platform")
}
