//! Routing between nodes (RFC 6733 section 6): relays with Route-Record and loop detection,
//! routing errors (3002, 3003), redirects followed by the client, failover of pending requests
//! with the T flag, and duplicate detection. Nodes talk over in-memory streams on tokio's
//! paused clock, so every run is the same and timers cost no real time; every wait is bounded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diameter_messages::base::{CapabilitiesExchangeAnswer, CapabilitiesExchangeRequest};
use diameter_messages::credit_control::{
    CcRequestType, CreditControlAnswer, CreditControlRequest, CreditControlRequestBuilder,
};
use diameter_messages::prelude::*;
use diameter_runtime::header::Header;
use diameter_runtime::smallvec::smallvec;
use diameter_runtime::types::Address;
use diameter_transport::{
    Action, Application, CallError, Context, Node, NodeBuilder, PeerState, RedirectHostUsage,
    Route, WatchdogState,
};
use tokio::io::DuplexStream;

/// The bound on every wait (paused clock: it passes in no real time).
mod support;
use support::raw_peer::RawPeer;

const WAIT: Duration = Duration::from_secs(60);

const RELAY_APP: u32 = 0xffff_ffff;

fn node(host: &str, realm: &str, apps: &[u32]) -> NodeBuilder {
    Node::builder()
        .origin_host(host)
        .origin_realm(realm)
        .applications(apps.iter().map(|&a| Application::auth(a)))
        .accept_unknown_peers(true)
        .jitter_seed(11)
}

/// Connects `client` to `server` over an in-memory stream.
fn link(client: &Node, server: &Node) {
    let (a, b) = tokio::io::duplex(64 * 1024);
    server.accept_io(b);
    client.connect_io(a);
}

