//! `diameter send` and `diameter load` run as their users run them, against a node served
//! inside the test on 127.0.0.1 (credit control, answering 2001 with quota and recording
//! each Session-Id), and `load` against the freeDiameter peer of `shared/oracles/`.
//!
//! Every run of the binary is bounded in time and killed by pid when it overruns; loads are
//! a second or two at a modest rate.

#[path = "../../diameter-transport/tests/support/oracles.rs"]
mod oracles;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diameter_messages::credit_control::{
    CreditControlAnswer, CreditControlRequest, GrantedServiceUnit, MultipleServicesCreditControl,
};
use diameter_transport::{Application, Context, Node};
use serde_json::Value;
use tokio::process::Command;

use oracles::{free_port_pair, require, FreeDiameter};

/// The bound on each run of the binary.
const WAIT: Duration = Duration::from_secs(60);

/// A CCR with placeholders: the subscriber differs per request, CC-Request-Number is the
/// message's place in the file.
const CCR: &str = r#"{"command": "CCR", "avps": [
 {"name": "Destination-Realm", "value": "test.local"},
 {"name": "Auth-Application-Id", "value": 4},
 {"name": "Service-Context-Id", "value": "32251@3gpp.org"},
 {"name": "CC-Request-Type", "enum": "INITIAL_REQUEST"},
 {"name": "CC-Request-Number", "value": "{step}"},
 {"name": "Subscription-Id", "value": [
   {"name": "Subscription-Id-Type", "enum": "END_USER_E164"},
   {"name": "Subscription-Id-Data", "value": "4670{seq}"}]},
 {"name": "Multiple-Services-Credit-Control", "value": [
   {"name": "Requested-Service-Unit", "value": [{"name": "CC-Total-Octets", "value": 1000}]},
   {"name": "Rating-Group", "value": 100}]}]}"#;

/// A test server: answers CCRs and records their Session-Ids.
struct Server {
    node: Node,
    addr: SocketAddr,
    sessions: Arc<Mutex<Vec<String>>>,
}

async fn server() -> Server {
    server_with(None).await
}

/// The test server; with TLS settings, it listens for TLS at connect.
async fn server_with(tls: Option<diameter_transport::TlsConfig>) -> Server {
    let sessions = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&sessions);
    let node = Node::builder()
        .origin_host("ocs.test.local")
        .origin_realm("test.local")
        .applications([Application::auth(4)])
        .accept_unknown_peers(true)
        .handler(move |ccr: CreditControlRequest<'static>, _ctx: Context| {
            seen.lock()
                .expect("sessions")
                .push(ccr.session_id.as_str().to_owned());
            async move {
                let mut gsu = GrantedServiceUnit::new();
                gsu.cc_total_octets = Some(1000);
                let mut mscc = MultipleServicesCreditControl::new();
                mscc.granted_service_unit = Some(gsu);
                mscc.rating_group = Some(100);
                CreditControlAnswer {
                    result_code: 2001,
                    auth_application_id: 4,
                    cc_request_type: ccr.cc_request_type,
                    cc_request_number: ccr.cc_request_number,
                    multiple_services_credit_control: vec![mscc],
                    ..Default::default()
                }
            }
        });
    let any = "127.0.0.1:0".parse().expect("address");
    let (node, addr) = match tls {
        None => {
            let node = node.build().expect("server node");
            let addr = node.listen(any).await.expect("listen");
            (node, addr)
        }
        Some(tls) => {
            let node = node.tls(tls).build().expect("server node");
            let addr = node.listen_tls(any).await.expect("listen");
            (node, addr)
        }
    };
    Server {
        node,
        addr,
        sessions,
    }
}

/// Writes `content` to a fresh file for the binary to read.
fn message_file(name: &str, content: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "diameter-cli-client-{}-{name}.json",
        std::process::id()
    ));
    std::fs::write(&path, content).expect("write message file");
    path
}

