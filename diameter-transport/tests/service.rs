//! Server handlers as tower services (`NodeBuilder::service`), over TCP on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diameter_messages::credit_control::{
    CcRequestType, CreditControlAnswer, CreditControlRequest, CreditControlRequestBuilder,
};
use diameter_messages::prelude::*;
use diameter_transport::{Application, Node, NodeBuilder};
use tower::ServiceBuilder;

const WAIT: Duration = Duration::from_secs(10);

fn node(host: &str) -> NodeBuilder {
    Node::builder()
        .origin_host(host)
        .origin_realm("example")
        .applications([Application::auth(4)])
        .jitter_seed(7)
}

fn ccr(n: u32) -> CreditControlRequestBuilder<'static> {
    CreditControlRequest::builder()
        .destination_realm(DiameterIdentity::from_static("example"))
        .auth_application_id(4)
        .service_context_id("32251@3gpp.org")
        .cc_request_type(CcRequestType::UPDATE_REQUEST)
        .cc_request_number(n)
}

async fn pair(server: NodeBuilder) -> (Node, Node) {
    let server = server.accept_unknown_peers(true).build().expect("server");
    let addr = server
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("listen");
    let client = node("pgw.example").build().expect("client");
    client.connect(addr);
    assert!(client.wait_open(WAIT).await, "open in time");
    (server, client)
}

#[tokio::test]
async fn a_tower_service_with_a_layer_serves_requests() {
    let served = Arc::new(AtomicUsize::new(0));
    let svc = {
        let served = Arc::clone(&served);
        tower::service_fn(move |ccr: CreditControlRequest<'static>| {
            served.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok::<_, std::convert::Infallible>(CreditControlAnswer {
                    result_code: 2001,
                    auth_application_id: 4,
                    cc_request_type: ccr.cc_request_type,
                    cc_request_number: ccr.cc_request_number,
                    ..Default::default()
                })
            }
        })
    };
    // A layer in front: the service is driven to readiness before each call.
    let svc = ServiceBuilder::new().concurrency_limit(2).service(svc);
    let (server, client) =
        pair(node("ocs.example").service::<CreditControlRequest<'static>, _>(svc)).await;

    let calls: Vec<_> = (0..16)
        .map(|n| {
            let client = client.clone();
            tokio::spawn(async move { client.call(ccr(n)).await })
        })
        .collect();
    for (n, call) in calls.into_iter().enumerate() {
        let cca = tokio::time::timeout(WAIT, call)
            .await
            .expect("answer in time")
            .expect("task")
            .expect("answer");
        assert_eq!((cca.result_code, cca.cc_request_number), (2001, n as u32));
        // Filled in by the node, as for a plain handler.
        assert_eq!(cca.origin_host.as_str(), "ocs.example");
        assert!(cca.session_id.as_str().starts_with("pgw.example;"));
    }
    assert_eq!(served.load(Ordering::SeqCst), 16);
    assert_eq!(
        server.peers()[0].counters.answers_sent.get(&2001),
        Some(&16)
    );
    client.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_failing_service_is_answered_5012_and_the_connection_serves_on() {
    let svc = tower::service_fn(|ccr: CreditControlRequest<'static>| async move {
        if ccr.cc_request_number == 13 {
            return Err("no credit backend");
        }
        Ok(CreditControlAnswer {
            result_code: 2001,
            auth_application_id: 4,
            cc_request_type: ccr.cc_request_type,
            cc_request_number: ccr.cc_request_number,
            ..Default::default()
        })
    });
    let (server, client) =
        pair(node("ocs.example").service::<CreditControlRequest<'static>, _>(svc)).await;

    // 5012 is no protocol error (no E bit): the node's answer copies from the request what the
    // CCA requires (Auth-Application-Id, CC-Request-Type and -Number), so it is a valid CCA.
    let cca = client.call(ccr(13)).await.expect("a valid 5012 CCA");
    assert_eq!((cca.result_code, cca.cc_request_number), (5012, 13));
    let client_counts = &client.peers()[0].counters;
    assert_eq!(client_counts.answers_received.get(&5012), Some(&1));

    let cca = client.call(ccr(14)).await.expect("served on");
    assert_eq!((cca.result_code, cca.cc_request_number), (2001, 14));
    let server_counts = &server.peers()[0].counters;
    assert_eq!(server_counts.requests_received, 2);
    assert_eq!(server_counts.answers_sent.get(&5012), Some(&1));
    assert_eq!(server_counts.answers_sent.get(&2001), Some(&1));
    client.shutdown().await;
    server.shutdown().await;
}