/// Waits until `node` has an open peer named `host`.
async fn wait_peer(node: &Node, host: &str) {
    let open = tokio::time::timeout(WAIT, async {
        loop {
            let up = node.peers().iter().any(|p| {
                p.origin_host.as_deref() == Some(host)
                    && matches!(p.state, PeerState::ROpen | PeerState::IOpen)
                    && p.watchdog == WatchdogState::Okay
            });
            if up {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    open.unwrap_or_else(|_| panic!("{host} open in time"));
}

/// A CCR handler that records the requests it saw: (Route-Record, T flag, End-to-End id).
type Seen = Arc<Mutex<Vec<(Vec<String>, bool, u32)>>>;

fn recording_server(host: &str, realm: &str, seen: &Seen) -> Node {
    let seen = Arc::clone(seen);
    node(host, realm, &[4])
        .handler(move |ccr: CreditControlRequest<'static>, ctx: Context| {
            let seen = Arc::clone(&seen);
            async move {
                let route = ccr
                    .route_record
                    .iter()
                    .map(|r| r.as_str().to_owned())
                    .collect();
                let h = ctx.header();
                seen.lock()
                    .expect("lock")
                    .push((route, h.flags.is_retransmit(), h.end_to_end));
                answer(&ccr)
            }
        })
        .build()
        .expect("server")
}

fn answer(ccr: &CreditControlRequest<'static>) -> CreditControlAnswer<'static> {
    CreditControlAnswer {
        result_code: 2001,
        auth_application_id: 4,
        cc_request_type: ccr.cc_request_type,
        cc_request_number: ccr.cc_request_number,
        ..Default::default()
    }
}

fn ccr(realm: &'static str, n: u32) -> CreditControlRequestBuilder<'static> {
    CreditControlRequest::builder()
        .destination_realm(DiameterIdentity::from_static(realm))
        .auth_application_id(4)
        .service_context_id("32251@3gpp.org")
        .cc_request_type(CcRequestType::INITIAL_REQUEST)
        .cc_request_number(n)
}

fn error_code(result: Result<CreditControlAnswer<'static>, CallError>) -> u32 {
    match result {
        Err(CallError::ErrorAnswer { result_code, .. }) => result_code,
        other => panic!("expected an error answer, got {other:?}"),
    }
}

/// The capability exchange of this file's hand-driven peers.
impl RawPeer<DuplexStream> {
    /// CER out (application 4), CEA 2001 back.
    async fn exchange_capabilities(&mut self, host: &'static str) {
        let cer = CapabilitiesExchangeRequest {
            origin_host: DiameterIdentity::from_static(host),
            origin_realm: DiameterIdentity::from_static("visited.net"),
            host_ip_address: smallvec![Address::from(std::net::Ipv4Addr::LOCALHOST)],
            product_name: "raw".into(),
            auth_application_id: smallvec![4],
            ..Default::default()
        };
        self.send(&cer.to_bytes(1, 1)).await;
        let cea = self.expect().await;
        let cea = CapabilitiesExchangeAnswer::decode(&cea).expect("CEA");
        assert_eq!(cea.message.result_code, 2001);
    }

    /// Answers the node's CER as `host`, application 4.
    async fn answer_capabilities(&mut self, host: &'static str, realm: &'static str) {
        let cer = self.expect().await;
        let h = Header::decode(&cer).expect("header");
        assert_eq!(h.command_code, 257);
        let cea = CapabilitiesExchangeAnswer {
            result_code: 2001,
            origin_host: DiameterIdentity::from_static(host),
            origin_realm: DiameterIdentity::from_static(realm),
            host_ip_address: smallvec![Address::from(std::net::Ipv4Addr::LOCALHOST)],
            product_name: "raw".into(),
            auth_application_id: smallvec![4],
            ..Default::default()
        };
        self.send(&cea.to_bytes(h.hop_by_hop, h.end_to_end)).await;
    }
}

/// A CCR from the hand-driven peer "raw.visited.net", with these identifiers.
fn raw_ccr(realm: &'static str, n: u32, hop_by_hop: u32, end_to_end: u32) -> Vec<u8> {
    let ccr = ccr(realm, n)
        .session_id("raw.visited.net;1;1")
        .origin_host(DiameterIdentity::from_static("raw.visited.net"))
        .origin_realm(DiameterIdentity::from_static("visited.net"))
        .build()
        .expect("CCR");
    ccr.to_bytes(hop_by_hop, end_to_end).to_vec()
}

fn raw(answer: &[u8]) -> RawMessage<'_> {
    RawMessage::parse(answer, &DecodeOptions::lenient()).expect("answer parses")
}

fn result_code(answer: &[u8]) -> u32 {
    raw(answer)
        .find(268, 0)
        .expect("Result-Code")
        .value::<u32>()
        .expect("u32")
}

#[tokio::test(start_paused = true)]
async fn a_relay_forwards_with_route_record_and_gives_back_the_hop_by_hop_id() {
    let seen = Seen::default();
    let server = recording_server("ocs.home.net", "home.net", &seen);
    // No peer named: any open peer but the one the request came from.
    let relay = node("dra.relay.net", "relay.net", &[RELAY_APP])
        .route(Route::new("home.net", Action::Relay(Vec::new())))
        .build()
        .expect("relay");
    link(&relay, &server);
    wait_peer(&relay, "ocs.home.net").await;

    // A hand-driven client, so the identifiers it sent can be checked on the answer.
    let (a, b) = tokio::io::duplex(64 * 1024);
    relay.accept_io(b);
    let mut client = RawPeer::new(a, WAIT);
    client.exchange_capabilities("raw.visited.net").await;
    for n in 0..3u32 {
        let (hbh, e2e) = (0x1000 + n, 0xe2e0 + n);
        client.send(&raw_ccr("home.net", n, hbh, e2e)).await;
        let a = client.expect().await;
        let h = Header::decode_unchecked(&a).expect("header");
        assert_eq!((h.hop_by_hop, h.end_to_end), (hbh, e2e));
        let cca = CreditControlAnswer::decode(&a).expect("CCA");
        assert!(cca.is_valid(), "{:?}", cca.violations);
        assert_eq!(cca.message.result_code, 2001);
        assert_eq!(cca.message.cc_request_number, n);
        assert_eq!(cca.message.origin_host.as_str(), "ocs.home.net");
        assert_eq!(cca.message.session_id.as_str(), "raw.visited.net;1;1");
    }
    // With the P bit clear the request must be processed where it arrives: the relay has no
    // handler for it (3001), and nothing reaches the server.
    let mut local_only = raw_ccr("home.net", 9, 0x2000, 0xe2ff);
    local_only[4] &= !0x40;
    client.send(&local_only).await;
    let a = client.expect().await;
    assert_eq!(result_code(&a), 3001);
    {
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), 3);
        for (n, (route, retransmit, e2e)) in seen.iter().enumerate() {
            // The relay named the peer it got the request from; the End-to-End id is kept.
            assert_eq!(route, &["raw.visited.net"]);
            assert!(!retransmit);
            assert_eq!(*e2e, 0xe2e0 + n as u32);
        }
    }
    let upstream = relay
        .peers()
        .into_iter()
        .find(|p| p.origin_host.as_deref() == Some("ocs.home.net"))
        .expect("upstream peer");
    assert_eq!(upstream.counters.requests_relayed, 3);
    assert_eq!(upstream.counters.answers_received.get(&2001), Some(&3));

    drop(client);
    relay.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_loop_between_two_relays_is_answered_3005() {
    let r1 = node("dra1.one.net", "one.net", &[RELAY_APP])
        .route(Route::new("home.net", Action::relay(["dra2.two.net"])))
        .build()
        .expect("r1");
    let r2 = node("dra2.two.net", "two.net", &[RELAY_APP])
        .route(Route::new("home.net", Action::relay(["dra1.one.net"])))
        .build()
        .expect("r2");
    let client = node("pgw.visited.net", "visited.net", &[4])
        .build()
        .expect("client");
    link(&r1, &r2);
    link(&client, &r1);
    wait_peer(&r1, "dra2.two.net").await;
    wait_peer(&client, "dra1.one.net").await;

    // client -> r1 (Route-Record: pgw) -> r2 (adds dra1) -> r1, which finds itself: 3005,
    // carried back through r2 and r1.
    assert_eq!(error_code(client.call(ccr("home.net", 1)).await), 3005);
    let r2_seen_by_r1 = r1
        .peers()
        .into_iter()
        .find(|p| p.origin_host.as_deref() == Some("dra2.two.net"))
        .expect("r2");
    assert_eq!(r2_seen_by_r1.counters.routing_errors, 1);
    assert_eq!(r2_seen_by_r1.counters.requests_relayed, 1);
    client.shutdown().await;
    r1.shutdown().await;
    r2.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn no_route_is_3003_and_no_peer_is_3002() {
    let relay = node("dra.relay.net", "relay.net", &[RELAY_APP])
        .route(Route::new("home.net", Action::relay(["ocs.home.net"])))
        .route(Route::new("any.net", Action::Relay(Vec::new())))
        .build()
        .expect("relay");
    let client = node("pgw.visited.net", "visited.net", &[4])
        .build()
        .expect("client");
    link(&client, &relay);
    wait_peer(&client, "dra.relay.net").await;

    // No route for the realm.
    assert_eq!(error_code(client.call(ccr("nowhere.net", 1)).await), 3003);
    // A route, but its peer is not connected.
    assert_eq!(error_code(client.call(ccr("home.net", 2)).await), 3002);
    // Any peer will do, but the only one is where the request came from.
    assert_eq!(error_code(client.call(ccr("any.net", 4)).await), 3002);
    // The relay's own realm, for a host that is neither the relay nor a peer of it.
    let to_ghost = CreditControlRequest {
        destination_realm: DiameterIdentity::from_static("relay.net"),
        destination_host: Some(DiameterIdentity::from_static("ghost.relay.net")),
        auth_application_id: 4,
        service_context_id: "32251@3gpp.org".into(),
        cc_request_type: CcRequestType::EVENT_REQUEST,
        cc_request_number: 3,
        ..Default::default()
    };
    assert_eq!(error_code(client.call(to_ghost).await), 3002);
    let from_client = &relay.peers()[0].counters;
    assert_eq!(from_client.routing_errors, 4);
    assert_eq!(from_client.answers_sent.get(&3003), Some(&1));
    assert_eq!(from_client.answers_sent.get(&3002), Some(&3));
    client.shutdown().await;
    relay.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_client_follows_a_redirect_to_a_connected_host() {
    let seen = Seen::default();
    let ocs2 = recording_server("ocs2.home.net", "home.net", &seen);
    let redirector = node("redirect.relay.net", "relay.net", &[RELAY_APP])
        .route(Route::new("home.net", Action::redirect(["ocs2.home.net"])))
        .route(Route::new(
            "far.net",
            Action::Redirect {
                hosts: vec!["aaa://ocs.far.net:3868;transport=tcp".into()],
                usage: RedirectHostUsage::ALL_REALM,
                max_cache_time: 600,
            },
        ))
        .build()
        .expect("redirect agent");
    let client = node("pgw.visited.net", "visited.net", &[4])
        // Requests for both realms go to the redirect agent first.
        .route(Route::new(
            "home.net",
            Action::relay(["redirect.relay.net"]),
        ))
        .route(Route::new("far.net", Action::relay(["redirect.relay.net"])))
        .build()
        .expect("client");
    link(&client, &redirector);
    link(&client, &ocs2);
    wait_peer(&client, "redirect.relay.net").await;
    wait_peer(&client, "ocs2.home.net").await;

    for n in 0..3 {
        let cca = client.call(ccr("home.net", n)).await.expect("answer");
        assert_eq!(cca.origin_host.as_str(), "ocs2.home.net");
        assert_eq!(cca.cc_request_number, n);
    }
    assert_eq!(seen.lock().expect("lock").len(), 3);
    let agent_side = &redirector.peers()[0].counters;
    assert_eq!(agent_side.redirects, 3);
    assert_eq!(agent_side.answers_sent.get(&3006), Some(&3));

    // A host the client has no connection to: the error names it.
    match client.call(ccr("far.net", 9)).await {
        Err(CallError::Redirected { hosts }) => assert_eq!(hosts, ["ocs.far.net"]),
        other => panic!("expected a redirect, got {other:?}"),
    }

    // The answer itself, read by hand: E bit, Redirect-Host, -Usage and -Max-Cache-Time.
    let (a, b) = tokio::io::duplex(64 * 1024);
    redirector.accept_io(b);
    let mut peer = RawPeer::new(a, WAIT);
    peer.exchange_capabilities("raw.visited.net").await;
    peer.send(&raw_ccr("far.net", 1, 77, 78)).await;
    let answer = peer.expect().await;
    let h = Header::decode_unchecked(&answer).expect("header");
    assert!(h.flags.is_error() && !h.flags.is_request());
    assert_eq!((h.hop_by_hop, h.end_to_end), (77, 78));
    assert_eq!(result_code(&answer), 3006);
    let m = raw(&answer);
    let host = m.find(292, 0).expect("Redirect-Host");
    assert_eq!(
        host.data.as_bytes(),
        b"aaa://ocs.far.net:3868;transport=tcp"
    );
    assert_eq!(
        m.find(261, 0).expect("usage").value::<i32>().expect("i32"),
        2
    );
    assert_eq!(
        m.find(262, 0)
            .expect("cache time")
            .value::<u32>()
            .expect("u32"),
        600
    );
    drop(peer);
    client.shutdown().await;
    redirector.shutdown().await;
    ocs2.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn pending_requests_fail_over_with_the_t_flag_when_the_connection_dies() {
    let seen = Seen::default();
    let ocs2 = recording_server("ocs2.home.net", "home.net", &seen);
    let client = node("pgw.visited.net", "visited.net", &[4])
        .route(Route::new(
            "home.net",
            Action::relay(["ocs1.home.net", "ocs2.home.net"]),
        ))
        .build()
        .expect("client");
    // ocs1, the primary, is driven by hand: it takes requests and dies without answering.
    let (a, b) = tokio::io::duplex(64 * 1024);
    client.connect_io(a);
    let mut ocs1 = RawPeer::new(b, WAIT);
    ocs1.answer_capabilities("ocs1.home.net", "home.net").await;
    link(&client, &ocs2);
    wait_peer(&client, "ocs1.home.net").await;
    wait_peer(&client, "ocs2.home.net").await;

    let calls: Vec<_> = (0..5)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move { client.call(ccr("home.net", n)).await })
        })
        .collect();
    let mut first_copies = Vec::new();
    for _ in 0..5 {
        let request = ocs1.expect().await;
        let h = Header::decode_unchecked(&request).expect("header");
        assert!(!h.flags.is_retransmit(), "the first copy has no T flag");
        first_copies.push(h.end_to_end);
    }
    assert!(
        seen.lock().expect("lock").is_empty(),
        "the secondary got nothing yet"
    );
    drop(ocs1);

    let mut numbers = Vec::new();
    for call in calls {
        let cca = tokio::time::timeout(WAIT, call)
            .await
            .expect("answered in time")
            .expect("task")
            .expect("answered by the secondary");
        assert_eq!(cca.origin_host.as_str(), "ocs2.home.net");
        numbers.push(cca.cc_request_number);
    }
    numbers.sort_unstable();
    assert_eq!(numbers, [0, 1, 2, 3, 4], "every request answered once");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 5, "each request re-sent once");
    let mut resent: Vec<u32> = seen.iter().map(|(_, _, e2e)| *e2e).collect();
    assert!(seen.iter().all(|(_, t, _)| *t), "re-sent with the T flag");
    resent.sort_unstable();
    first_copies.sort_unstable();
    assert_eq!(resent, first_copies, "the same End-to-End identifiers");
    client.shutdown().await;
    ocs2.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn requests_pending_on_a_suspect_peer_fail_over_and_its_late_answers_are_dropped() {
    let seen = Seen::default();
    let ocs2 = recording_server("ocs2.home.net", "home.net", &seen);
    let client = node("pgw.visited.net", "visited.net", &[4])
        .route(Route::new(
            "home.net",
            Action::relay(["ocs1.home.net", "ocs2.home.net"]),
        ))
        .request_timeout(Duration::from_secs(300))
        .build()
        .expect("client");
    // ocs1 answers the capability exchange, then nothing: not its requests, not the DWR.
    let (a, b) = tokio::io::duplex(64 * 1024);
    client.connect_io(a);
    let mut ocs1 = RawPeer::new(b, WAIT);
    ocs1.answer_capabilities("ocs1.home.net", "home.net").await;
    link(&client, &ocs2);
    wait_peer(&client, "ocs1.home.net").await;
    wait_peer(&client, "ocs2.home.net").await;

    let sent = tokio::time::Instant::now();
    let calls: Vec<_> = (0..3)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move { client.call(ccr("home.net", n)).await })
        })
        .collect();
    let mut firsts = Vec::new();
    while firsts.len() < 3 {
        let m = ocs1.expect().await;
        let h = Header::decode_unchecked(&m).expect("header");
        if h.command_code == 272 {
            firsts.push(h);
        }
    }
    for call in calls {
        let cca = tokio::time::timeout(WAIT * 2, call)
            .await
            .expect("answered in time")
            .expect("task")
            .expect("answered by the secondary");
        assert_eq!(cca.origin_host.as_str(), "ocs2.home.net");
    }
    // A DWR after Tw of silence, SUSPECT one Tw later (30 s, jitter 2 s each).
    let waited = sent.elapsed();
    assert!(
        waited >= Duration::from_secs(56) && waited <= Duration::from_secs(64),
        "{waited:?}"
    );
    let seen_by_ocs2 = seen.lock().expect("lock").clone();
    assert_eq!(seen_by_ocs2.len(), 3);
    assert!(
        seen_by_ocs2.iter().all(|(_, t, _)| *t),
        "re-sent with the T flag"
    );

    // ocs1 answers after all: nobody waits any more, the answer is counted and dropped.
    let late = CreditControlAnswer {
        session_id: "x;1;1".into(),
        result_code: 2001,
        origin_host: DiameterIdentity::from_static("ocs1.home.net"),
        origin_realm: DiameterIdentity::from_static("home.net"),
        auth_application_id: 4,
        ..Default::default()
    };
    ocs1.send(&late.to_bytes(firsts[0].hop_by_hop, firsts[0].end_to_end))
        .await;
    let ocs1_counters = || {
        client
            .peers()
            .into_iter()
            .find(|p| p.origin_host.as_deref() == Some("ocs1.home.net"))
            .map(|p| p.counters)
            .expect("ocs1 still a peer")
    };
    tokio::time::timeout(Duration::from_secs(5), async {
        while ocs1_counters().unexpected_answers == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the late answer counted");
    assert_eq!(ocs1_counters().failovers, 3);
    assert_eq!(seen.lock().expect("lock").len(), 3, "answered once each");
    drop(ocs1);
    client.shutdown().await;
    ocs2.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_over_request_through_a_relay_is_not_served_twice() {
    // pgw -> dra1 -> ocs, and pgw -> dra2 -> ocs. The connection pgw-dra1 dies while ocs is
    // still serving the request; pgw re-sends it through dra2 with the T flag, and ocs answers
    // the copy with the first copy's answer without running its handler again.
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let ocs = {
        let (calls, release) = (Arc::clone(&calls), Arc::clone(&release));
        node("ocs.home.net", "home.net", &[4])
            .handler(move |ccr: CreditControlRequest<'static>, _ctx: Context| {
                let (calls, release) = (Arc::clone(&calls), Arc::clone(&release));
                async move {
                    calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if let Ok(p) = release.acquire().await {
                        p.forget();
                    }
                    answer(&ccr)
                }
            })
            .build()
            .expect("ocs")
    };
    let relay = |host: &str| {
        node(host, "relay.net", &[RELAY_APP])
            .route(Route::new("home.net", Action::relay(["ocs.home.net"])))
            .build()
            .expect("relay")
    };
    let (dra1, dra2) = (relay("dra1.relay.net"), relay("dra2.relay.net"));
    link(&dra1, &ocs);
    link(&dra2, &ocs);
    wait_peer(&dra1, "ocs.home.net").await;
    wait_peer(&dra2, "ocs.home.net").await;
    let client = node("pgw.visited.net", "visited.net", &[4])
        .route(Route::new(
            "home.net",
            Action::relay(["dra1.relay.net", "dra2.relay.net"]),
        ))
        .build()
        .expect("client");
    // pgw-dra1 runs over a stream the test can cut.
    let (a, b) = tokio::io::duplex(64 * 1024);
    let (b_inner, b_outer) = tokio::io::duplex(64 * 1024);
    client.connect_io(a);
    dra1.accept_io(b_inner);
    let cut = tokio::spawn(async move {
        let (mut b, mut b_outer) = (b, b_outer);
        let _ = tokio::io::copy_bidirectional(&mut b, &mut b_outer).await;
    });
    link(&client, &dra2);
    wait_peer(&client, "dra1.relay.net").await;
    wait_peer(&client, "dra2.relay.net").await;

    let call = {
        let client = client.clone();
        tokio::spawn(async move { client.call(ccr("home.net", 7)).await })
    };
    tokio::time::timeout(WAIT, async {
        while calls.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the request reached ocs");
    cut.abort();
    // The copy through dra2 reaches ocs while the first is still in its handler; then the
    // handler finishes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    release.add_permits(1);
    let cca = tokio::time::timeout(WAIT, call)
        .await
        .expect("in time")
        .expect("task")
        .expect("answered");
    assert_eq!((cca.result_code, cca.cc_request_number), (2001, 7));
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "served once"
    );
    let via_dra2 = ocs
        .peers()
        .into_iter()
        .find(|p| p.origin_host.as_deref() == Some("dra2.relay.net"))
        .expect("dra2");
    assert_eq!(via_dra2.counters.duplicates_answered, 1);
    client.shutdown().await;
    dra1.shutdown().await;
    dra2.shutdown().await;
    ocs.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_retransmission_gets_the_earlier_answer_without_running_the_handler() {
    let seen = Seen::default();
    let server = recording_server("ocs.home.net", "home.net", &seen);
    let (a, b) = tokio::io::duplex(64 * 1024);
    server.accept_io(b);
    let mut peer = RawPeer::new(a, WAIT);
    peer.exchange_capabilities("raw.visited.net").await;

    peer.send(&raw_ccr("home.net", 1, 10, 500)).await;
    let first = peer.expect().await;
    assert_eq!(result_code(&first), 2001);
    // The same request again with the T flag (and a new hop-by-hop id): the same answer.
    let mut again = raw_ccr("home.net", 1, 11, 500);
    again[4] |= 0x10;
    peer.send(&again).await;
    let second = peer.expect().await;
    let h = Header::decode_unchecked(&second).expect("header");
    assert_eq!((h.hop_by_hop, h.end_to_end), (11, 500));
    assert_eq!(first[20..], second[20..], "the same answer, byte for byte");
    assert_eq!(seen.lock().expect("lock").len(), 1, "the handler ran once");

    // Another End-to-End id with the T flag is a request never seen: served.
    let mut other = raw_ccr("home.net", 2, 12, 501);
    other[4] |= 0x10;
    peer.send(&other).await;
    assert_eq!(result_code(&peer.expect().await), 2001);
    assert_eq!(seen.lock().expect("lock").len(), 2);
    let counters = &server.peers()[0].counters;
    assert_eq!(counters.duplicates_answered, 1);
    assert_eq!(counters.requests_received, 3);
    drop(peer);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn duplicate_detection_can_be_turned_off() {
    let seen = Seen::default();
    let server = {
        let seen = Arc::clone(&seen);
        node("ocs.home.net", "home.net", &[4])
            .duplicate_detection(0, Duration::from_secs(60))
            .handler(move |ccr: CreditControlRequest<'static>, _ctx: Context| {
                seen.lock().expect("lock").push((Vec::new(), false, 0));
                std::future::ready(answer(&ccr))
            })
            .build()
            .expect("server")
    };
    let (a, b) = tokio::io::duplex(64 * 1024);
    server.accept_io(b);
    let mut peer = RawPeer::new(a, WAIT);
    peer.exchange_capabilities("raw.visited.net").await;
    for hbh in [1, 2] {
        let mut m = raw_ccr("home.net", 1, hbh, 900);
        m[4] |= 0x10;
        peer.send(&m).await;
        assert_eq!(result_code(&peer.expect().await), 2001);
    }
    assert_eq!(seen.lock().expect("lock").len(), 2);
    drop(peer);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_proxy_forwards_only_the_applications_it_serves() {
    let seen = Seen::default();
    let server = recording_server("ocs.home.net", "home.net", &seen);
    let proxy = node("proxy.relay.net", "relay.net", &[4])
        .route(Route::new("home.net", Action::proxy(["ocs.home.net"])))
        .build()
        .expect("proxy");
    link(&proxy, &server);
    wait_peer(&proxy, "ocs.home.net").await;
    let (a, b) = tokio::io::duplex(64 * 1024);
    proxy.accept_io(b);
    let mut client = RawPeer::new(a, WAIT);
    client.exchange_capabilities("raw.visited.net").await;

    client.send(&raw_ccr("home.net", 1, 1, 1)).await;
    let a = client.expect().await;
    assert_eq!(result_code(&a), 2001);
    assert_eq!(seen.lock().expect("lock")[0].0, ["raw.visited.net"]);

    // An application the proxy does not advertise: 3007 with the E bit, not forwarded.
    let mut other = raw_ccr("home.net", 2, 2, 2);
    other[8..12].copy_from_slice(&777u32.to_be_bytes());
    client.send(&other).await;
    let a = client.expect().await;
    assert_eq!(result_code(&a), 3007);
    assert!(Header::decode_unchecked(&a)
        .expect("header")
        .flags
        .is_error());
    assert_eq!(seen.lock().expect("lock").len(), 1);
    drop(client);
    proxy.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_cacheable_redirect_is_remembered_for_its_max_cache_time() {
    let seen = Seen::default();
    let ocs2 = recording_server("ocs2.home.net", "home.net", &seen);
    let redirector = node("redirect.relay.net", "relay.net", &[RELAY_APP])
        .route(Route::new(
            "home.net",
            Action::Redirect {
                hosts: vec!["ocs2.home.net".into()],
                usage: RedirectHostUsage::REALM_AND_APPLICATION,
                max_cache_time: 600,
            },
        ))
        .build()
        .expect("redirect agent");
    let client = node("pgw.visited.net", "visited.net", &[4])
        .route(Route::new(
            "home.net",
            Action::relay(["redirect.relay.net"]),
        ))
        .build()
        .expect("client");
    link(&client, &redirector);
    link(&client, &ocs2);
    wait_peer(&client, "redirect.relay.net").await;
    wait_peer(&client, "ocs2.home.net").await;
    let redirects = || redirector.peers()[0].counters.redirects;

    // Redirected once; the next requests of the realm and application go straight to ocs2.
    for n in 0..3 {
        let cca = client.call(ccr("home.net", n)).await.expect("answer");
        assert_eq!(cca.origin_host.as_str(), "ocs2.home.net");
    }
    assert_eq!(redirects(), 1);
    // Redirect-Max-Cache-Time later, the redirect agent is asked again.
    tokio::time::sleep(Duration::from_secs(601)).await;
    let cca = client.call(ccr("home.net", 3)).await.expect("answer");
    assert_eq!(cca.origin_host.as_str(), "ocs2.home.net");
    assert_eq!(redirects(), 2);
    assert_eq!(seen.lock().expect("lock").len(), 4);
    client.shutdown().await;
    redirector.shutdown().await;
    ocs2.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_destination_host_that_is_a_peer_is_reached_without_a_route() {
    let seen = Seen::default();
    let server = recording_server("ocs.home.net", "home.net", &seen);
    // No route at all: only RFC 6733 6.1.5, a request for a host this node talks to.
    let relay = node("dra.relay.net", "relay.net", &[RELAY_APP])
        .build()
        .expect("relay");
    let client = node("pgw.visited.net", "visited.net", &[4])
        .build()
        .expect("client");
    link(&relay, &server);
    link(&client, &relay);
    wait_peer(&relay, "ocs.home.net").await;
    wait_peer(&client, "dra.relay.net").await;

    let to_ocs = |n| CreditControlRequest {
        destination_realm: DiameterIdentity::from_static("home.net"),
        destination_host: Some(DiameterIdentity::from_static("OCS.home.net")),
        auth_application_id: 4,
        service_context_id: "32251@3gpp.org".into(),
        cc_request_type: CcRequestType::EVENT_REQUEST,
        cc_request_number: n,
        ..Default::default()
    };
    let cca = client.call(to_ocs(1)).await.expect("answer");
    assert_eq!(cca.origin_host.as_str(), "ocs.home.net");
    assert_eq!(seen.lock().expect("lock")[0].0, ["pgw.visited.net"]);
    // The same realm without the host: no route, 3003.
    assert_eq!(error_code(client.call(ccr("home.net", 2)).await), 3003);
    client.shutdown().await;
    relay.shutdown().await;
    server.shutdown().await;
}
