//! The oracle peers of `shared/oracles/` that tests start as processes: finding the scripts,
//! the skip-or-fail rule of `DIAMETER_REQUIRE_ORACLES`, free ports, and the freeDiameter peer.
//!
//! Shared by the test crates that talk to freeDiameter: `interop.rs` and `examples.rs` here
//! (`mod support;`), and diameter-cli's `tests/load.rs` (by `#[path]`). Not every user needs
//! every item.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// `shared/oracles/`: `$DIAMETER_ORACLES_DIR`, or `../shared/oracles` beside the workspace.
pub fn oracles_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("DIAMETER_ORACLES_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracles"),
    };
    dir.join("README.md").exists().then_some(dir)
}

/// Is `program` on the PATH?
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()))
}

/// The oracles directory when every tool in `tools` is installed; otherwise skip (or fail
/// under `DIAMETER_REQUIRE_ORACLES=1`).
pub fn require(what: &str, tools: &[&str]) -> Option<PathBuf> {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    let dir = oracles_dir();
    if dir.is_some() && missing.is_empty() {
        return dir;
    }
    let why = if dir.is_none() {
        "shared/oracles not found".to_owned()
    } else {
        format!("missing {}", missing.join(", "))
    };
    assert!(
        std::env::var("DIAMETER_REQUIRE_ORACLES").map_or(true, |v| v != "1"),
        "DIAMETER_REQUIRE_ORACLES=1 but the {what} peer cannot run: {why}"
    );
    eprintln!("skipped: {what} peer ({why})");
    None
}

/// A port free on 127.0.0.1, with the one above it free too (freeDiameter's TLS port).
pub fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let first = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = first.local_addr().expect("addr").port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two consecutive free ports on 127.0.0.1");
}

/// A freeDiameter peer (`freediameter-peer.sh`), stopped by the script (by pid) when dropped.
pub struct FreeDiameter {
    script: PathBuf,
    port: u16,
    work: PathBuf,
    /// Held from start to stop (fields drop after `Drop::drop`): one freeDiameter at a time.
    _serial: std::sync::MutexGuard<'static, ()>,
}

/// freeDiameter peers run one after the other: started side by side (each in its own network
/// namespace behind a socat relay), one of them now and then failed to come up.
static FREEDIAMETER: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl FreeDiameter {
    pub fn start(dir: &Path, port: u16, env: &[(&str, &str)]) -> FreeDiameter {
        FreeDiameter::start_with_cert(dir, port, env, None)
    }

    /// Starts freeDiameter; `cert` (certificate chain PEM, key PEM) replaces the self-signed
    /// certificate the script would make (it keeps a `cert.pem` it finds, and trusts it).
    pub fn start_with_cert(
        dir: &Path,
        port: u16,
        env: &[(&str, &str)],
        cert: Option<(&str, &str)>,
    ) -> FreeDiameter {
        FreeDiameter::start_edited(dir, port, env, cert, &[])
    }

    /// Starts freeDiameter from a copy of the script with each `(from, to)` of `edits`
    /// applied to its text, for settings the script has no knob for (its acl_wl flags, its
    /// ConnectPeer options). The copy lives in the peer's work dir and is also what stops
    /// it. Panics when an edit no longer matches the script: the test would not test what
    /// it says.
    pub fn start_edited(
        dir: &Path,
        port: u16,
        env: &[(&str, &str)],
        cert: Option<(&str, &str)>,
        edits: &[(&str, &str)],
    ) -> FreeDiameter {
        let work =
            std::env::temp_dir().join(format!("diameter-interop-fd-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&work).expect("work dir");
        if let Some((chain, key)) = cert {
            std::fs::write(work.join("cert.pem"), chain).expect("cert.pem");
            std::fs::write(work.join("key.pem"), key).expect("key.pem");
        }
        let mut script = dir.join("freediameter-peer.sh");
        if !edits.is_empty() {
            let mut text = std::fs::read_to_string(&script).expect("read freediameter-peer.sh");
            // The copy finds fd_oracle_app.c where the original is.
            let here = r#"HERE=$(cd "$(dirname "$0")" && pwd)"#;
            let here_edit = format!("HERE='{}'", dir.display());
            let edits = [(here, here_edit.as_str())]
                .into_iter()
                .chain(edits.iter().copied());
            for (from, to) in edits {
                assert!(
                    text.contains(from),
                    "freediameter-peer.sh no longer contains {from:?}"
                );
                text = text.replace(from, to);
            }
            script = work.join("freediameter-peer.sh");
            std::fs::write(&script, text).expect("write the edited script");
        }
        // A test that panicked while holding the lock has stopped its peer all the same.
        let serial = FREEDIAMETER.lock().unwrap_or_else(|e| e.into_inner());
        let fd = FreeDiameter {
            script,
            port,
            work,
            _serial: serial,
        };
        let start = || {
            fd.command("start")
                .envs(env.iter().copied())
                .output_blocking()
        };
        let mut out = start();
        if !out.status.success() {
            // Once more after a stop: what a start that failed half-way left behind (its
            // namespace, its relay) is gone then.
            let _ = fd.command("stop").output_blocking();
            out = start();
        }
        assert!(
            out.status.success(),
            "freeDiameter did not start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        fd
    }

    pub fn command(&self, verb: &str) -> std::process::Command {
        let mut c = std::process::Command::new("bash");
        c.arg(&self.script)
            .arg(verb)
            .arg(self.port.to_string())
            .env("FD_DIR", &self.work)
            .stdin(Stdio::null());
        c
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.work.join("freediameter.log")).unwrap_or_default()
    }
}

impl Drop for FreeDiameter {
    fn drop(&mut self) {
        // The script waits at most 10 s, then kills by pid.
        let _ = self.command("stop").output_blocking();
        // The script's stop leaves the two socat relays of an FD_CONNECT peer (freeDiameter's
        // way out to our node) running: they name this peer's own socket, so end them by it.
        let out_sock = self.work.join("out.sock");
        let mut pkill = std::process::Command::new("pkill");
        pkill.arg("-f").arg(out_sock.as_os_str());
        // Best effort: a machine without pkill keeps the relays, as before.
        let _ = tokio::task::block_in_place(|| pkill.output());
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

pub trait OutputBlocking {
    fn output_blocking(&mut self) -> std::process::Output;
}

impl OutputBlocking for std::process::Command {
    /// Runs the script (which bounds its own waits) from inside the runtime.
    fn output_blocking(&mut self) -> std::process::Output {
        tokio::task::block_in_place(|| self.output()).expect("run freediameter-peer.sh")
    }
}
