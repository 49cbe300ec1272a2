//! Faults on real sockets (127.0.0.1, ports chosen by the OS): a peer killed mid-load, a peer
//! that stops reading, a peer that sends half a message and stalls, a frame longer than the
//! maximum. Each test checks what the node did and that every request it accepted was
//! answered exactly once or failed exactly once, never both, never neither.
//!
//! The faulty peer is driven by hand (tokio `TcpStream`, messages built with the generated
//! types). Tests whose fault only a watchdog or a timer resolves run on tokio's paused clock:
//! the clock jumps only when every task waits, so 30-second watchdog intervals pass at once
//! while the bytes still move through the kernel's loopback.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use diameter_messages::base::{
    CapabilitiesExchangeAnswer, CapabilitiesExchangeRequest, DeviceWatchdogAnswer, DisconnectCause,
    DisconnectPeerRequest,
};
use diameter_messages::credit_control::{
    CcRequestType, CreditControlAnswer, CreditControlRequest, CreditControlRequestBuilder,
};
use diameter_messages::prelude::*;
use diameter_runtime::header::Header;
use diameter_runtime::smallvec::smallvec;
use diameter_runtime::types::Address;
use diameter_transport::{
    Application, BackoffConfig, CallError, ConnConfig, Context, Node, NodeBuilder, NodeEvent,
    WatchdogState,
};
use tokio::net::{TcpListener, TcpStream};

/// The bound on every wait. Real-clock tests end far sooner unless something is wrong; on
/// the paused clock it is virtual time, longer than three watchdog intervals.
mod support;
use support::node_events::{answer_ccr, events, wait_for};
use support::raw_peer::RawPeer;

const WAIT: Duration = Duration::from_secs(120);

fn localhost() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn node(host: &str) -> NodeBuilder {
    Node::builder()
        .origin_host(host)
        .origin_realm("example")
        .applications([Application::auth(4)])
        .jitter_seed(11)
}

fn ccr(n: u32) -> CreditControlRequestBuilder<'static> {
    CreditControlRequest::builder()
        .destination_realm(DiameterIdentity::from_static("example"))
        .auth_application_id(4)
        .service_context_id("32251@3gpp.org")
        .cc_request_type(CcRequestType::UPDATE_REQUEST)
        .cc_request_number(n)
}

/// A CCR as a hand-driven peer sends it, with its own identities.
fn raw_ccr(n: u32, hop_by_hop: u32) -> Bytes {
    ccr(n)
        .session_id("raw.example;1;1")
        .origin_host(DiameterIdentity::from_static("raw.example"))
        .origin_realm(DiameterIdentity::from_static("example"))
        .build()
        .expect("CCR")
        .to_bytes(hop_by_hop, hop_by_hop)
}

