//! `Node::call_raw`: encoded requests out, answer frames back, over TCP on 127.0.0.1.

use std::time::Duration;

use bytes::BytesMut;
use diameter_messages::credit_control::{CcRequestType, CreditControlAnswer, CreditControlRequest};
use diameter_messages::prelude::*;
use diameter_runtime::header::{CommandFlags, Header};
use diameter_runtime::{Command, RawMessage};
use diameter_transport::{Application, CallError, Context, Node};

const WAIT: Duration = Duration::from_secs(10);

async fn pair() -> (Node, Node) {
    let server = Node::builder()
        .origin_host("ocs.example.net")
        .origin_realm("example.net")
        .applications([Application::auth(4)])
        .accept_unknown_peers(true)
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
        .expect("server");
    let addr = server
        .listen("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("listen");
    let client = Node::builder()
        .origin_host("pgw.example.net")
        .origin_realm("example.net")
        .applications([Application::auth(4)])
        .request_timeout(WAIT)
        .build()
        .expect("client");
    client.connect(addr);
    assert!(client.wait_open(WAIT).await, "open");
    (server, client)
}

fn ccr() -> CreditControlRequest<'static> {
    // Session-Id, Origin-Host and Origin-Realm empty: the node's to fill.
    CreditControlRequest {
        destination_realm: DiameterIdentity::from_static("example.net"),
        auth_application_id: 4,
        service_context_id: Utf8String::from("32251@3gpp.org"),
        cc_request_type: CcRequestType::INITIAL_REQUEST,
        cc_request_number: 7,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_bytes_and_returns_the_answer_frame() {
    let (server, client) = pair().await;
    let frame = client.call_raw(ccr().to_bytes(0, 0)).await.expect("answer");
    let cca = CreditControlAnswer::decode(&frame).expect("decodes");
    assert!(cca.is_valid(), "{:?}", cca.violations);
    assert_eq!(cca.message.result_code, 2001);
    assert_eq!(cca.message.cc_request_number, 7);
    let session = cca.message.session_id.as_str();
    assert!(
        session.starts_with("pgw.example.net;"),
        "filled in: {session}"
    );
    let header = Header::decode_unchecked(&frame).expect("header");
    assert_ne!(header.end_to_end, 0, "the node's identifiers");

    // An unknown command of the application: the E-bit answer is returned, not an error.
    let mut unknown = RawMessage::new(Header {
        version: 1,
        length: 0,
        flags: CommandFlags(CommandFlags::REQUEST | CommandFlags::PROXIABLE),
        command_code: 9999,
        application_id: 4,
        hop_by_hop: 0,
        end_to_end: 0,
    });
    let cer = ccr().to_bytes(0, 0);
    let raw = RawMessage::decode(cer).expect("raw");
    unknown.avps = raw.avps;
    let frame = client
        .call_raw(unknown.to_bytes())
        .await
        .expect("an answer");
    let h = Header::decode_unchecked(&frame).expect("header");
    assert!(h.flags.is_error() && !h.flags.is_request());
    let answer = RawMessage::decode(frame).expect("raw answer");
    let rc = answer
        .find(268, 0)
        .expect("Result-Code")
        .value::<u32>()
        .expect("u32");
    assert_eq!(rc, 3001);

    // Not a request; an application no peer agreed.
    let mut cca_bytes = BytesMut::new();
    cca.message.encode(1, 2, &mut cca_bytes);
    assert!(matches!(
        client.call_raw(cca_bytes).await,
        Err(CallError::NotARequest)
    ));
    let mut acr = ccr().to_bytes(0, 0).to_vec();
    acr[8..12].copy_from_slice(&3u32.to_be_bytes());
    assert!(matches!(
        client.call_raw(&acr[..]).await,
        Err(CallError::NoPeer { application_id: 3 })
    ));
    client.shutdown().await;
    server.shutdown().await;
}
