//! CCR/CCA round trips over loopback TCP: our `Node` client against our `Node` server, and
//! the crates.io `diameter` crate's (0.7.1) `DiameterClient` against its `DiameterServer`, in
//! the same run, the same process and the same tokio runtime (two worker threads, the
//! machine's two cores; client and server share them, as a node that both calls and serves
//! would).
//!
//! Configurations, each for both stacks:
//! - `1conn_1inflight`: one connection, one request at a time (latency-bound);
//! - `1conn_64inflight`: one connection, 64 requests in flight (64 tasks calling in a loop);
//! - `4conn_64inflight`: four clients, one connection each, 64 requests in flight in all.
//!
//! The request is a Gy CCR-Update with one Multiple-Services-Credit-Control (Requested-
//! Service-Unit, Rating-Group); the answer echoes its Session-Id and request type and number
//! and grants units in one MSCC. Each stack builds and encodes the request, decodes it in the
//! server, builds and encodes the answer and decodes it in the client, every time.
//!
//! Criterion reports requests per second (`thrpt`, one element per round trip). Every round
//! trip's latency also goes into an HDR histogram per configuration, printed at the end with
//! the request rate over all timed runs (p50, p99, p99.9, max).
//!
//! ```sh
//! cargo bench -p diameter-transport --bench loopback
//! ```
//!
//! With `LOOPBACK_PROFILE=<stack>/<config>` (e.g. `ours/1conn_64inflight`) the binary runs
//! that configuration for `LOOPBACK_PROFILE_CALLS` round trips (default 200,000) outside
//! criterion, for a profiler (`perf record -g`, `valgrind --tool=callgrind`), and prints the
//! heap allocations per round trip (both ends; a counting global allocator, counting only in
//! this mode).
// `unsafe_code`: the counting global allocator (a bench-only tool) must implement `GlobalAlloc`.
#![allow(clippy::unwrap_used, missing_docs, unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{criterion_main, Criterion, Throughput};
use diameter::avp::flags::M;
use diameter::avp::{Enumerated, Grouped, Identity, UTF8String, Unsigned32, Unsigned64};
use diameter::dictionary::{self, Dictionary};
use diameter::transport::{
    DiameterClient, DiameterClientConfig, DiameterServer, DiameterServerConfig,
};
use diameter::{ApplicationId, CommandCode, DiameterMessage};
use diameter_messages::credit_control::{
    CcRequestType, CreditControlAnswer, CreditControlRequest, GrantedServiceUnit,
    MultipleServicesCreditControl, RequestedServiceUnit,
};
use diameter_messages::prelude::*;
use diameter_transport::{Application, Context, Node};
use hdrhistogram::Histogram;
use tokio::runtime::Runtime;

/// The system allocator, counting allocations while `COUNTING` is set (profile mode only, so
/// criterion's figures pay one relaxed load per allocation and nothing more).
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CONFIGS: [(&str, usize, usize); 3] = [
    ("1conn_1inflight", 1, 1),
    ("1conn_64inflight", 1, 64),
    ("4conn_64inflight", 4, 64),
];

/// One stack's clients, ready to call.
enum Clients {
    Ours(Vec<Node>),
    Theirs {
        clients: Vec<Arc<tokio::sync::Mutex<DiameterClient>>>,
        dict: Arc<Dictionary>,
    },
}

/// What a stack's server needs kept alive (and stopped at the end).
enum Server {
    Ours(Node),
    Theirs(tokio::task::JoinHandle<()>),
}

// ---- our stack ----

