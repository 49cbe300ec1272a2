//! TLS between two of our nodes on 127.0.0.1, with certificates made by rcgen for each run: at
//! connect (RFC 6733 section 13) and after CER/CEA (RFC 3588, Inband-Security-Id 1); mutual
//! authentication; the peer's certificate checked against the Origin-Host of its CER or CEA.
#![cfg(feature = "tls")]

use std::net::SocketAddr;
use std::time::Duration;

use diameter_messages::credit_control::{
    CcRequestType, CreditControlRequest, CreditControlRequestBuilder,
};
use diameter_messages::prelude::*;
use diameter_transport::{Application, Node, NodeBuilder, NodeEvent, PeerError, TlsConfig};
use rcgen::{BasicConstraints, CertificateParams, CertifiedKey, IsCa, KeyPair};

mod support;
use support::node_events::{answer_ccr, events, wait_for};

const WAIT: Duration = Duration::from_secs(10);

/// A certificate authority for one test run.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).expect("CA cert");
        Ca { cert, key }
    }

    /// A certificate for `dns_name` signed by this CA, as the PEM config of a node trusting
    /// `roots`.
    fn issue(&self, dns_name: &str, roots: &[&Ca]) -> TlsConfig {
        let key = KeyPair::generate().expect("key");
        let params = CertificateParams::new(vec![dns_name.to_owned()]).expect("params");
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("signed");
        let issued = CertifiedKey {
            cert,
            key_pair: key,
        };
        let roots: String = roots.iter().map(|ca| ca.cert.pem()).collect();
        TlsConfig::from_pem(
            issued.cert.pem().as_bytes(),
            issued.key_pair.serialize_pem().as_bytes(),
            roots.as_bytes(),
        )
        .expect("TLS config")
    }
}

fn any_addr() -> SocketAddr {
    "127.0.0.1:0".parse().expect("address")
}

fn node(host: &str) -> NodeBuilder {
    Node::builder()
        .origin_host(host)
        .origin_realm("test.local")
        .applications([Application::auth(4)])
        .peer_timeouts(WAIT, WAIT, Duration::from_secs(1))
}

fn ccr(n: u32) -> CreditControlRequestBuilder<'static> {
    CreditControlRequest::builder()
        .destination_realm(DiameterIdentity::from_static("test.local"))
        .auth_application_id(4)
        .service_context_id("32251@3gpp.org")
        .cc_request_type(CcRequestType::INITIAL_REQUEST)
        .cc_request_number(n)
}

fn connected(e: &NodeEvent) -> Option<String> {
    match e {
        NodeEvent::Connected { origin_host, .. } => Some(origin_host.clone()),
        _ => None,
    }
}

