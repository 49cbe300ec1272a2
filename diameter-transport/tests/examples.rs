//! The examples run against each other as their users run them: separate processes on
//! 127.0.0.1 (`gy_client` against `ocs`), and against the freeDiameter peer of
//! `shared/oracles/` (`gy_client`, `s6a_client`).
//!
//! The example binaries are the ones `cargo test` builds beside this test
//! (`target/<profile>/examples/`); `cargo test --test examples` alone does not build them, so
//! run `cargo build -p diameter-transport --examples` first in that case. Every wait is
//! bounded; every process is killed by its pid (`kill_on_drop`, or the freeDiameter script's
//! `stop`).

mod support;

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use support::oracles::{free_port_pair, require, FreeDiameter};

/// The bound on each example's run and on the server's start-up.
const WAIT: Duration = Duration::from_secs(60);

/// The path of example `name`, built by cargo beside this test binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/examples-<hash> -> target/<profile>/examples/<name>
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>")
        .join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is not built: run `cargo test -p diameter-transport` (which builds the examples) \
         or `cargo build -p diameter-transport --examples` first",
        path.display()
    );
    path
}

/// Starts the OCS example on a free port; returns it (killed when dropped) and its address,
/// read from its `listening on` line.
async fn start_ocs(balance: u64) -> (Child, String) {
    let mut ocs = Command::new(example("ocs"))
        .args(["127.0.0.1:0", &balance.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the ocs example");
    let mut lines = BufReader::new(ocs.stdout.take().expect("stdout piped")).lines();
    let first = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("ocs printed nothing in time")
        .expect("read ocs output")
        .expect("ocs exited before listening");
    let addr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line of ocs: {first:?}"))
        .to_owned();
    // Keep reading, so that its per-request lines never fill the pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (ocs, addr)
}

/// Runs example `name` to its end (bounded), killed if it overruns.
async fn run_example(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let child = Command::new(example(name))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {name}: {e}"));
    tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{name} did not finish within {WAIT:?}"))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A Gy session against the OCS: quota granted until the 3 MB balance is spent (4012), then
/// CCR-T.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gy_client_against_ocs() {
    let (mut ocs, addr) = start_ocs(3_000_000).await;
    let out = run_example("gy_client", &[&addr, "5"], &[]).await;
    let log = text(&out);
    assert!(out.status.success(), "gy_client failed:\n{log}");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines[..5],
        [
            "CCR INITIAL_REQUEST #0 -> CCA 2001 granted 1000000 octets",
            "CCR UPDATE_REQUEST #1 -> CCA 2001 granted 1000000 octets",
            "CCR UPDATE_REQUEST #2 -> CCA 2001 granted 1000000 octets",
            "CCR UPDATE_REQUEST #3 -> CCA 4012 granted none",
            "CCR TERMINATION_REQUEST #4 -> CCA 2001 granted none",
        ],
        "{log}"
    );
    ocs.start_kill().expect("kill ocs");
    let _ = tokio::time::timeout(WAIT, ocs.wait()).await;
}

/// The Gy and S6a clients against freeDiameter, which answers every request 2001.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_against_freediameter() {
    let Some(dir) = require(
        "freeDiameter",
        &["freeDiameterd", "gcc", "socat", "openssl"],
    ) else {
        return;
    };
    let port = free_port_pair();
    let fd = FreeDiameter::start(&dir, port, &[]);
    let addr = format!("127.0.0.1:{port}");

    let gy = run_example(
        "gy_client",
        &[&addr, "2"],
        &[
            ("GY_ORIGIN_HOST", "gy-example.test.local"),
            ("GY_ORIGIN_REALM", "test.local"),
        ],
    )
    .await;
    let s6a = run_example(
        "s6a_client",
        &[&addr],
        &[
            ("S6A_ORIGIN_HOST", "s6a-example.test.local"),
            ("S6A_ORIGIN_REALM", "test.local"),
        ],
    )
    .await;
    let log = fd.log();
    drop(fd);

    let gy_log = text(&gy);
    assert!(
        gy.status.success(),
        "gy_client against freeDiameter:\n{gy_log}\nfreeDiameter's log ends:\n{}",
        &log[log.len().saturating_sub(3000)..]
    );
    assert_eq!(
        gy_log.matches("-> CCA 2001").count(),
        4,
        "CCR-I, two CCR-U, CCR-T:\n{gy_log}"
    );
    let s6a_log = text(&s6a);
    assert!(
        s6a.status.success(),
        "s6a_client against freeDiameter:\n{s6a_log}\nfreeDiameter's log ends:\n{}",
        &log[log.len().saturating_sub(3000)..]
    );
    assert!(s6a_log.contains("-> AIA 2001"), "{s6a_log}");
    assert!(s6a_log.contains("-> ULA 2001"), "{s6a_log}");
    eprintln!("examples against freeDiameter:\n{gy_log}{s6a_log}");
}

/// The Gy client through the relay example to the OCS example: the relay forwards the OCS's
/// realm upstream, and the session runs as it does directly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gy_client_through_the_relay_to_ocs() {
    let (mut ocs, ocs_addr) = start_ocs(3_000_000).await;
    let mut relay = Command::new(example("relay"))
        .args([
            "127.0.0.1:0",
            &ocs_addr,
            "example.net",
            "--origin-host",
            "relay.relay.example",
            "--origin-realm",
            "relay.example",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the relay example");
    let mut lines = BufReader::new(relay.stderr.take().expect("stderr piped")).lines();
    // Its address, and its upstream open (before that it would answer 3002), in either order.
    let (mut listening, mut upstream_open) = (None, false);
    while listening.is_none() || !upstream_open {
        let line = tokio::time::timeout(WAIT, lines.next_line())
            .await
            .expect("relay: no address or upstream in time")
            .expect("read relay output")
            .expect("relay exited early");
        if let Some((_, rest)) = line.split_once(" listening on ") {
            listening = rest.split(',').next().map(str::to_owned);
        }
        upstream_open |= line.contains("ocs.example.net connected");
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let addr = listening.expect("address read");
    let out = run_example("gy_client", &[&addr, "5"], &[]).await;
    let log = text(&out);
    assert!(
        out.status.success(),
        "gy_client through the relay failed:\n{log}"
    );
    assert!(
        log.contains("CCR UPDATE_REQUEST #3 -> CCA 4012 granted none"),
        "{log}"
    );
    relay.start_kill().expect("kill relay");
    ocs.start_kill().expect("kill ocs");
    let _ = tokio::time::timeout(WAIT, relay.wait()).await;
    let _ = tokio::time::timeout(WAIT, ocs.wait()).await;
}