async fn answer_ccr(
    ccr: CreditControlRequest<'static>,
    _ctx: Context,
) -> CreditControlAnswer<'static> {
    let rating_group = ccr
        .multiple_services_credit_control
        .first()
        .and_then(|m| m.rating_group);
    CreditControlAnswer {
        result_code: 2001,
        auth_application_id: 4,
        cc_request_type: ccr.cc_request_type,
        cc_request_number: ccr.cc_request_number,
        multiple_services_credit_control: vec![MultipleServicesCreditControl {
            granted_service_unit: Some(GrantedServiceUnit {
                cc_total_octets: Some(1_000_000),
                ..Default::default()
            }),
            rating_group,
            result_code: Some(2001),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn our_ccr(n: u32) -> CreditControlRequest<'static> {
    // Session-Id, Origin-Host and Origin-Realm are left empty: the node fills them in.
    CreditControlRequest {
        destination_realm: DiameterIdentity::from_static("example"),
        auth_application_id: 4,
        service_context_id: "32251@3gpp.org".into(),
        cc_request_type: CcRequestType::UPDATE_REQUEST,
        cc_request_number: n,
        multiple_services_credit_control: vec![MultipleServicesCreditControl {
            requested_service_unit: Some(RequestedServiceUnit {
                cc_total_octets: Some(1_000_000),
                ..Default::default()
            }),
            rating_group: Some(100),
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn ours(conns: usize) -> (Server, Clients) {
    let server = Node::builder()
        .origin_host("ocs.example")
        .origin_realm("example")
        .applications([Application::auth(4)])
        .accept_unknown_peers(true)
        .handler(answer_ccr)
        .build()
        .unwrap();
    let addr = server
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let mut clients = Vec::new();
    for i in 0..conns {
        // One node per connection: two connections of one Origin-Host to one peer would be
        // an election, not two connections.
        let client = Node::builder()
            .origin_host(format!("pgw{i}.example"))
            .origin_realm("example")
            .applications([Application::auth(4)])
            .build()
            .unwrap();
        client.connect(addr);
        assert!(client.wait_open(Duration::from_secs(5)).await);
        clients.push(client);
    }
    (Server::Ours(server), Clients::Ours(clients))
}

// ---- the `diameter` crate ----

fn their_ccr(dict: &Arc<Dictionary>, seq: u32, session: &str, n: u32) -> DiameterMessage {
    let mut ccr = DiameterMessage::new(
        CommandCode::CreditControl,
        ApplicationId::CreditControl,
        diameter::flags::REQUEST | diameter::flags::PROXYABLE,
        seq,
        seq,
        Arc::clone(dict),
    );
    ccr.add_avp(263, None, M, UTF8String::new(session).into());
    ccr.add_avp(264, None, M, Identity::new("pgw.example").into());
    ccr.add_avp(296, None, M, Identity::new("example").into());
    ccr.add_avp(283, None, M, Identity::new("example").into());
    ccr.add_avp(258, None, M, Unsigned32::new(4).into());
    ccr.add_avp(461, None, M, UTF8String::new("32251@3gpp.org").into());
    ccr.add_avp(416, None, M, Enumerated::new(2).into());
    ccr.add_avp(415, None, M, Unsigned32::new(n).into());
    let mut rsu = Grouped::new(vec![], Arc::clone(dict));
    rsu.add_avp(421, None, M, Unsigned64::new(1_000_000).into());
    let mut mscc = Grouped::new(vec![], Arc::clone(dict));
    mscc.add_avp(437, None, M, rsu.into());
    mscc.add_avp(432, None, M, Unsigned32::new(100).into());
    ccr.add_avp(456, None, M, mscc.into());
    ccr
}

fn their_cca(dict: &Arc<Dictionary>, req: &DiameterMessage) -> DiameterMessage {
    let mut cca = DiameterMessage::new(
        req.get_command_code(),
        req.get_application_id(),
        req.get_flags() & !diameter::flags::REQUEST,
        req.get_hop_by_hop_id(),
        req.get_end_to_end_id(),
        Arc::clone(dict),
    );
    let session = req
        .get_avp(263)
        .and_then(|a| a.get_utf8string())
        .map(|s| s.value().to_owned())
        .unwrap_or_default();
    let number = req
        .get_avp(415)
        .and_then(|a| a.get_unsigned32())
        .unwrap_or(0);
    cca.add_avp(263, None, M, UTF8String::new(&session).into());
    cca.add_avp(268, None, M, Unsigned32::new(2001).into());
    cca.add_avp(264, None, M, Identity::new("ocs.example").into());
    cca.add_avp(296, None, M, Identity::new("example").into());
    cca.add_avp(258, None, M, Unsigned32::new(4).into());
    cca.add_avp(416, None, M, Enumerated::new(2).into());
    cca.add_avp(415, None, M, Unsigned32::new(number).into());
    let mut gsu = Grouped::new(vec![], Arc::clone(dict));
    gsu.add_avp(421, None, M, Unsigned64::new(1_000_000).into());
    let mut mscc = Grouped::new(vec![], Arc::clone(dict));
    mscc.add_avp(431, None, M, gsu.into());
    mscc.add_avp(432, None, M, Unsigned32::new(100).into());
    mscc.add_avp(268, None, M, Unsigned32::new(2001).into());
    cca.add_avp(456, None, M, mscc.into());
    cca
}

async fn theirs(conns: usize) -> (Server, Clients) {
    let dict = Arc::new(Dictionary::new(&[&dictionary::DEFAULT_DICT_XML]));
    // The crate's server does not say which port it bound: find a free one first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = DiameterServer::new(&addr, DiameterServerConfig { native_tls: None })
        .await
        .unwrap();
    let server_dict = Arc::clone(&dict);
    let task = tokio::spawn(async move {
        let handler_dict = Arc::clone(&server_dict);
        let _ = server
            .listen(
                move |req| {
                    let dict = Arc::clone(&handler_dict);
                    async move { Ok(their_cca(&dict, &req)) }
                },
                server_dict,
            )
            .await;
    });
    let mut clients = Vec::new();
    for _ in 0..conns {
        let mut client = DiameterClient::new(
            &addr,
            DiameterClientConfig {
                use_tls: false,
                verify_cert: false,
            },
        );
        let mut handler = client.connect().await.unwrap();
        let reader_dict = Arc::clone(&dict);
        tokio::spawn(async move { DiameterClient::handle(&mut handler, reader_dict).await });
        clients.push(Arc::new(tokio::sync::Mutex::new(client)));
    }
    (Server::Theirs(task), Clients::Theirs { clients, dict })
}

// ---- the driver ----

impl Clients {
    /// One round trip on client `i`; checks the answer.
    async fn call(&self, i: usize, n: u32) {
        match self {
            Clients::Ours(nodes) => {
                let cca = nodes[i % nodes.len()].call(our_ccr(n)).await.unwrap();
                assert_eq!(cca.cc_request_number, n);
            }
            Clients::Theirs { clients, dict } => {
                let client = &clients[i % clients.len()];
                let response = {
                    let mut c = client.lock().await;
                    let seq = c.get_next_seq_num();
                    let session = format!("pgw.example;1;{seq}");
                    c.send_message(their_ccr(dict, seq, &session, n))
                        .await
                        .unwrap()
                };
                let cca = response.await.unwrap();
                let number = cca.get_avp(415).and_then(|a| a.get_unsigned32());
                assert_eq!(number, Some(n));
            }
        }
    }

    async fn stop(self) {
        if let Clients::Ours(nodes) = self {
            for n in nodes {
                n.shutdown().await;
            }
        }
    }
}

impl Server {
    async fn stop(self) {
        match self {
            Server::Ours(n) => n.shutdown().await,
            Server::Theirs(task) => task.abort(),
        }
    }
}

/// Latencies and totals of one configuration over all its timed runs.
struct Record {
    latency: Histogram<u64>,
    calls: u64,
    elapsed: Duration,
}

/// `total` round trips by `inflight` tasks, each calling in a loop; returns the wall time.
async fn run(
    clients: &Arc<Clients>,
    inflight: usize,
    total: u64,
    record: &Mutex<Record>,
) -> Duration {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..inflight)
        .map(|w| {
            let (clients, next) = (Arc::clone(clients), Arc::clone(&next));
            tokio::spawn(async move {
                let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let t = Instant::now();
                    clients.call(w, w as u32).await;
                    h.record(t.elapsed().as_nanos() as u64).unwrap();
                }
                h
            })
        })
        .collect();
    let mut merged = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
    for w in workers {
        merged.add(w.await.unwrap()).unwrap();
    }
    let elapsed = start.elapsed();
    let mut r = record.lock().unwrap();
    r.latency.add(merged).unwrap();
    r.calls += total;
    r.elapsed += elapsed;
    elapsed
}

async fn setup(stack: &str, conns: usize) -> (Server, Clients) {
    match stack {
        "ours" => ours(conns).await,
        _ => theirs(conns).await,
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn profile(which: &str) {
    let (stack, config) = which
        .split_once('/')
        .expect("LOOPBACK_PROFILE=<stack>/<config>");
    let &(_, conns, inflight) = CONFIGS
        .iter()
        .find(|c| c.0 == config)
        .expect("a configuration name");
    let calls = std::env::var("LOOPBACK_PROFILE_CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let rt = runtime();
    rt.block_on(async {
        let (server, clients) = setup(stack, conns).await;
        let clients = Arc::new(clients);
        let record = Mutex::new(Record {
            latency: Histogram::new(3).unwrap(),
            calls: 0,
            elapsed: Duration::ZERO,
        });
        // A short warm-up first, so that buffers and maps have their steady sizes.
        run(&clients, inflight, (calls / 10).max(1), &record).await;
        let record = Mutex::new(Record {
            latency: Histogram::new(3).unwrap(),
            calls: 0,
            elapsed: Duration::ZERO,
        });
        ALLOCATIONS.store(0, Ordering::Relaxed);
        COUNTING.store(true, Ordering::Relaxed);
        run(&clients, inflight, calls, &record).await;
        COUNTING.store(false, Ordering::Relaxed);
        println!(
            "heap allocations (reallocations included) per round trip: {:.1}",
            ALLOCATIONS.load(Ordering::Relaxed) as f64 / calls as f64
        );
        report(&[(which.to_owned(), record.into_inner().unwrap())]);
        if let Ok(c) = Arc::try_unwrap(clients) {
            c.stop().await;
        }
        server.stop().await;
    });
}

fn report(records: &[(String, Record)]) {
    println!(
        "\n{:<28} {:>12} {:>10} {:>10} {:>10} {:>10}",
        "loopback CCR/CCA", "req/s", "p50 µs", "p99 µs", "p99.9 µs", "max µs"
    );
    for (name, r) in records {
        let us = |q: f64| r.latency.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "{:<28} {:>12.0} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
            name,
            r.calls as f64 / r.elapsed.as_secs_f64(),
            us(0.5),
            us(0.99),
            us(0.999),
            r.latency.max() as f64 / 1000.0,
        );
    }
}

fn bench(c: &mut Criterion) {
    if let Ok(which) = std::env::var("LOOPBACK_PROFILE") {
        profile(&which);
        return;
    }
    let rt = runtime();
    let mut records = Vec::new();
    let mut g = c.benchmark_group("loopback_ccr");
    g.throughput(Throughput::Elements(1));
    // Few, long samples: each sample starts its in-flight tasks afresh and drains them at
    // the end, and the drain is where a stack without TCP_NODELAY (the `diameter` crate's)
    // waits for delayed ACKs; long samples weigh the steady state, not the drain.
    g.sample_size(20);
    for (config, conns, inflight) in CONFIGS {
        for stack in ["ours", "diameter_crate"] {
            let (server, clients) = rt.block_on(setup(stack, conns));
            let clients = Arc::new(clients);
            let record = Mutex::new(Record {
                latency: Histogram::new(3).unwrap(),
                calls: 0,
                elapsed: Duration::ZERO,
            });
            g.bench_function(format!("{stack}/{config}"), |b| {
                b.iter_custom(|iters| rt.block_on(run(&clients, inflight, iters, &record)))
            });
            rt.block_on(async {
                if let Ok(c) = Arc::try_unwrap(clients) {
                    c.stop().await;
                }
                server.stop().await;
            });
            records.push((format!("{stack}/{config}"), record.into_inner().unwrap()));
        }
    }
    g.finish();
    report(&records);
}

/// What `criterion_group!` would generate.
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
