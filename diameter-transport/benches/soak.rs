//! A bounded soak: our client node sends CCRs at a steady rate to two server nodes over
//! loopback TCP for a fixed time; half-way through, the connection to one server is killed
//! (both ends reset by a relay in between). The client must notice, keep every request
//! going to the other server, reconnect with backoff, pass RFC 3539's REOPEN (three DWAs)
//! and carry traffic to the restored server again.
//!
//! A call that fails because its connection died (PeerDown) is retried by the soak, as an
//! application would: the figures show how many attempts failed and that every request was
//! answered in the end. Memory is the process's resident set (VmRSS of /proc/self/status)
//! after the warm-up, just before the fault, and at the end.
//!
//! Not part of CI (a bench target, built by `--all-targets` only); run it with
//!
//! ```sh
//! cargo bench -p diameter-transport --bench soak
//! SOAK_SECS=30 SOAK_RATE=5000 cargo bench -p diameter-transport --bench soak
//! ```
#![allow(clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diameter_messages::credit_control::{CcRequestType, CreditControlAnswer, CreditControlRequest};
use diameter_messages::prelude::*;
use diameter_transport::{
    Application, BackoffConfig, CallError, Context, Node, NodeEvent, WatchdogConfig, WatchdogState,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn answer_ccr(
    ccr: CreditControlRequest<'static>,
    _ctx: Context,
) -> CreditControlAnswer<'static> {
    CreditControlAnswer {
        result_code: 2001,
        auth_application_id: 4,
        cc_request_type: ccr.cc_request_type,
        cc_request_number: ccr.cc_request_number,
        ..Default::default()
    }
}

async fn server(host: &str) -> (Node, SocketAddr) {
    let node = Node::builder()
        .origin_host(host)
        .origin_realm("example")
        .applications([Application::auth(4)])
        .accept_unknown_peers(true)
        .watchdog(WatchdogConfig::new(WatchdogConfig::MIN_TW).unwrap())
        .handler(answer_ccr)
        .build()
        .unwrap();
    let addr = node
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    (node, addr)
}

/// A TCP relay to `target`; `kill` resets every connection it carries.
struct Relay {
    addr: SocketAddr,
    pairs: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Relay {
    async fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let pairs: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let pairs = Arc::clone(&pairs);
            tokio::spawn(async move {
                while let Ok((mut a, _)) = listener.accept().await {
                    let Ok(mut b) = TcpStream::connect(target).await else {
                        continue;
                    };
                    // Dropped, the sockets reset rather than close: a killed process.
                    let _ = (a.set_zero_linger(), b.set_zero_linger());
                    let _ = (a.set_nodelay(true), b.set_nodelay(true));
                    let task = tokio::spawn(async move {
                        let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
                    });
                    pairs.lock().unwrap().push(task);
                }
            })
        };
        Relay {
            addr,
            pairs,
            accept,
        }
    }

    fn kill(&self) {
        for t in self.pairs.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    answered: AtomicU64,
    failed_attempts: AtomicU64,
    given_up: AtomicU64,
    events: Mutex<Vec<String>>,
}

fn request(n: u32) -> CreditControlRequest<'static> {
    CreditControlRequest {
        destination_realm: DiameterIdentity::from_static("example"),
        auth_application_id: 4,
        service_context_id: "32251@3gpp.org".into(),
        cc_request_type: CcRequestType::UPDATE_REQUEST,
        cc_request_number: n,
        ..Default::default()
    }
}

