//! A real `pocket serve` process, for tests of what only a process shows (signals, replicas).

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A `pocket serve` process on a free loopback port over `url`; killed when dropped.
pub struct Replica {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: std::process::Child,
}

impl Replica {
    /// Starts the `pocket` binary at `bin` (a test's `env!("CARGO_BIN_EXE_pocket")`) with `extra`
    /// arguments and waits until it answers `/healthz`.
    pub async fn start(bin: &str, url: &str, extra: &[&str]) -> Self {
        Self::start_with_env(bin, url, extra, &[]).await
    }

    /// [`Replica::start`], with `env` added to the process's environment.
    pub async fn start_with_env(
        bin: &str,
        url: &str,
        extra: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .env("POCKET_ACCOUNTS", "0")
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
            .envs(env.iter().copied())
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
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit by itself, up to `limit`.
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