/// The capability exchange of this file's hand-driven peers.
impl RawPeer<TcpStream> {
    fn cer(host: &'static str) -> CapabilitiesExchangeRequest<'static> {
        CapabilitiesExchangeRequest {
            origin_host: DiameterIdentity::from_static(host),
            origin_realm: DiameterIdentity::from_static("example"),
            host_ip_address: smallvec![Address::from(std::net::Ipv4Addr::LOCALHOST)],
            product_name: "raw".into(),
            auth_application_id: smallvec![4],
            ..Default::default()
        }
    }

    /// CER out, CEA (2001) back.
    async fn exchange_capabilities(&mut self, host: &'static str) {
        self.send(&Self::cer(host).to_bytes(1, 1)).await;
        let cea = self.expect().await;
        let cea = CapabilitiesExchangeAnswer::decode(&cea).expect("CEA");
        assert_eq!(cea.message.result_code, 2001);
    }

    /// Answers the node's CER.
    async fn answer_capabilities(&mut self, host: &'static str) {
        let cer = self.expect().await;
        let h = Header::decode(&cer).expect("header");
        assert_eq!(h.command_code, 257);
        let c = Self::cer(host);
        let cea = CapabilitiesExchangeAnswer {
            result_code: 2001,
            origin_host: c.origin_host,
            origin_realm: c.origin_realm,
            host_ip_address: c.host_ip_address,
            product_name: c.product_name,
            auth_application_id: c.auth_application_id,
            ..Default::default()
        };
        self.send(&cea.to_bytes(h.hop_by_hop, h.end_to_end)).await;
    }
}

fn cca_for(request: &[u8]) -> (u32, Bytes) {
    let h = Header::decode(request).expect("header");
    let ccr = CreditControlRequest::decode(request).expect("CCR").message;
    let cca = CreditControlAnswer {
        session_id: ccr.session_id.clone(),
        result_code: 2001,
        origin_host: DiameterIdentity::from_static("ocs.example"),
        origin_realm: DiameterIdentity::from_static("example"),
        auth_application_id: 4,
        cc_request_type: ccr.cc_request_type,
        cc_request_number: ccr.cc_request_number,
        ..Default::default()
    };
    (
        ccr.cc_request_number,
        cca.to_bytes(h.hop_by_hop, h.end_to_end),
    )
}

/// The server is killed mid-load: its socket reset with 64 requests in flight, 20 of them
/// answered. Each call ends once: answered (exactly the 20), or PeerDown; none hangs, none
/// times out. Then the node reconnects and, once the reopened connection has answered three
/// DWRs (RFC 3539 REOPEN, a minute of the paused clock), serves again.
#[tokio::test(start_paused = true)]
async fn a_peer_killed_mid_load_fails_the_rest_once_and_the_node_reconnects() {
    let listener = TcpListener::bind(localhost()).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (hook, mut client_events) = events();
    let client = node("pgw.example")
        .backoff(BackoffConfig {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
            factor: 2.0,
            jitter: 0.1,
        })
        .on_event(hook)
        .build()
        .expect("client");
    client.connect(addr);
    let (stream, _) = listener.accept().await.expect("accept");
    let mut peer = RawPeer::new(stream, WAIT);
    peer.answer_capabilities("ocs.example").await;
    assert!(client.wait_open(WAIT).await);

    let calls: Vec<_> = (0..64)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move { (n, client.call(ccr(n)).await) })
        })
        .collect();
    // Answer the first 20 requests, read on to 40, then die without a word (RST).
    let mut answered = BTreeSet::new();
    for i in 0..40 {
        let request = peer.expect().await;
        if i < 20 {
            let (n, cca) = cca_for(&request);
            peer.send(&cca).await;
            answered.insert(n);
        }
    }
    // Killed once the 20 answers are in the node (a reset discards what the node has not
    // read yet: answers lost on the wire are the peer's to lose, not the node's).
    tokio::time::timeout(WAIT, async {
        while client.peers()[0].counters.answers_received_total() < 20 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("20 answers read");
    peer.stream().set_zero_linger().expect("linger");
    drop(peer);

    let mut ok = BTreeSet::new();
    for call in calls {
        let (n, result) = tokio::time::timeout(WAIT, call)
            .await
            .expect("every call ends")
            .expect("task");
        match result {
            Ok(cca) => {
                assert_eq!(cca.cc_request_number, n);
                assert!(ok.insert(n), "answered twice: {n}");
            }
            // Sent and lost with the connection, or not sent: the peer was already gone.
            Err(CallError::PeerDown | CallError::NoPeer { .. }) => {}
            Err(e) => panic!("call {n}: {e:?}"),
        }
    }
    assert_eq!(ok, answered, "exactly the answered calls succeed");
    let counters = &client.peers()[0].counters;
    assert_eq!(counters.answers_received_total(), 20);
    assert_eq!(counters.timeouts, 0);
    assert_eq!(counters.unexpected_answers, 0);
    let error = wait_for(&mut client_events, WAIT, |e| match e {
        NodeEvent::Down { error, .. } => Some(error.clone()),
        _ => None,
    })
    .await;
    assert!(error.is_some(), "a broken connection, not an orderly close");

    // The static peer is dialled again (backoff of 20 ms), and serves.
    let (stream, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .expect("reconnected in time")
        .expect("accept");
    let mut peer = RawPeer::new(stream, WAIT);
    peer.answer_capabilities("ocs.example").await;
    // The restarted server answers watchdogs and CCRs until the node leaves.
    let served = tokio::spawn(async move {
        while let Some(m) = peer.recv().await {
            let h = Header::decode(&m).expect("header");
            match h.command_code {
                280 => {
                    let dwa = DeviceWatchdogAnswer {
                        result_code: 2001,
                        origin_host: DiameterIdentity::from_static("ocs.example"),
                        origin_realm: DiameterIdentity::from_static("example"),
                        ..Default::default()
                    };
                    peer.send(&dwa.to_bytes(h.hop_by_hop, h.end_to_end)).await;
                }
                272 => peer.send(&cca_for(&m).1).await,
                // The node's DPR at shutdown: leave.
                _ => return,
            }
        }
    });
    assert!(
        client.wait_open(Duration::from_secs(200)).await,
        "REOPEN passed"
    );
    let cca = client
        .call(ccr(100))
        .await
        .expect("answered after reconnect");
    assert_eq!(cca.cc_request_number, 100);
    client.shutdown().await;
    served.await.expect("raw server");
}

/// The server answers the CER and never reads again. The writer fills the socket, the send
/// queue fills (8 places), and callers wait for a place within their timeout, then fail with
/// Timeout: what the node holds stays bounded (queue plus socket buffers), far below what
/// the callers offered. The silence makes the watchdog go SUSPECT, then DOWN, and the
/// connection is closed.
#[tokio::test(start_paused = true)]
async fn a_peer_that_stops_reading_times_calls_out_and_the_watchdog_closes_it() {
    let listener = TcpListener::bind(localhost()).await.expect("bind");
    let ours = TcpStream::connect(listener.local_addr().expect("addr"))
        .await
        .expect("connect");
    let (theirs, _) = listener.accept().await.expect("accept");
    let (hook, mut client_events) = events();
    let client = node("pgw.example")
        .request_timeout(Duration::from_secs(3))
        .connection(ConnConfig {
            queue_len: 8,
            ..ConnConfig::default()
        })
        .on_event(hook)
        .build()
        .expect("client");
    client.connect_io(ours);
    let mut peer = RawPeer::new(theirs, WAIT);
    peer.answer_capabilities("ocs.example").await;
    assert!(client.wait_open(WAIT).await);

    // 1,000 requests of 16 KiB each: 16 MB offered, more than the loopback socket buffers
    // (about 4 MB of send buffer, 128 KB of receive window when nobody reads) and the queue.
    let big = "x".repeat(16 * 1024);
    const CALLERS: u32 = 1000;
    let calls: Vec<_> = (0..CALLERS)
        .map(|n| {
            let client = client.clone();
            let name = big.clone();
            tokio::spawn(async move {
                // Session-Id and Origin-* left empty: the node fills them in.
                let request = CreditControlRequest {
                    destination_realm: DiameterIdentity::from_static("example"),
                    auth_application_id: 4,
                    service_context_id: "32251@3gpp.org".into(),
                    cc_request_type: CcRequestType::UPDATE_REQUEST,
                    cc_request_number: n,
                    user_name: Some(name.into()),
                    ..Default::default()
                };
                client.call(request).await
            })
        })
        .collect();
    let started = tokio::time::Instant::now();
    for call in calls {
        let result = tokio::time::timeout(WAIT, call)
            .await
            .expect("every call ends")
            .expect("task");
        assert!(
            matches!(result, Err(CallError::Timeout(_))),
            "{:?}",
            result.map(|a| a.cc_request_number)
        );
    }
    assert!(
        started.elapsed() <= Duration::from_secs(4),
        "within the request timeout"
    );
    let counters = &client.peers()[0].counters;
    assert_eq!(counters.timeouts, u64::from(CALLERS));
    // Requests that got a place in the queue (and so in memory): bounded by the queue and
    // what the kernel took, not by the callers.
    assert!(
        counters.requests_sent < 400,
        "{} of {CALLERS} requests held",
        counters.requests_sent
    );

    // The peer says nothing: the watchdog's DWR goes unanswered (it cannot even be written),
    // SUSPECT, then DOWN, and the connection is closed.
    let mut states = Vec::new();
    while states.last() != Some(&WatchdogState::Down) {
        states.push(
            wait_for(&mut client_events, WAIT, |e| match e {
                NodeEvent::Watchdog { state, .. } => Some(*state),
                _ => None,
            })
            .await,
        );
    }
    assert_eq!(states, [WatchdogState::Suspect, WatchdogState::Down]);
    wait_for(&mut client_events, WAIT, |e| {
        matches!(e, NodeEvent::Down { error: Some(_), .. }).then_some(())
    })
    .await;
    assert!(matches!(
        client.call(ccr(0)).await,
        Err(CallError::NoPeer { .. })
    ));
    drop(peer);
    client.shutdown().await;
}

/// A client sends half a CCR and stalls. The server keeps serving another peer meanwhile; the
/// stalled peer's silence (it does not answer DWR) brings its watchdog to DOWN, and its
/// connection is closed. The half message was never accepted, so nothing is answered for it.
#[tokio::test(start_paused = true)]
async fn a_peer_stalled_mid_message_does_not_hold_up_others_and_is_closed() {
    let (hook, mut server_events) = events();
    let server = node("ocs.example")
        .accept_unknown_peers(true)
        .on_event(hook)
        .handler(answer_ccr)
        .build()
        .expect("server");
    let addr = server.listen(localhost()).await.expect("listen");

    let mut stalled = RawPeer::new(TcpStream::connect(addr).await.expect("connect"), WAIT);
    stalled.exchange_capabilities("raw.example").await;
    let request = raw_ccr(1, 77);
    stalled.send(&request[..request.len() / 2]).await;

    let client = node("pgw.example").build().expect("client");
    client.connect_io(TcpStream::connect(addr).await.expect("connect"));
    assert!(client.wait_open(WAIT).await);
    for n in 0..50 {
        let cca = client
            .call(ccr(n))
            .await
            .expect("served while the other stalls");
        assert_eq!(cca.cc_request_number, n);
    }

    // The stalled peer gets a DWR it never answers; its connection then closes.
    let dwr = stalled.expect().await;
    let h = Header::decode(&dwr).expect("header");
    assert_eq!((h.command_code, h.flags.is_request()), (280, true));
    let down = wait_for(&mut server_events, WAIT, |e| match e {
        NodeEvent::Down {
            origin_host, error, ..
        } if origin_host.as_deref() == Some("raw.example") => Some(error.clone()),
        _ => None,
    })
    .await;
    assert!(down.is_some(), "closed for its silence: {down:?}");
    let end = tokio::time::timeout(WAIT, stalled.recv())
        .await
        .expect("closed in time");
    assert!(end.is_none(), "nothing but the DWR, then the end");

    // The other peer, which answers its watchdog, is still served.
    let cca = client.call(ccr(99)).await.expect("still served");
    assert_eq!(cca.cc_request_number, 99);
    // The stalled peer is gone; the server counted only the other peer's 51 requests: the
    // half message was never taken for one.
    assert!(server
        .peers()
        .iter()
        .all(|p| p.origin_host.as_deref() != Some("raw.example")));
    let ccr_counts = server.command_counters();
    let ccr_counts = ccr_counts.values().next().expect("CCR counted");
    assert_eq!(ccr_counts.requests_received, 51);
    assert_eq!(ccr_counts.answers_sent_total(), 51);
    client.shutdown().await;
    server.shutdown().await;
}

/// Three requests and, in the same write, a header announcing more than the maximum length.
/// The three (accepted before the bad frame) are each answered once, a DPR says goodbye, and
/// the connection closes; another peer's calls, in flight all along, are all answered.
#[tokio::test]
async fn a_frame_longer_than_the_maximum_closes_only_its_connection_and_loses_nothing() {
    let server = node("ocs.example")
        .accept_unknown_peers(true)
        .max_message_len(4096)
        .handler(
            |ccr: CreditControlRequest<'static>, ctx: Context| async move {
                // Answers take a moment, so the framing error is seen while they are in flight.
                tokio::time::sleep(Duration::from_millis(20)).await;
                answer_ccr(ccr, ctx).await
            },
        )
        .build()
        .expect("server");
    let addr = server.listen(localhost()).await.expect("listen");
    let client = node("pgw.example").build().expect("client");
    client.connect(addr);
    assert!(client.wait_open(WAIT).await);
    let calls: Vec<_> = (0..100)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move { client.call(ccr(n)).await })
        })
        .collect();

    let mut peer = RawPeer::new(TcpStream::connect(addr).await.expect("connect"), WAIT);
    peer.exchange_capabilities("raw.example").await;
    let mut burst = BytesMut::new();
    for hbh in 1..=3 {
        burst.extend_from_slice(&raw_ccr(hbh, hbh));
    }
    let mut long = Header::request(272, 4).with_ids(9, 9);
    long.length = 8192;
    long.encode(&mut burst);
    burst.extend_from_slice(&[0xab; 100]);
    peer.send(&burst).await;

    let mut answers = Vec::new();
    let mut dpr = None;
    while let Some(m) = tokio::time::timeout(WAIT, peer.recv())
        .await
        .expect("closed in time")
    {
        let h = Header::decode_unchecked(&m).expect("header");
        match (h.command_code, h.flags.is_request()) {
            (272, false) => answers.push(h.hop_by_hop),
            (282, true) => {
                let d = DisconnectPeerRequest::decode(&m).expect("DPR").message;
                dpr = Some(d.disconnect_cause);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    answers.sort_unstable();
    assert_eq!(answers, [1, 2, 3], "each accepted request answered once");
    assert_eq!(dpr, Some(DisconnectCause::DO_NOT_WANT_TO_TALK_TO_YOU));

    for (n, call) in calls.into_iter().enumerate() {
        let cca = call.await.expect("task").expect("the other peer's calls");
        assert_eq!(cca.cc_request_number, n as u32);
    }
    client.shutdown().await;
    server.shutdown().await;
}
