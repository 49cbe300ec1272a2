//! Interoperability with independent Diameter stacks on 127.0.0.1: the Erlang/OTP `diameter`
//! application and freeDiameter 1.2.1, driven by the scripts of `shared/oracles/` (see
//! docs/oracles.md). Our node is the client of each (CER/CEA, DWR/DWA over several watchdog
//! intervals, CCR/CCA, ACR/ACA, DPR/DPA), and each is the client of our node.
//!
//! A test whose peer is missing is skipped with a line on standard error, except under
//! `DIAMETER_REQUIRE_ORACLES=1` (set by `.ci/run`), where it fails. Ports are chosen by the OS
//! (bound, read, released); every wait is bounded; every process is stopped by its pid
//! (`kill_on_drop`, or the freeDiameter script's own `stop`, which reads its pid file).

mod support;
use support::node_events::{answer_ccr, events};

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diameter_messages::accounting::{AccountingAnswer, AccountingRequest};
use diameter_messages::base::AccountingRecordType;
use diameter_messages::credit_control::{
    CcRequestType, CreditControlRequest, CreditControlRequestBuilder,
};
use diameter_messages::prelude::*;
use diameter_transport::{Application, Node, NodeBuilder, NodeEvent, WatchdogConfig};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use support::oracles::{free_port_pair, require, FreeDiameter};

