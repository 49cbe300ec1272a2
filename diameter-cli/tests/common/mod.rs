//! Shared by the tests that run `diameter serve`: the child process, the addresses it prints,
//! its stop by SIGTERM.
#![allow(clippy::unwrap_used, dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// Every wait of these tests ends by this.
pub const LIMIT: Duration = Duration::from_secs(20);

/// A `diameter serve` child and the addresses it printed.
pub struct Served {
    pub child: Child,
    pub diameter: SocketAddr,
    pub metrics: Option<SocketAddr>,
    stderr: tokio::task::JoinHandle<String>,
}

pub fn config_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("diameter-cli-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

pub async fn start(args: &[&str], metrics: bool) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_diameter"))
        .arg("serve")
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = tokio::spawn(async move {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s).await;
        s
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut diameter = None;
    let mut metrics_addr = None;
    while diameter.is_none() || (metrics && metrics_addr.is_none()) {
        let line = tokio::time::timeout(LIMIT, lines.next_line())
            .await
            .expect("serve printed its addresses in time")
            .unwrap()
            .expect("serve ended before printing its addresses");
        if let Some(a) = line.strip_prefix("listening on ") {
            diameter = Some(a.parse().unwrap());
        } else if let Some(a) = line.strip_prefix("metrics on ") {
            metrics_addr = Some(a.parse().unwrap());
        }
    }
    Served {
        child,
        diameter: diameter.unwrap(),
        metrics: metrics_addr,
        stderr,
    }
}

impl Served {
    /// SIGTERM by pid; the exit status and the logs.
    pub async fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = tokio::time::timeout(LIMIT, self.child.wait())
            .await
            .expect("serve exited after SIGTERM")
            .unwrap();
        let logs = tokio::time::timeout(LIMIT, self.stderr)
            .await
            .unwrap()
            .unwrap();
        (status, logs)
    }
}
