//! The election (RFC 6733 section 5.6.4) between two nodes that dial each other at the same
//! moment, each knowing the other's Origin-Host: both ways round, exactly one connection
//! survives, the same on both sides, and it is the one the winner accepted. In-memory streams
//! on tokio's paused clock; every wait bounded.

use std::time::Duration;

use diameter_messages::credit_control::{CcRequestType, CreditControlAnswer, CreditControlRequest};
use diameter_messages::prelude::*;
use diameter_transport::{Application, Conn, Context, Node, NodeEvent, PeerState};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(60);

fn node(host: &str, events: mpsc::UnboundedSender<NodeEvent>) -> Node {
    Node::builder()
        .origin_host(host)
        .origin_realm("example")
        .applications([Application::auth(4)])
        .accept_unknown_peers(true)
        .jitter_seed(3)
        .on_event(move |e| drop(events.send(e.clone())))
        .handler(
            |ccr: CreditControlRequest<'static>, _ctx: Context| async move {
                CreditControlAnswer {
                    result_code: 2001,
                    auth_application_id: 4,
                    cc_request_type: ccr.cc_request_type,
                    cc_request_number: ccr.cc_request_number,
                    ..Default::default()
                }
            },
        )
        .build()
        .expect("node")
}

/// The role of the connection that opened, from the first Connected event.
async fn connected(rx: &mut mpsc::UnboundedReceiver<NodeEvent>) -> Conn {
    let found = tokio::time::timeout(WAIT, async {
        while let Some(e) = rx.recv().await {
            if let NodeEvent::Connected { role, .. } = e {
                return role;
            }
        }
        panic!("events closed")
    })
    .await;
    found.expect("connected in time")
}

/// `a` and `b` dial each other at once; returns the role of the surviving connection on
/// each side.
async fn simultaneous_open(a_host: &str, b_host: &str) -> (Conn, Conn) {
    let (tx, mut a_events) = mpsc::unbounded_channel();
    let a = node(a_host, tx);
    let (tx, mut b_events) = mpsc::unbounded_channel();
    let b = node(b_host, tx);
    let (a_dials, b_accepts) = tokio::io::duplex(64 * 1024);
    let (b_dials, a_accepts) = tokio::io::duplex(64 * 1024);
    a.connect_io_named(a_dials, b_host);
    b.connect_io_named(b_dials, a_host);
    b.accept_io(b_accepts);
    a.accept_io(a_accepts);
    let roles = (
        connected(&mut a_events).await,
        connected(&mut b_events).await,
    );

    // Let the losing connection finish closing, then look: one peer each, open.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for (node, other) in [(&a, b_host), (&b, a_host)] {
        let peers = node.peers();
        assert_eq!(peers.len(), 1, "{peers:?}");
        assert_eq!(peers[0].origin_host.as_deref(), Some(other));
        assert!(
            matches!(peers[0].state, PeerState::IOpen | PeerState::ROpen),
            "{:?}",
            peers[0].state
        );
    }
    // And the survivor carries requests both ways.
    for (from, n) in [(&a, 1), (&b, 2)] {
        let ccr = CreditControlRequest::builder()
            .destination_realm(DiameterIdentity::from_static("example"))
            .auth_application_id(4)
            .service_context_id("32251@3gpp.org")
            .cc_request_type(CcRequestType::EVENT_REQUEST)
            .cc_request_number(n);
        assert_eq!(from.call(ccr).await.expect("answer").cc_request_number, n);
    }
    a.shutdown().await;
    b.shutdown().await;
    roles
}

#[tokio::test(start_paused = true)]
async fn the_higher_origin_host_wins_and_keeps_the_connection_it_accepted() {
    // "b.example" wins: it keeps the connection "a.example" dialled.
    let (a, b) = simultaneous_open("a.example", "b.example").await;
    assert_eq!((a, b), (Conn::Initiator, Conn::Responder));
}

#[tokio::test(start_paused = true)]
async fn the_same_election_the_other_way_round() {
    // Now the dialler of the first pair wins: "z.example" keeps what "b.example" dialled.
    let (z, b) = simultaneous_open("z.example", "b.example").await;
    assert_eq!((z, b), (Conn::Responder, Conn::Initiator));
}