fn down(e: &NodeEvent) -> Option<Option<PeerError>> {
    match e {
        NodeEvent::Down { error, .. } => Some(error.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn tls_at_connect_with_mutual_authentication() {
    let ca = Ca::new("test CA");
    let (hook, mut server_events) = events();
    let server = node("srv.test.local")
        .tls(ca.issue("srv.test.local", &[&ca]))
        .allow_peer("cli.test.local")
        .handler(answer_ccr)
        .on_event(hook)
        .build()
        .expect("server");
    let addr = server.listen_tls(any_addr()).await.expect("listen");
    let client = node("cli.test.local")
        .tls(ca.issue("cli.test.local", &[&ca]))
        .build()
        .expect("client");
    client.connect_tls(addr, "srv.test.local").expect("connect");
    assert!(client.wait_open(WAIT).await, "open over TLS");
    assert_eq!(
        wait_for(&mut server_events, WAIT, connected).await,
        "cli.test.local"
    );
    for n in 0..5 {
        let cca = client.call(ccr(n)).await.expect("CCA over TLS");
        assert_eq!((cca.result_code, cca.cc_request_number), (2001, n));
    }
    client.shutdown().await;
    assert_eq!(wait_for(&mut server_events, WAIT, down).await, None);
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_certificate_for_another_host_gets_3010() {
    let ca = Ca::new("test CA");
    let (hook, mut server_events) = events();
    let server = node("srv.test.local")
        .tls(ca.issue("srv.test.local", &[&ca]))
        .accept_unknown_peers(true)
        .on_event(hook)
        .build()
        .expect("server");
    let addr = server.listen_tls(any_addr()).await.expect("listen");
    // A valid certificate of the CA, but for another name than the CER's Origin-Host.
    let (client_hook, mut client_events) = events();
    let client = node("mallory.test.local")
        .tls(ca.issue("cli.test.local", &[&ca]))
        .on_event(client_hook)
        .build()
        .expect("client");
    client.connect_tls(addr, "srv.test.local").expect("connect");
    let refused = wait_for(&mut server_events, WAIT, |e| match e {
        NodeEvent::CerReceived {
            origin_host,
            result_code,
        } => Some((origin_host.clone(), *result_code)),
        _ => None,
    })
    .await;
    assert_eq!(refused, ("mallory.test.local".to_owned(), 3010));
    let error = wait_for(&mut client_events, WAIT, down).await;
    assert!(
        matches!(error, Some(PeerError::Capabilities(_))),
        "client saw {error:?}"
    );
    assert!(server.peers().is_empty(), "no peer admitted");
    client.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_server_whose_certificate_does_not_name_its_origin_host_is_refused() {
    let ca = Ca::new("test CA");
    // The certificate names srv.test.local (which the client dials), the CEA says other.
    let server = node("other.test.local")
        .tls(ca.issue("srv.test.local", &[&ca]))
        .accept_unknown_peers(true)
        .build()
        .expect("server");
    let addr = server.listen_tls(any_addr()).await.expect("listen");
    let (hook, mut client_events) = events();
    let client = node("cli.test.local")
        .tls(ca.issue("cli.test.local", &[&ca]))
        .on_event(hook)
        .build()
        .expect("client");
    client.connect_tls(addr, "srv.test.local").expect("connect");
    let error = wait_for(&mut client_events, WAIT, down).await;
    match error {
        Some(PeerError::Tls { origin_host, .. }) => assert_eq!(origin_host, "other.test.local"),
        other => panic!("expected a TLS identity error, got {other:?}"),
    }
    assert!(!client.wait_open(Duration::from_millis(50)).await);
    client.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_peer_of_an_untrusted_authority_is_not_admitted() {
    let ca = Ca::new("test CA");
    let rogue = Ca::new("rogue CA");
    let (hook, mut server_events) = events();
    let server = node("srv.test.local")
        .tls(ca.issue("srv.test.local", &[&ca]))
        .accept_unknown_peers(true)
        .on_event(hook)
        .build()
        .expect("server");
    let addr = server.listen_tls(any_addr()).await.expect("listen");
    // The client trusts the server's CA, but its own certificate is the rogue's: the server's
    // handshake refuses it, and no CER is ever read.
    let (client_hook, mut client_events) = events();
    let client = node("cli.test.local")
        .tls(rogue.issue("cli.test.local", &[&ca]))
        .on_event(client_hook)
        .build()
        .expect("client");
    client.connect_tls(addr, "srv.test.local").expect("connect");
    let error = wait_for(&mut client_events, WAIT, down).await;
    assert!(error.is_some(), "the connection fails");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), server_events.recv())
            .await
            .is_err(),
        "the server saw no CER"
    );
    client.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn tls_needs_settings() {
    let plain = node("a.test.local").build().expect("node");
    assert!(plain.listen_tls(any_addr()).await.is_err());
    assert!(plain.connect_tls(any_addr(), "b.test.local").is_err());
}

/// Two nodes offering TLS after CER/CEA, as RFC 3588 had it, over plain TCP listening.
fn inband_pair(
    ca: &Ca,
    client_required: bool,
    server_required: bool,
) -> (NodeBuilder, NodeBuilder) {
    let server = node("srv.test.local")
        .tls(ca.issue("srv.test.local", &[ca]))
        .inband_tls(server_required)
        .accept_unknown_peers(true)
        .handler(answer_ccr);
    let client = node("cli.test.local")
        .tls(ca.issue("cli.test.local", &[ca]))
        .inband_tls(client_required);
    (server, client)
}

#[tokio::test]
async fn tls_after_cer_cea_when_both_offer_it() {
    let ca = Ca::new("test CA");
    let (server, client) = inband_pair(&ca, false, true);
    let server = server.build().expect("server");
    let addr = server.listen(any_addr()).await.expect("listen");
    let client = client.build().expect("client");
    client.connect(addr);
    assert!(client.wait_open(WAIT).await, "open");
    for n in 0..5 {
        let cca = client.call(ccr(n)).await.expect("CCA after in-band TLS");
        assert_eq!((cca.result_code, cca.cc_request_number), (2001, n));
    }
    assert!(client.peers()[0].tls, "the client's connection runs TLS");
    assert!(server.peers()[0].tls, "the server's connection runs TLS");
    client.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_plain_peer_stays_plain_when_tls_is_only_offered() {
    let ca = Ca::new("test CA");
    let (server, _) = inband_pair(&ca, false, false);
    let server = server.build().expect("server");
    let addr = server.listen(any_addr()).await.expect("listen");
    let client = node("cli.test.local").build().expect("plain client");
    client.connect(addr);
    assert!(client.wait_open(WAIT).await, "open");
    let cca = client.call(ccr(0)).await.expect("CCA in the clear");
    assert_eq!(cca.result_code, 2001);
    assert!(!client.peers()[0].tls);
    client.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_plain_peer_gets_5017_when_tls_is_required() {
    let ca = Ca::new("test CA");
    let (server, _) = inband_pair(&ca, false, true);
    let (hook, mut server_events) = events();
    let server = server.on_event(hook).build().expect("server");
    let addr = server.listen(any_addr()).await.expect("listen");
    let client = node("cli.test.local").build().expect("plain client");
    client.connect(addr);
    let code = wait_for(&mut server_events, WAIT, |e| match e {
        NodeEvent::CerReceived { result_code, .. } => Some(*result_code),
        _ => None,
    })
    .await;
    assert_eq!(code, 5017);
    client.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn in_band_tls_checks_the_certificate_against_the_cer() {
    let ca = Ca::new("test CA");
    let (server, _) = inband_pair(&ca, false, false);
    let server = server.build().expect("server");
    let addr = server.listen(any_addr()).await.expect("listen");
    // The client's certificate names another host than its CER's Origin-Host.
    let (hook, mut client_events) = events();
    let client = node("cli.test.local")
        .tls(ca.issue("someone-else.test.local", &[&ca]))
        .inband_tls(false)
        .on_event(hook)
        .build()
        .expect("client");
    client.connect(addr);
    let error = wait_for(&mut client_events, WAIT, down).await;
    assert!(error.is_some(), "the connection is closed");
    assert!(!client.wait_open(Duration::from_millis(50)).await);
    assert!(server
        .peers()
        .iter()
        .all(|p| p.origin_host.is_none() || !p.tls));
    client.shutdown().await;
    server.shutdown().await;
}