/// Runs `diameter ARGS` to its end, bounded.
async fn diameter(args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_diameter"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start diameter");
    tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("diameter finished in time")
        .expect("diameter output")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn explain(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Checks a load summary: every request answered 2001, nothing else; returns `sent`.
fn check_summary(out: &Output) -> u64 {
    assert_eq!(out.status.code(), Some(0), "{}", explain(out));
    let text = stdout(out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON object: {}", explain(out));
    let s: Value = serde_json::from_str(lines[0]).expect("JSON summary");
    let sent = s["sent"].as_u64().expect("sent");
    assert!(sent > 0, "{s}");
    assert_eq!(s["answered"], sent, "{s}");
    assert_eq!(s["errors"], serde_json::json!({}), "{s}");
    assert_eq!(s["timeouts"], 0, "{s}");
    assert_eq!(s["result_codes"], serde_json::json!({"2001": sent}), "{s}");
    let l = &s["latency_us"];
    for key in ["p50", "p90", "p99", "p99.9", "max"] {
        assert!(l[key].as_u64().is_some(), "latency {key}: {s}");
    }
    assert!(l["p50"].as_u64() <= l["p99"].as_u64() && l["p99"].as_u64() <= l["max"].as_u64());
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_prints_each_answer() {
    let s = server().await;
    let peer = s.addr.to_string();
    // Two requests of one session: the second's Session-Id is the first's.
    let terminate = CCR.replace("INITIAL_REQUEST", "TERMINATION_REQUEST");
    let file = message_file(
        "send",
        &format!(
            "{}\n{}\n",
            CCR.replace('\n', ""),
            terminate.replace('\n', "")
        ),
    );
    let file = file.to_str().expect("path");
    let common = [
        "send",
        "--peer",
        &peer,
        "--origin-host",
        "cli.test.local",
        "--origin-realm",
        "test.local",
    ];
    let out = diameter(&[&common[..], &["--format", "json", file]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let answers: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(answers.len(), 2, "{}", explain(&out));
    for (n, a) in answers.iter().enumerate() {
        assert_eq!(a["command"], "Credit-Control-Answer");
        assert_eq!(a["result_code"], 2001, "the answer is valid: {a}");
        let avp = |name: &str| {
            a["avps"]
                .as_array()
                .and_then(|l| l.iter().find(|x| x["name"] == name))
                .map(|x| x["value"].clone())
        };
        assert_eq!(avp("Result-Code"), Some(Value::from(2001)));
        assert_eq!(avp("CC-Request-Number"), Some(Value::from(n)));
    }
    let sessions = s.sessions.lock().expect("sessions").clone();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0], sessions[1], "one session per round");
    assert!(sessions[0].starts_with("cli.test.local;"), "{sessions:?}");

    let out = diameter(&[&common[..], &[file]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let text = stdout(&out);
    assert_eq!(
        text.matches("Credit-Control-Answer (CCA)").count(),
        2,
        "{text}"
    );
    assert!(text.contains("result: 2001 DIAMETER_SUCCESS"), "{text}");
    s.node.shutdown().await;
}

/// A CA, and a certificate it signs for `host`: (chain PEM, key PEM).
struct Ca {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl Ca {
    fn new() -> Ca {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("CA cert");
        Ca { cert, key }
    }

    fn issue(&self, host: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec![host.to_owned()])
            .expect("params")
            .signed_by(&key, &self.cert, &self.key)
            .expect("signed");
        (cert.pem(), key.serialize_pem())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_over_tls() {
    let ca = Ca::new();
    let (server_cert, server_key) = ca.issue("ocs.test.local");
    let tls = diameter_transport::TlsConfig::from_pem(
        server_cert.as_bytes(),
        server_key.as_bytes(),
        ca.cert.pem().as_bytes(),
    )
    .expect("server TLS");
    let s = server_with(Some(tls)).await;
    let (cert, key) = ca.issue("cli.test.local");
    let cert_file = message_file("tls-cert", &cert);
    let key_file = message_file("tls-key", &key);
    let ca_file = message_file("tls-ca", &ca.cert.pem());
    let file = message_file("tls", CCR);
    let out = diameter(&[
        "send",
        "--peer",
        &s.addr.to_string(),
        "--origin-host",
        "cli.test.local",
        "--origin-realm",
        "test.local",
        "--tls-cert",
        cert_file.to_str().expect("path"),
        "--tls-key",
        key_file.to_str().expect("path"),
        "--tls-ca",
        ca_file.to_str().expect("path"),
        "--tls-server-name",
        "ocs.test.local",
        "--format",
        "json",
        file.to_str().expect("path"),
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let answer: Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON answer");
    assert_eq!(answer["result_code"], 2001);
    assert!(s
        .node
        .peers()
        .iter()
        .all(|p| p.tls || p.origin_host.is_none()));
    s.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_without_a_peer_exits_3() {
    // A port nothing listens on (bound, read, released).
    let port = free_port_pair();
    let file = message_file("nopeer", CCR);
    let out = diameter(&[
        "send",
        "--peer",
        &format!("127.0.0.1:{port}"),
        "--origin-host",
        "cli.test.local",
        "--connect-timeout",
        "0.5",
        file.to_str().expect("path"),
    ])
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", explain(&out));
    let bad = message_file("bad", r#"{"command": "CCA"}"#);
    let out = diameter(&[
        "send",
        "--peer",
        &format!("127.0.0.1:{port}"),
        bad.to_str().expect("path"),
    ])
    .await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "an answer is refused: {}",
        explain(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_stays_within_its_bounds() {
    let s = server().await;
    let peer = s.addr.to_string();
    let file = message_file("load", CCR);
    let file = file.to_str().expect("path");
    // Rate and duration: 1.5 s at 200/s is 300 requests at most (the pacer's first slot is
    // at the start).
    let out = diameter(&[
        "load",
        "--peer",
        &peer,
        "--origin-host",
        "load.test.local",
        "--origin-realm",
        "test.local",
        "--rate",
        "200",
        "--duration",
        "1.5",
        "--in-flight",
        "8",
        "--connections",
        "2",
        "--format",
        "json",
        file,
    ])
    .await;
    let sent = check_summary(&out);
    assert!((150..=300).contains(&sent), "{}", explain(&out));
    {
        let sessions = s.sessions.lock().expect("sessions");
        assert_eq!(sessions.len() as u64, sent);
        let distinct: HashSet<&String> = sessions.iter().collect();
        assert_eq!(
            distinct.len(),
            sessions.len(),
            "each request its own session"
        );
    }
    // A count bounds the run before its duration does.
    let out = diameter(&[
        "load",
        "--peer",
        &peer,
        "--origin-host",
        "load.test.local",
        "--count",
        "40",
        "--duration",
        "30",
        "--in-flight",
        "4",
        "--format",
        "json",
        file,
    ])
    .await;
    assert_eq!(check_summary(&out), 40);
    s.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_against_freediameter() {
    let Some(dir) = require(
        "freeDiameter",
        &["freeDiameterd", "gcc", "socat", "openssl"],
    ) else {
        return;
    };
    let port = free_port_pair();
    // No message dumps: the log would grow by every request.
    let fd = FreeDiameter::start(&dir, port, &[("FD_DUMP", "0")]);
    let file = message_file("fd", CCR);
    let out = diameter(&[
        "load",
        "--peer",
        &format!("127.0.0.1:{port}"),
        "--origin-host",
        "load.test.local",
        "--origin-realm",
        "test.local",
        "--rate",
        "300",
        "--duration",
        "2",
        "--in-flight",
        "16",
        "--format",
        "json",
        file.to_str().expect("path"),
    ])
    .await;
    let log = fd.log();
    drop(fd);
    if out.status.code() != Some(0) {
        panic!(
            "{}\nfreeDiameter's log ends:\n{}",
            explain(&out),
            &log[log.len().saturating_sub(3000)..]
        );
    }
    let sent = check_summary(&out);
    assert!((300..=600).contains(&sent), "{}", explain(&out));
    eprintln!("load against freeDiameter: {}", stdout(&out).trim());
}
