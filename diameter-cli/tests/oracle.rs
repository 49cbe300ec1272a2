//! `diameter serve` against an independent client: the python-diameter raw-socket client of
//! `shared/oracles/` (`diameter-client.py`) sends its own vectors (Gy CCR-I/U/T with 3GPP
//! Service-Information, ACR, S6a, Sh, session commands) and reads the answers with
//! python-diameter. Skipped when python-diameter or the scripts are missing, except under
//! `DIAMETER_REQUIRE_ORACLES=1`, where that fails.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{config_file, start, LIMIT};
use serde_json::Value;

/// `shared/oracles/`: `$DIAMETER_ORACLES_DIR`, or `../shared/oracles` beside the workspace.
fn oracles() -> Option<PathBuf> {
    let dir = match std::env::var_os("DIAMETER_ORACLES_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracles"),
    };
    let python = std::process::Command::new("python3")
        .args(["-c", "import diameter.message"])
        .output()
        .is_ok_and(|o| o.status.success());
    let found = dir.join("diameter-client.py").exists();
    if found && python {
        return Some(dir);
    }
    let why = if found {
        "python-diameter missing"
    } else {
        "shared/oracles not found"
    };
    assert!(
        std::env::var("DIAMETER_REQUIRE_ORACLES").map_or(true, |v| v != "1"),
        "DIAMETER_REQUIRE_ORACLES=1 but the python-diameter client cannot run: {why}"
    );
    eprintln!("skipped: python-diameter client ({why})");
    None
}

/// Runs the client's `steps` against `port`; its exit status and the answers it logged.
async fn client(dir: &Path, port: u16, steps: &str) -> (bool, String, Vec<Value>) {
    let run = tokio::process::Command::new("python3")
        .arg(dir.join("diameter-client.py"))
        .args(["--port", &port.to_string(), "--steps", steps, "--json"])
        .args(["--timeout", "5", "--max-time", "30"])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(LIMIT * 2, run).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // The answer log is the JSON array after the text lines.
    let log = text
        .find("\n[")
        .map(|i| serde_json::from_str::<Vec<Value>>(&text[i + 1..]).unwrap())
        .unwrap_or_default();
    (out.status.success(), text, log)
}

/// The Result-Codes the client logged for command `code`, in order.
fn results(log: &[Value], code: u64) -> Vec<Option<u64>> {
    log.iter()
        .filter(|e| e["code"].as_u64() == Some(code))
        .map(|e| e["result_code"].as_u64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_gets_answers_from_the_roles() {
    let Some(dir) = oracles() else { return };
    // The vectors' subscriber and users, in the tables of the roles.
    let config = config_file(
        "oracle.toml",
        r#"
origin_host = "server.test.local"
origin_realm = "test.local"
roles = ["ocs", "acct", "hss", "sh"]
[ocs]
balances = { "001010123456789" = 5000000 }
[hss]
subscribers = { "001010123456789" = "491234567890" }
[[sh.users]]
identities = ["sip:alice@test.local"]
msisdn = "491234567890"
registered = true
"#,
    );
    let served = start(
        &[
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        false,
    )
    .await;
    let steps = "cer,dwr,ccr,ccr-u,ccr-t,acr,acr-interim,acr-stop,ulr,air,udr,dpr";
    let (ok, text, log) = client(&dir, served.diameter.port(), steps).await;
    let (status, logs) = served.stop().await;
    assert!(ok, "{text}\n{logs}");
    assert!(status.success(), "{logs}");
    assert_eq!(results(&log, 272), [Some(2001); 3], "{text}");
    assert_eq!(results(&log, 271), [Some(2001); 3], "{text}");
    assert_eq!(results(&log, 316), [Some(2001)], "ULR: {text}");
    assert_eq!(results(&log, 318), [Some(2001)], "AIR: {text}");
    assert_eq!(results(&log, 306), [Some(2001)], "UDR: {text}");
    assert!(log.iter().all(|e| e["error_bit"] == false), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_gets_2001_from_echo_for_every_command() {
    let Some(dir) = oracles() else { return };
    let served = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--origin-host",
            "server.test.local",
            "--origin-realm",
            "test.local",
            "--role",
            "echo",
        ],
        false,
    )
    .await;
    let steps =
        "cer,dwr,ccr,ccr-u,ccr-t,acr,acr-stop,ulr,air,nor,pur-s6a,udr,pur-sh,snr,str,rar,asr,dpr";
    let (ok, text, log) = client(&dir, served.diameter.port(), steps).await;
    let (status, logs) = served.stop().await;
    assert!(ok, "{text}\n{logs}");
    assert!(status.success(), "{logs}");
    // CER .. DPR: one answer per step, each 2001 without the E bit.
    assert_eq!(log.len(), steps.split(',').count(), "{text}");
    for e in &log {
        assert_eq!(e["result_code"].as_u64(), Some(2001), "{e}");
        assert_eq!(e["error_bit"], false, "{e}");
    }
}
