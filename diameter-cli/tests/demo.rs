//! `diameter demo` as a user runs it: the built binary, its exit status and its summary.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The demo takes about a second and a half; this bounds a hang.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn demo_runs_every_step_and_passes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_diameter"))
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // Bounded wait: poll the child, kill it (by its own handle) past the limit.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > LIMIT {
            child.kill().unwrap();
            panic!("demo still running after {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One line per message, with the Result-Code by name.
    for line in [
        "CCA-I  2001 DIAMETER_SUCCESS",
        "CCA-U  4012 DIAMETER_CREDIT_LIMIT_REACHED",
        "CCA-T  2001 DIAMETER_SUCCESS",
        "RAR    Session-Id=",
        "RAA    2001 DIAMETER_SUCCESS",
        "ACA    2001 DIAMETER_SUCCESS  Accounting-Record-Type=STOP_RECORD",
        "AIA    5001 DIAMETER_ERROR_USER_UNKNOWN (Experimental-Result, vendor 10415)",
        "ULA    2001 DIAMETER_SUCCESS",
        "UDA    2001 DIAMETER_SUCCESS",
        "<IMSUserState>1</IMSUserState>",
        "DWA    2001 DIAMETER_SUCCESS",
        "DPA    2001 DIAMETER_SUCCESS",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    // The summary table: every command, with its Result-Codes.
    let row = |cmd: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(cmd))
            .unwrap_or_else(|| panic!("no summary row {cmd} in:\n{text}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(row("CER")[1..4], ["3", "3", "2001x3"]);
    let ccr = row("CCR");
    assert!(ccr.contains(&"4012x1".to_owned()), "{ccr:?}");
    assert_eq!(row("RAR")[1..4], ["1", "1", "2001x1"]);
    assert_eq!(row("ACR")[1..4], ["3", "3", "2001x3"]);
    assert_eq!(row("AIR")[1..5], ["2", "2", "2001x1", "E5001x1"]);
    assert_eq!(row("ULR")[1..4], ["1", "1", "2001x1"]);
    assert_eq!(row("UDR")[1..4], ["1", "1", "2001x1"]);
    assert!(row("DWR")[1].parse::<u32>().unwrap() >= 3);
    assert_eq!(row("DPR")[1..4], ["3", "3", "2001x3"]);
    assert!(!text.contains("FAILED"), "{text}");
    assert!(text.trim_end().ends_with("demo passed"), "{text}");
}
