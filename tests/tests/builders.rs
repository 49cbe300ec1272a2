//! Generated builders: required AVPs by name, `build()` naming every one not given, and the
//! AVPs a node owns filled in later through `CommandBuilder`.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use diameter_messages::prelude::*;

const HOST: DiameterIdentity<'static> = DiameterIdentity::from_static("client.example");
const REALM: DiameterIdentity<'static> = DiameterIdentity::from_static("example");

/// A CCR as the code making a request knows it: no Session-Id, Origin-Host or Origin-Realm.
fn unfinished() -> credit_control::CreditControlRequestBuilder<'static> {
    credit_control::CreditControlRequest::builder()
        .destination_realm(DiameterIdentity::from_static("ocs.example"))
        .auth_application_id(4)
        .service_context_id("32251@3gpp.org")
        .cc_request_type(credit_control::CcRequestType::INITIAL_REQUEST)
        .cc_request_number(0)
}

#[test]
fn build_names_every_missing_required_avp() {
    let e = unfinished().build().unwrap_err();
    assert_eq!(e.name(), "Credit-Control-Request");
    assert_eq!(e.missing(), ["Session-Id", "Origin-Host", "Origin-Realm"]);
    assert_eq!(
        e.to_string(),
        "Credit-Control-Request lacks required AVPs Session-Id, Origin-Host, Origin-Realm"
    );
    let e = credit_control::SubscriptionId::builder()
        .subscription_id_data("491701234567")
        .build()
        .unwrap_err();
    assert_eq!(e.missing(), ["Subscription-Id-Type"]);
}

/// What a node does with a request handed to it: fills in what it owns, then builds.
fn send<'a, B: CommandBuilder<'a>>(mut request: B, session: &Utf8String<'a>) -> B::Command {
    request.fill_origin(&HOST, &REALM);
    request.fill_session_id(session);
    request.build().unwrap()
}

#[test]
fn a_node_fills_in_origin_and_session() {
    let session = Utf8String::from("client.example;1;1");
    let ccr = send(unfinished(), &session);
    assert_eq!(ccr.session_id, "client.example;1;1");
    assert_eq!(
        (ccr.origin_host.as_str(), ccr.origin_realm.as_str()),
        ("client.example", "example")
    );
    // It decodes without a violation: nothing required is missing.
    let bytes = ccr.to_bytes(1, 1);
    assert!(Message::decode(&bytes).unwrap().is_valid());

    // What the caller gave is kept.
    let mine = DiameterIdentity::from_static("proxy.example");
    let ccr = send(unfinished().origin_host(mine.clone()), &session);
    assert_eq!(ccr.origin_host, mine);
    // A command without a Session-Id is left as it is.
    let dwr = send(base::DeviceWatchdogRequest::builder(), &session);
    assert_eq!(dwr, base::DeviceWatchdogRequest::new(HOST, REALM));
}

#[test]
fn message_and_command_encode_alike() {
    let dwr = base::DeviceWatchdogRequest::new(HOST, REALM);
    let msg = Message::DeviceWatchdogRequest(dwr.clone());
    assert_eq!(msg.to_bytes(7, 9), dwr.to_bytes(7, 9));
    let (mut a, mut b) = (Default::default(), Default::default());
    msg.encode(7, 9, &mut a);
    dwr.encode(7, 9, &mut b);
    assert_eq!(a, b);
    // A base session command sent for credit control keeps the header it is given.
    let header = diameter_runtime::Header::request(275, 4).with_ids(1, 2);
    let str_ = base::SessionTerminationRequest::builder()
        .session_id("s;1")
        .origin_host(HOST)
        .origin_realm(REALM)
        .destination_realm(REALM)
        .auth_application_id(4)
        .termination_cause(base::TerminationCause::DIAMETER_LOGOUT)
        .build()
        .unwrap();
    let mut buf = Default::default();
    Message::SessionTerminationRequest(str_).encode_with_header(&header, &mut buf);
    let decoded = RawMessage::parse(&buf, &DecodeOptions::new()).unwrap();
    assert_eq!(decoded.header.application_id, 4);
}