/// The bound on every wait for a peer or a message.
const WAIT: Duration = Duration::from_secs(30);
/// The shortest Tw RFC 3539 allows: DWRs every 4 to 8 s (Tw with its jitter).
const TW: Duration = Duration::from_secs(6);
/// Watchdog exchanges each client test waits for.
const DWR_ROUNDS: u64 = 3;
const REALM: &str = "test.local";

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The Erlang/OTP peer (`erlang-peer.escript`), killed by pid when dropped.
struct Otp {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Otp {
    fn spawn(dir: &Path, args: &[&str]) -> Otp {
        let mut child = Command::new("escript")
            .arg(dir.join("erlang-peer.escript"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start escript");
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut rd = BufReader::new(stdout).lines();
            while let Ok(Some(l)) = rd.next_line().await {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Otp { child, lines }
    }

    /// Waits (bounded) for a line starting with `prefix`.
    async fn line(&mut self, prefix: &str) -> String {
        let found = tokio::time::timeout(WAIT, async {
            while let Some(l) = self.lines.recv().await {
                if l.starts_with(prefix) {
                    return Some(l);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(l)) => l,
            Ok(None) => panic!("OTP peer exited before printing {prefix:?}"),
            Err(_) => panic!("OTP peer printed no {prefix:?} within {WAIT:?}"),
        }
    }
}

async fn wait_for<T>(
    rx: &mut mpsc::UnboundedReceiver<NodeEvent>,
    what: &str,
    mut pick: impl FnMut(&NodeEvent) -> Option<T>,
) -> T {
    let found = tokio::time::timeout(WAIT, async {
        while let Some(e) = rx.recv().await {
            if let Some(t) = pick(&e) {
                return Some(t);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(t)) => t,
        _ => panic!("no {what} event within {WAIT:?}"),
    }
}

fn node(host: &str) -> NodeBuilder {
    Node::builder()
        .origin_host(host)
        .origin_realm(REALM)
        .applications([Application::auth(4), Application::acct(3)])
        .watchdog(WatchdogConfig::new(TW).expect("Tw"))
        // As long as any other wait here: these tests check what the peers say, not how
        // fast. With 10 s the OTP client test's first CCA failed three times on a machine
        // busy with builds and callgrind (the error was not kept); a slow first answer from
        // an Erlang node under that load is the likely cause, and this rules it out.
        .request_timeout(WAIT)
}

fn ccr(n: u32) -> CreditControlRequestBuilder<'static> {
    CreditControlRequest::builder()
        .destination_realm(DiameterIdentity::from_static(REALM))
        .auth_application_id(4)
        .service_context_id("32251@3gpp.org")
        .cc_request_type(if n == 0 {
            CcRequestType::INITIAL_REQUEST
        } else {
            CcRequestType::UPDATE_REQUEST
        })
        .cc_request_number(n)
}

/// Waits until the peer's counters show `rounds` DWR/DWA exchanges started by our node.
async fn watchdog_rounds(node: &Node, rounds: u64) -> (u64, u64) {
    let deadline = TW * (rounds as u32 + 2);
    let got = tokio::time::timeout(deadline, async {
        loop {
            let c = node.peers().first().map(|p| p.counters.clone());
            if let Some(c) = c {
                if c.watchdog_answers_received >= rounds {
                    return (c.watchdog_requests_sent, c.watchdog_answers_received);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    got.unwrap_or_else(|_| panic!("{rounds} DWR/DWA exchanges did not happen within {deadline:?}"))
}

/// The client session every server peer gets: CCR-I/U/T, ACR, DWR/DWA over several Tw,
/// DPR/DPA. Returns how long it took from the CER.
async fn client_session(host: &str, port: u16, peer: &str) -> Duration {
    let started = Instant::now();
    let (hook, mut ev) = events();
    let client = node(host).on_event(hook).build().expect("node");
    client.connect(addr(port));
    let (remote, role) = wait_for(&mut ev, "Connected", |e| match e {
        NodeEvent::Connected {
            origin_host, role, ..
        } => Some((origin_host.clone(), *role)),
        _ => None,
    })
    .await;
    assert_eq!(remote, peer);
    assert_eq!(role, diameter_transport::Conn::Initiator);
    // The event comes just before the connection is published for requests.
    assert!(client.wait_open(WAIT).await, "peer open for requests");
    let info = &client.peers()[0];
    assert!(
        info.applications.contains(&Application::auth(4))
            && info.applications.contains(&Application::acct(3)),
        "agreed {:?}",
        info.applications
    );

    for n in 0..3 {
        let cca = client.call(ccr(n)).await.expect("CCA");
        assert_eq!(cca.result_code, 2001, "CCA {n}");
        assert_eq!(cca.cc_request_number, n);
        assert_eq!(cca.origin_host.as_bytes(), peer.as_bytes());
    }
    // Built whole (the builder sets only required AVPs); Session-Id and Origin-* left empty
    // are filled in by the node.
    let acr = AccountingRequest {
        destination_realm: DiameterIdentity::from_static(REALM),
        accounting_record_type: AccountingRecordType::EVENT_RECORD,
        accounting_record_number: 0,
        acct_application_id: Some(3),
        ..Default::default()
    };
    let aca: AccountingAnswer<'static> = client.call(acr).await.expect("ACA");
    assert_eq!(aca.result_code, 2001);

    // The watchdog: DWRs go out at each Tw of silence and the peer answers every one.
    let (sent, answered) = watchdog_rounds(&client, DWR_ROUNDS).await;
    assert!(answered <= sent, "{answered} DWAs for {sent} DWRs");
    let counters = &client.peers()[0].counters;
    assert_eq!(counters.requests_sent, 4);
    assert_eq!(counters.answers_received.get(&2001), Some(&4));
    assert_eq!(counters.timeouts + counters.unexpected_answers, 0);

    // DPR/DPA: an orderly close, no error.
    tokio::time::timeout(WAIT, client.shutdown())
        .await
        .expect("shutdown in time");
    let (error, cause) = wait_for(&mut ev, "Down", |e| match e {
        NodeEvent::Down {
            error,
            remote_cause,
            ..
        } => Some((error.clone(), *remote_cause)),
        _ => None,
    })
    .await;
    assert_eq!(error, None, "DPR/DPA should close without error");
    assert_eq!(cause, None, "we sent the DPR, not the peer");
    let took = started.elapsed();
    eprintln!(
        "interop: {host} -> {peer}: CER/CEA, 3 CCR, 1 ACR, {answered} DWR/DWA, DPR/DPA in {took:.1?}"
    );
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_otp() {
    let Some(dir) = require("Erlang/OTP", &["escript"]) else {
        return;
    };
    let port = free_port_pair();
    let mut otp = Otp::spawn(
        &dir,
        &[
            &port.to_string(),
            "--max-seconds",
            "120",
            "--host",
            "erl.test.local",
        ],
    );
    otp.line("LISTENING").await;
    client_session("rs-otp.test.local", port, "erl.test.local").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_freediameter() {
    let Some(dir) = require(
        "freeDiameter",
        &["freeDiameterd", "gcc", "socat", "openssl"],
    ) else {
        return;
    };
    let port = free_port_pair();
    let fd = FreeDiameter::start(&dir, port, &[]);
    client_session("rs-fd.test.local", port, "peer.test.local").await;
    // freeDiameter logged our messages as it parsed them (its dbg_msg_dumps extension).
    let log = fd.log();
    assert!(
        log.contains("rs-fd.test.local"),
        "freeDiameter never saw us"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otp_client_against_our_node() {
    let Some(dir) = require("Erlang/OTP", &["escript"]) else {
        return;
    };
    let started = Instant::now();
    let served = Arc::new(AtomicUsize::new(0));
    let (hook, mut ev) = events();
    let count = Arc::clone(&served);
    let server = node("rs-server.test.local")
        .allow_peer("cli.test.local")
        .on_event(hook)
        .handler(move |ccr, ctx| {
            count.fetch_add(1, Ordering::Relaxed);
            answer_ccr(ccr, ctx)
        })
        .build()
        .expect("node");
    let local = server.listen(addr(0)).await.expect("listen");
    let requests = 20;
    let mut otp = Otp::spawn(
        &dir,
        &[
            "--connect",
            &local.port().to_string(),
            "--requests",
            &requests.to_string(),
            "--host",
            "cli.test.local",
            "--max-seconds",
            "60",
        ],
    );
    let done = otp.line("DONE").await;
    assert_eq!(
        done,
        format!("DONE sent={requests} answered={requests} ok={requests}")
    );
    let status = tokio::time::timeout(WAIT, otp.child.wait())
        .await
        .expect("OTP client exits in time")
        .expect("wait");
    assert!(status.success(), "OTP client: {status}");
    // OTP stops its service with DPR; we answer and see the peer go down in order.
    let (error, cause) = wait_for(&mut ev, "Down", |e| match e {
        NodeEvent::Down {
            error,
            remote_cause,
            ..
        } => Some((error.clone(), *remote_cause)),
        _ => None,
    })
    .await;
    assert_eq!(error, None);
    assert!(cause.is_some(), "OTP closes with DPR");
    assert_eq!(served.load(Ordering::Relaxed), requests);
    let counters = server.command_counters();
    let ccr_counts = counters
        .iter()
        .find(|(k, _)| k.application_id == 4 && k.command_code == 272)
        .map(|(_, c)| c.clone())
        .expect("CCR counted");
    assert_eq!(ccr_counts.answers_sent.get(&2001), Some(&(requests as u64)));
    server.shutdown().await;
    eprintln!(
        "interop: OTP client -> our node: CER/CEA, {requests} CCR/CCA, DPR/DPA in {:.1?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freediameter_client_against_our_node() {
    let Some(dir) = require(
        "freeDiameter",
        &["freeDiameterd", "gcc", "socat", "openssl"],
    ) else {
        return;
    };
    let started = Instant::now();
    let (hook, mut ev) = events();
    // Our Tw is longer than freeDiameter's 30 s, and any message resets a watchdog: so the
    // link stays silent long enough for freeDiameter's DWR to come to us.
    let server = node("rs-node.test.local")
        .watchdog(WatchdogConfig::new(Duration::from_secs(60)).expect("Tw"))
        .allow_peer("peer.test.local")
        .on_event(hook)
        .handler(answer_ccr)
        .build()
        .expect("node");
    let local = server.listen(addr(0)).await.expect("listen");
    let port = free_port_pair();
    let connect = format!("rs-node.test.local@{}", local.port());
    let fd = FreeDiameter::start(&dir, port, &[("FD_CONNECT", &connect), ("FD_TC", "5")]);
    let (remote, role) = wait_for(&mut ev, "Connected", |e| match e {
        NodeEvent::Connected {
            origin_host, role, ..
        } => Some((origin_host.clone(), *role)),
        _ => None,
    })
    .await;
    assert_eq!(remote, "peer.test.local");
    assert_eq!(role, diameter_transport::Conn::Responder);
    assert!(server.wait_open(WAIT).await, "peer open for requests");
    // Over the connection freeDiameter opened, our node is the client too.
    for n in 0..3 {
        let cca = server.call(ccr(n)).await.expect("CCA");
        assert_eq!(cca.result_code, 2001);
    }
    // freeDiameter's DWR (TwTimer 30 s, with jitter) is answered by us.
    let limit = Duration::from_secs(45);
    let dwrs = tokio::time::timeout(limit, async {
        loop {
            let c = server.peers().first().map(|p| p.counters.clone());
            if let Some(c) = c.filter(|c| c.watchdog_requests_received >= 1) {
                return c.watchdog_requests_received;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no DWR from freeDiameter within {limit:?}"));
    // Our DPR is answered, and the peer goes down in order.
    tokio::time::timeout(WAIT, server.shutdown())
        .await
        .expect("shutdown in time");
    let error = wait_for(&mut ev, "Down", |e| match e {
        NodeEvent::Down { error, .. } => Some(error.clone()),
        _ => None,
    })
    .await;
    assert_eq!(error, None);
    let log = fd.log();
    assert!(
        log.contains("rs-node.test.local"),
        "freeDiameter never saw us"
    );
    eprintln!(
        "interop: freeDiameter client -> our node: CER/CEA, 3 CCR/CCA, {dwrs} DWR/DWA from it, DPR/DPA in {:.1?}",
        started.elapsed()
    );
}

#[cfg(feature = "tls")]
/// A CA of this run, freeDiameter's certificate from it (with the CA after it, so that
/// freeDiameter's TLS_CA, which is its own cert.pem, trusts the CA), and our node's TLS
/// settings from it.
fn tls_material(our_host: &str) -> (String, String, diameter_transport::TlsConfig) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let issue = |name: &str| {
        let key = KeyPair::generate().expect("key");
        let cert = CertificateParams::new(vec![name.to_owned()])
            .expect("params")
            .signed_by(&key, &ca, &ca_key)
            .expect("cert");
        (cert.pem(), key.serialize_pem())
    };
    let (fd_cert, fd_key) = issue("peer.test.local");
    let (our_cert, our_key) = issue(our_host);
    let ours = diameter_transport::TlsConfig::from_pem(
        our_cert.as_bytes(),
        our_key.as_bytes(),
        ca.pem().as_bytes(),
    )
    .expect("TLS config");
    (format!("{fd_cert}{}", ca.pem()), fd_key, ours)
}

#[cfg(feature = "tls")]
/// CER/CEA, CCR/CCA and DPR/DPA with freeDiameter on its TLS port (TLS at connect), both
/// sides authenticated by certificates of one CA, the Origin-Hosts checked against them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_freediameter_tls_at_connect() {
    let Some(dir) = require(
        "freeDiameter",
        &["freeDiameterd", "gcc", "socat", "openssl"],
    ) else {
        return;
    };
    let started = Instant::now();
    let host = "rs-tls.test.local";
    let (fd_chain, fd_key, ours) = tls_material(host);
    let port = free_port_pair();
    let fd = FreeDiameter::start_with_cert(&dir, port, &[], Some((&fd_chain, &fd_key)));
    let (hook, mut ev) = events();
    let client = node(host).tls(ours).on_event(hook).build().expect("node");
    client
        .connect_tls(addr(port + 1), "peer.test.local")
        .expect("connect_tls");
    if !client.wait_open(WAIT).await {
        let log = fd.log();
        let tail = &log[log.len().saturating_sub(4000)..];
        panic!("not open over TLS with freeDiameter; its log ends:\n{tail}");
    }
    assert!(client.peers()[0].tls, "the connection runs TLS");
    for n in 0..3 {
        let cca = client.call(ccr(n)).await.expect("CCA over TLS");
        assert_eq!(cca.result_code, 2001);
    }
    tokio::time::timeout(WAIT, client.shutdown())
        .await
        .expect("shutdown in time");
    let error = wait_for(&mut ev, "Down", |e| match e {
        NodeEvent::Down { error, .. } => Some(error.clone()),
        _ => None,
    })
    .await;
    assert_eq!(error, None);
    eprintln!(
        "interop: {host} -> freeDiameter over TLS at connect: CER/CEA, 3 CCR/CCA, DPR/DPA in {:.1?}",
        started.elapsed()
    );
}

#[cfg(feature = "tls")]
/// In-band TLS offered to freeDiameter on its plain port. The oracle script admits peers
/// with `ALLOW_OLD_TLS ALLOW_IPSEC`, which freeDiameter's acl_wl reduces to "no TLS" (IPsec
/// is assumed to protect the link), so its CEA carries no Inband-Security-Id: a node that
/// only offers TLS goes on in the clear, and one that requires it refuses the peer (5017's
/// reason, on the initiator side). With the acl_wl line edited to `ALLOW_OLD_TLS` alone,
/// freeDiameter does agree TLS: see `our_client_inband_tls_with_freediameter`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_offering_inband_tls_to_freediameter() {
    let Some(dir) = require(
        "freeDiameter",
        &["freeDiameterd", "gcc", "socat", "openssl"],
    ) else {
        return;
    };
    let started = Instant::now();
    let (fd_chain, fd_key, ours) = tls_material("rs-offer.test.local");
    let port = free_port_pair();
    let _fd = FreeDiameter::start_with_cert(&dir, port, &[], Some((&fd_chain, &fd_key)));

    let offering = node("rs-offer.test.local")
        .tls(ours.clone())
        .inband_tls(false)
        .build()
        .expect("node");
    offering.connect(addr(port));
    assert!(offering.wait_open(WAIT).await, "open in the clear");
    assert!(!offering.peers()[0].tls, "freeDiameter did not take TLS");
    let cca = offering.call(ccr(0)).await.expect("CCA");
    assert_eq!(cca.result_code, 2001);
    tokio::time::timeout(WAIT, offering.shutdown())
        .await
        .expect("shutdown in time");

    let (hook, mut ev) = events();
    let requiring = node("rs-require.test.local")
        .tls(ours)
        .inband_tls(true)
        .on_event(hook)
        .build()
        .expect("node");
    requiring.connect(addr(port));
    let error = wait_for(&mut ev, "Down", |e| match e {
        NodeEvent::Down { error, .. } => Some(error.clone()),
        _ => None,
    })
    .await;
    assert!(
        matches!(
            error,
            Some(diameter_transport::PeerError::Capabilities(
                diameter_transport::CapabilityError::NoCommonSecurity { .. }
            ))
        ),
        "got {error:?}"
    );
    requiring.shutdown().await;
    eprintln!(
        "interop: in-band TLS offered/required to freeDiameter: clear / refused in {:.1?}",
        started.elapsed()
    );
}

#[cfg(feature = "tls")]
/// The acl_wl line that admits our hosts with in-band TLS only: the script writes
/// `ALLOW_OLD_TLS ALLOW_IPSEC`, and with IPsec allowed freeDiameter settles on no TLS.
const ACL_OLD_TLS_ONLY: (&str, &str) = ("ALLOW_OLD_TLS ALLOW_IPSEC $pat", "ALLOW_OLD_TLS $pat");

#[cfg(feature = "tls")]
/// In-band TLS (RFC 3588) with freeDiameter on its plain port: the script's acl_wl line is
/// edited to admit us with `ALLOW_OLD_TLS` alone, our node requires TLS, both CER and CEA
/// carry Inband-Security-Id TLS, the TLS handshake follows the CEA (both sides
/// authenticated), and CCR/CCA and DPR/DPA run over it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_inband_tls_with_freediameter() {
    let Some(dir) = require(
        "freeDiameter",
        &["freeDiameterd", "gcc", "socat", "openssl"],
    ) else {
        return;
    };
    let started = Instant::now();
    let host = "rs-inband.test.local";
    let (fd_chain, fd_key, ours) = tls_material(host);
    let port = free_port_pair();
    let fd = FreeDiameter::start_edited(
        &dir,
        port,
        &[],
        Some((&fd_chain, &fd_key)),
        &[ACL_OLD_TLS_ONLY],
    );
    let (hook, mut ev) = events();
    let client = node(host)
        .tls(ours)
        .inband_tls(true)
        .on_event(hook)
        .build()
        .expect("node");
    client.connect(addr(port));
    if !client.wait_open(WAIT).await {
        let log = fd.log();
        let tail = &log[log.len().saturating_sub(4000)..];
        panic!("not open with in-band TLS with freeDiameter; its log ends:\n{tail}");
    }
    assert!(
        client.peers()[0].tls,
        "the connection runs TLS after CER/CEA"
    );
    for n in 0..3 {
        let cca = client.call(ccr(n)).await.expect("CCA over in-band TLS");
        assert_eq!(cca.result_code, 2001);
        assert_eq!(cca.cc_request_number, n);
    }
    tokio::time::timeout(WAIT, client.shutdown())
        .await
        .expect("shutdown in time");
    let error = wait_for(&mut ev, "Down", |e| match e {
        NodeEvent::Down { error, .. } => Some(error.clone()),
        _ => None,
    })
    .await;
    assert_eq!(error, None, "DPR/DPA over TLS should close without error");
    // freeDiameter's side: its CEA (dumped before it is sent) said TLS, and the peer went
    // through the handshake state it uses only for TLS after the CEA.
    let log = fd.log();
    let cea = log
        .split("'Capabilities-Exchange-Answer'")
        .nth(1)
        .and_then(|rest| rest.split("STATE_").next())
        .unwrap_or_default();
    assert!(
        cea.contains("'Inband-Security-Id'(299) l=12 f=-M val='TLS'"),
        "freeDiameter's CEA does not offer TLS:\n{cea}"
    );
    assert!(
        log.contains(&format!(
            "'STATE_OPEN_HANDSHAKE'\t-> 'STATE_OPEN'\t'{host}'"
        )),
        "freeDiameter did not go through its TLS handshake state"
    );
    eprintln!(
        "interop: {host} -> freeDiameter with in-band TLS: CER/CEA, TLS, 3 CCR/CCA, DPR/DPA in {:.1?}",
        started.elapsed()
    );
}

#[cfg(feature = "tls")]
/// In-band TLS the other way: freeDiameter connects to our node (its ConnectPeer, edited in
/// a copy of the script from `No_TLS` to `TLS_old_method`, RFC 3588's TLS after CER/CEA);
/// our node requires TLS, answers the CER with Inband-Security-Id TLS, takes the TLS
/// server's part of the handshake, then sends CCRs over it and closes with DPR/DPA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freediameter_client_inband_tls_to_our_node() {
    let Some(dir) = require(
        "freeDiameter",
        &["freeDiameterd", "gcc", "socat", "openssl"],
    ) else {
        return;
    };
    let started = Instant::now();
    let host = "rs-inband-node.test.local";
    let (fd_chain, fd_key, ours) = tls_material(host);
    let (hook, mut ev) = events();
    let server = node(host)
        .tls(ours)
        .inband_tls(true)
        .allow_peer("peer.test.local")
        .on_event(hook)
        .handler(answer_ccr)
        .build()
        .expect("node");
    let local = server.listen(addr(0)).await.expect("listen");
    let port = free_port_pair();
    let connect = format!("{host}@{}", local.port());
    let fd = FreeDiameter::start_edited(
        &dir,
        port,
        &[("FD_CONNECT", &connect), ("FD_TC", "5")],
        Some((&fd_chain, &fd_key)),
        &[("No_TLS; };", "TLS_old_method; };")],
    );
    if !server.wait_open(WAIT).await {
        let log = fd.log();
        let tail = &log[log.len().saturating_sub(4000)..];
        panic!("freeDiameter did not open with in-band TLS to us; its log ends:\n{tail}");
    }
    let info = &server.peers()[0];
    assert_eq!(info.origin_host.as_deref(), Some("peer.test.local"));
    assert!(info.tls, "the connection runs TLS after CER/CEA");
    for n in 0..3 {
        let cca = server.call(ccr(n)).await.expect("CCA over in-band TLS");
        assert_eq!(cca.result_code, 2001);
    }
    tokio::time::timeout(WAIT, server.shutdown())
        .await
        .expect("shutdown in time");
    let error = wait_for(&mut ev, "Down", |e| match e {
        NodeEvent::Down { error, .. } => Some(error.clone()),
        _ => None,
    })
    .await;
    assert_eq!(error, None, "DPR/DPA over TLS should close without error");
    // freeDiameter logs one "TLS ERROR ... gnutls_record_recv ... try again" right after the
    // handshake: GnuTLS's EAGAIN (not traced further; post-handshake TLS 1.3 records such as
    // session tickets are a likely cause). It reads again and the exchange goes on, as the
    // CCAs above show.
    let log = fd.log();
    assert!(
        log.contains(&format!(
            "'STATE_OPEN_HANDSHAKE'\t-> 'STATE_OPEN'\t'{host}'"
        )),
        "freeDiameter did not go through its TLS handshake state"
    );
    eprintln!(
        "interop: freeDiameter -> our node with in-band TLS: CER/CEA, TLS, 3 CCR/CCA, DPR/DPA in {:.1?}",
        started.elapsed()
    );
}

/// Our node as a relay between two OTP peers: an OTP client sends its CCRs to our relay,
/// which forwards them, with a Route-Record naming the client, to an OTP server of the
/// realm; the answers come back with the client's own hop-by-hop identifiers (else OTP
/// would not match them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otp_client_through_our_relay_to_otp_server() {
    let Some(dir) = require("Erlang/OTP", &["escript"]) else {
        return;
    };
    let started = Instant::now();
    let port = free_port_pair();
    let mut server = Otp::spawn(
        &dir,
        &[
            &port.to_string(),
            "--max-seconds",
            "120",
            "--host",
            "erl-srv.test.local",
        ],
    );
    server.line("LISTENING").await;
    let relay = Node::builder()
        .origin_host("rs-relay.relay.local")
        .origin_realm("relay.local")
        .applications([Application::RELAY])
        .accept_unknown_peers(true)
        .watchdog(WatchdogConfig::new(TW).expect("Tw"))
        .route(diameter_transport::Route::new(
            REALM,
            diameter_transport::Action::relay(["erl-srv.test.local"]),
        ))
        .build()
        .expect("relay");
    relay.connect(addr(port));
    assert!(
        relay.wait_open(WAIT).await,
        "the relay reaches the OTP server"
    );
    let local = relay.listen(addr(0)).await.expect("listen");
    let requests = 10;
    let mut client = Otp::spawn(
        &dir,
        &[
            "--connect",
            &local.port().to_string(),
            "--requests",
            &requests.to_string(),
            "--host",
            "cli.test.local",
            "--max-seconds",
            "60",
        ],
    );
    let done = client.line("DONE").await;
    assert_eq!(
        done,
        format!("DONE sent={requests} answered={requests} ok={requests}")
    );
    let status = tokio::time::timeout(WAIT, client.child.wait())
        .await
        .expect("OTP client exits in time")
        .expect("wait");
    assert!(status.success(), "OTP client: {status}");
    // The server saw the relay's Route-Record naming the client (OTP prints binaries as
    // their bytes).
    let req = server.line("REQ").await;
    let bytes: Vec<String> = "cli.test.local".bytes().map(|b| b.to_string()).collect();
    let route_record = format!("'Route-Record' => [<<{}>>]", bytes.join(","));
    assert!(req.contains(&route_record), "{req}");
    let upstream = relay
        .peers()
        .into_iter()
        .find(|p| p.origin_host.as_deref() == Some("erl-srv.test.local"))
        .expect("the OTP server is a peer");
    assert_eq!(upstream.counters.requests_relayed, requests);
    assert_eq!(
        upstream.counters.answers_received.get(&2001),
        Some(&requests)
    );
    relay.shutdown().await;
    eprintln!(
        "interop: OTP client -> our relay -> OTP server: {requests} CCR/CCA in {:.1?}",
        started.elapsed()
    );
}