/// One request, retried after a connection loss until answered (at most 50 attempts).
async fn one(client: Node, n: u32, tally: Arc<Tally>) {
    for _ in 0..50 {
        match client.call(request(n)).await {
            Ok(cca) => {
                assert_eq!(cca.cc_request_number, n);
                tally.answered.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(CallError::PeerDown | CallError::NoPeer { .. }) => {
                tally.failed_attempts.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("request {n}: {e}"),
        }
    }
    tally.given_up.fetch_add(1, Ordering::Relaxed);
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument (a filter) that does not name this
    // soak skips it, as criterion benches skip what the filter leaves out.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && !"soak".contains(a.as_str()))
    {
        return;
    }
    let secs = env("SOAK_SECS", 120);
    let rate = env("SOAK_RATE", 2000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (a, a_addr) = server("ocs-a.example").await;
        let (b, b_addr) = server("ocs-b.example").await;
        let relay = Relay::start(a_addr).await;
        let tally = Arc::new(Tally::default());
        let start = Instant::now();
        let client = {
            let tally = Arc::clone(&tally);
            Node::builder()
                .origin_host("pgw.example")
                .origin_realm("example")
                .applications([Application::auth(4)])
                .watchdog(WatchdogConfig::new(WatchdogConfig::MIN_TW).unwrap())
                .backoff(BackoffConfig {
                    initial: Duration::from_millis(200),
                    ..BackoffConfig::default()
                })
                .on_event(move |e| {
                    let line = match e {
                        NodeEvent::Connected { origin_host, .. } => format!("connected {origin_host}"),
                        NodeEvent::Watchdog { origin_host, state } => format!("watchdog {origin_host} {state:?}"),
                        NodeEvent::Down { origin_host, error, .. } => format!(
                            "down {} ({})",
                            origin_host.as_deref().unwrap_or("?"),
                            error.as_ref().map(ToString::to_string).unwrap_or_default()
                        ),
                        _ => return,
                    };
                    let at = start.elapsed().as_secs_f64();
                    tally.events.lock().unwrap().push(format!("{at:7.2}s {line}"));
                })
                .build()
                .unwrap()
        };
        client.connect(relay.addr);
        client.connect(b_addr);
        // Both servers open (start-up only: polling is fine here).
        while client
            .peers()
            .iter()
            .filter(|p| p.watchdog == WatchdogState::Okay)
            .count()
            < 2
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let rss_start = rss_kib();
        let total = secs * rate;
        let mut tasks = Vec::with_capacity(total as usize);
        let mut rss_before_fault = 0;
        let mut rss_quarter = None;
        let mut faulted = false;
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        let begin = Instant::now();
        let mut sent = 0u64;
        while sent < total {
            tick.tick().await;
            let due = ((begin.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
            while sent < due {
                tasks.push(tokio::spawn(one(client.clone(), sent as u32, Arc::clone(&tally))));
                sent += 1;
            }
            tally.sent.store(sent, Ordering::Relaxed);
            if rss_quarter.is_none() && begin.elapsed() >= Duration::from_secs(secs / 4) {
                rss_quarter = Some(rss_kib());
            }
            if !faulted && begin.elapsed() >= Duration::from_secs(secs / 2) {
                rss_before_fault = rss_kib();
                let at = start.elapsed().as_secs_f64();
                tally.events.lock().unwrap().push(format!("{at:7.2}s FAULT: relay resets the connection to ocs-a"));
                relay.kill();
                faulted = true;
            }
            // Forget finished tasks now and then, so the list does not hold them.
            if tasks.len() > 10_000 {
                tasks.retain(|t| !t.is_finished());
            }
        }
        let sending = begin.elapsed();
        for t in tasks {
            t.await.unwrap();
        }
        let rss_end = rss_kib();
        let peers = client.peers();
        println!("soak: {secs} s at {rate} req/s, fault at {} s", secs / 2);
        for e in tally.events.lock().unwrap().iter() {
            println!("  {e}");
        }
        println!(
            "requests sent {} in {:.1} s ({:.0}/s); answered {}; failed attempts (retried) {}; given up {}",
            tally.sent.load(Ordering::Relaxed),
            sending.as_secs_f64(),
            tally.sent.load(Ordering::Relaxed) as f64 / sending.as_secs_f64(),
            tally.answered.load(Ordering::Relaxed),
            tally.failed_attempts.load(Ordering::Relaxed),
            tally.given_up.load(Ordering::Relaxed),
        );
        for p in &peers {
            println!(
                "peer {}: requests sent {}, answers {}, timeouts {}, unexpected answers {}",
                p.origin_host.as_deref().unwrap_or("?"),
                p.counters.requests_sent,
                p.counters.answers_received_total(),
                p.counters.timeouts,
                p.counters.unexpected_answers
            );
        }
        println!(
            "VmRSS: {rss_start} KiB after setup, {} KiB at a quarter, {rss_before_fault} KiB before the fault, {rss_end} KiB at the end",
            rss_quarter.unwrap_or(0)
        );
        let ok = tally.answered.load(Ordering::Relaxed) == tally.sent.load(Ordering::Relaxed);
        client.shutdown().await;
        a.shutdown().await;
        b.shutdown().await;
        relay.accept.abort();
        assert!(ok, "every request answered");
    });
}
