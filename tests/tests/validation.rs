//! Invalid messages and the Result-Code and Failed-AVP RFC 6733 and RFC 4006 require for each,
//! through the typed decoder (`diameter_messages::Message`) and the error-answer builder.
//!
//! Each case starts from the python-diameter CCR-I vector (RFC 4006 application 4), changes
//! one thing and names the section that decides the answer.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use bytes::{Bytes, BytesMut};
use diameter_messages::Message;
use diameter_runtime::answer::Identity;
use diameter_runtime::types::DiameterIdentity;
use diameter_runtime::{DecodeOptions, Decoded, RawAvp, RawMessage, Violation};

const VENDOR_3GPP: u32 = 10415;

fn ccr_i() -> RawMessage<'static> {
    let (_, bytes) = diameter_tests::read_vectors("vectors.hex")
        .into_iter()
        .find(|(l, _)| l.as_deref() == Some("CCR-I"))
        .expect("CCR-I vector");
    let mut m = RawMessage::decode(Bytes::from(bytes)).unwrap();
    // Keep the case about RFC 4006 alone: drop the 3GPP Service-Information (873, M bit).
    m.avps.retain(|a| a.code != 873);
    m
}

fn decode(m: &RawMessage<'_>) -> Decoded<Message<'static>> {
    Message::decode(&m.to_bytes()).unwrap().into_owned()
}

fn only<'d>(d: &'d Decoded<Message<'_>>) -> &'d Violation {
    assert_eq!(d.violations.len(), 1, "{:#?}", d.violations);
    &d.violations[0]
}

fn u32_avp(code: u32, v: u32) -> RawAvp<'static> {
    RawAvp::from_value(code, 0x40, None, &v)
}

fn pos(m: &RawMessage, code: u32) -> usize {
    m.avps.iter().position(|a| a.code == code).unwrap()
}

fn id() -> Identity {
    Identity {
        origin_host: DiameterIdentity::from_static("server.test.local"),
        origin_realm: DiameterIdentity::from_static("test.local"),
    }
}

#[test]
fn base_case_is_valid() {
    let d = decode(&ccr_i());
    assert!(d.violations.is_empty(), "{:#?}", d.violations);
    assert_eq!(d.result_code(), 2001);
    assert!(matches!(d.message, Message::CreditControlRequest(_)));
}

/// RFC 6733 7.1.5 DIAMETER_MISSING_AVP and 7.5: Failed-AVP holds an example of the missing AVP
/// with a zero-filled value of its type's minimum length.
#[test]
fn missing_required_avp_is_5005_with_zero_filled_example() {
    let mut m = ccr_i();
    m.avps.retain(|a| a.code != 296);
    let d = decode(&m);
    let v = only(&d);
    assert_eq!(
        (v.result_code, v.avp, v.code),
        (5005, Some("Origin-Realm"), 296)
    );
    assert_eq!(v.path, vec!["Credit-Control-Request"]);
    assert_eq!(
        &v.failed_avp.as_ref().unwrap()[..],
        &[0, 0, 1, 0x28, 0x40, 0, 0, 8]
    );

    let mut m = ccr_i();
    m.avps.retain(|a| a.code != 415);
    let v = only(&decode(&m)).clone();
    assert_eq!((v.result_code, v.code), (5005, 415));
    // CC-Request-Number is Unsigned32: four zero bytes.
    assert_eq!(
        &v.failed_avp.unwrap()[..],
        &[0, 0, 1, 0x9f, 0x40, 0, 0, 12, 0, 0, 0, 0]
    );
}

/// RFC 6733 7.1.5 DIAMETER_AVP_OCCURS_TOO_MANY_TIMES and 7.5: Failed-AVP holds the first
/// instance past the limit.
#[test]
fn second_single_avp_is_5009_with_that_instance() {
    let mut m = ccr_i();
    let at = pos(&m, 416);
    m.avps.insert(at + 1, u32_avp(416, 3));
    let d = decode(&m);
    let v = only(&d);
    assert_eq!((v.result_code, v.avp), (5009, Some("CC-Request-Type")));
    assert_eq!(
        &v.failed_avp.as_ref().unwrap()[..],
        &[0, 0, 1, 0xa0, 0x40, 0, 0, 12, 0, 0, 0, 3]
    );
    // The first instance is the one kept.
    match d.message {
        Message::CreditControlRequest(ccr) => assert_eq!(ccr.cc_request_type.0, 1),
        other => panic!("{other:?}"),
    }
}

/// RFC 6733 3.2: `< Session-Id >` is fixed first; anywhere else it is not allowed (5008).
#[test]
fn fixed_avp_out_of_place_is_5008() {
    let mut m = ccr_i();
    let sid = m.avps.remove(0);
    m.avps.insert(2, sid.clone());
    let d = decode(&m);
    let v = only(&d);
    assert_eq!((v.result_code, v.avp), (5008, Some("Session-Id")));
    assert_eq!(v.failed_avp.as_ref().unwrap(), &sid.wire());
}

/// RFC 6733 7.1.5 DIAMETER_AVP_NOT_ALLOWED, and 7.5: an error inside a Grouped AVP is reported
/// with Failed-AVP holding the group with only the offending AVP.
#[test]
fn avp_not_in_a_closed_group_is_5008_nested() {
    let mut m = ccr_i();
    let at = pos(&m, 443);
    let sub = &m.avps[at];
    let mut kids = sub.grouped().unwrap();
    kids.push(u32_avp(432, 7)); // Rating-Group has no place in Subscription-Id
    m.avps[at] = RawAvp::grouped_from(443, 0x40, None, &kids);
    let d = decode(&m);
    let v = only(&d);
    assert_eq!((v.result_code, v.avp), (5008, Some("Rating-Group")));
    assert_eq!(v.path, vec!["Credit-Control-Request", "Subscription-Id"]);
    let failed = RawMessage::decode(wrap_in_message(v.failed_avp.as_ref().unwrap())).unwrap();
    assert_eq!(failed.avps[0].code, 443);
    let inner = failed.avps[0].grouped().unwrap();
    assert_eq!((inner.len(), inner[0].code), (1, 432));
}

/// RFC 6733 7.1.5 DIAMETER_MISSING_AVP inside a group, nested as 7.5 asks.
#[test]
fn missing_avp_inside_group_is_5005_nested() {
    let mut m = ccr_i();
    let at = pos(&m, 443);
    let kids: Vec<RawAvp> = m.avps[at]
        .grouped()
        .unwrap()
        .into_iter()
        .filter(|a| a.code != 444)
        .collect();
    m.avps[at] = RawAvp::grouped_from(443, 0x40, None, &kids);
    let d = decode(&m);
    let v = only(&d);
    assert_eq!((v.result_code, v.avp), (5005, Some("Subscription-Id-Data")));
    assert_eq!(v.path, vec!["Credit-Control-Request", "Subscription-Id"]);
    // Subscription-Id { Subscription-Id-Data (zero-length UTF8String) }
    assert_eq!(
        &v.failed_avp.as_ref().unwrap()[..],
        &[0, 0, 1, 0xbb, 0x40, 0, 0, 16, 0, 0, 1, 0xbc, 0x40, 0, 0, 8]
    );
}

/// RFC 6733 7.1.5 DIAMETER_INVALID_AVP_LENGTH: a fixed-size value of the wrong size; inside a
/// group it is reported nested (7.5).
#[test]
fn wrong_length_value_is_5014() {
    let mut m = ccr_i();
    let at = pos(&m, 415);
    m.avps[at] = RawAvp::new(415, 0x40, None, Bytes::from_static(&[0, 0, 0, 0, 1]));
    let v = only(&decode(&m)).clone();
    assert_eq!((v.result_code, v.code), (5014, 415));
    assert_eq!(
        &v.failed_avp.unwrap()[..],
        &[0, 0, 1, 0x9f, 0x40, 0, 0, 13, 0, 0, 0, 0, 1]
    );

    let mut m = ccr_i();
    let at = pos(&m, 456);
    let mut kids = m.avps[at].grouped().unwrap();
    let rg = kids.iter().position(|a| a.code == 432).unwrap();
    kids[rg] = RawAvp::new(
        432,
        0x40,
        None,
        Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0, 100]),
    );
    m.avps[at] = RawAvp::grouped_from(456, 0x40, None, &kids);
    let d = decode(&m);
    let v = only(&d);
    assert_eq!((v.result_code, v.avp), (5014, Some("Rating-Group")));
    assert_eq!(
        v.path,
        vec!["Credit-Control-Request", "Multiple-Services-Credit-Control"]
    );
    assert_eq!(
        &v.failed_avp.as_ref().unwrap()[..4],
        &[0, 0, 1, 0xc8],
        "wrapped in MSCC"
    );
}

/// RFC 6733 7.1.5 DIAMETER_INVALID_AVP_VALUE: a value its type forbids.
#[test]
fn invalid_value_is_5004() {
    let mut m = ccr_i();
    let at = pos(&m, 264);
    m.avps[at] = RawAvp::new(264, 0x40, None, Bytes::from_static(b"bad host"));
    let v = only(&decode(&m)).clone();
    assert_eq!((v.result_code, v.avp), (5004, Some("Origin-Host")));

    let mut m = ccr_i();
    m.avps[0] = RawAvp::new(263, 0x40, None, Bytes::from_static(b"\xff\xfe"));
    assert_eq!(only(&decode(&m)).result_code, 5004);
}

/// RFC 6733 7.1.5 DIAMETER_AVP_UNSUPPORTED: an AVP with the M bit that the receiver does not
/// know, even where the grammar ends in `*[ AVP ]`; Failed-AVP holds it. A lenient receiver
/// keeps it raw instead, and a copy without the M bit is always accepted.
#[test]
fn unknown_mandatory_avp_is_5001_unless_lenient() {
    let unknown = RawAvp::new(65000, 0x40, None, Bytes::from_static(&[0, 0, 0, 1]));
    let mut m = ccr_i();
    m.avps.push(unknown.clone());
    let d = decode(&m);
    let v = only(&d);
    assert_eq!((v.result_code, v.code, v.avp), (5001, 65000, None));
    assert_eq!(v.failed_avp.as_ref().unwrap(), &unknown.wire());

    let lenient = DecodeOptions::lenient();
    let wire = m.to_bytes();
    let d = Message::decode_with(&wire, &lenient).unwrap();
    assert!(d.violations.is_empty());
    match &d.message {
        Message::CreditControlRequest(ccr) => assert_eq!(ccr.other_avps, vec![unknown]),
        other => panic!("{other:?}"),
    }
    let mut m = ccr_i();
    m.avps
        .push(RawAvp::new(65000, 0, Some(VENDOR_3GPP), Bytes::new()));
    assert!(decode(&m).violations.is_empty());
}

/// RFC 6733 7.1.3 DIAMETER_INVALID_AVP_BITS: flag bits inconsistent with the AVP's definition
/// (CC-Request-Type's M bit is MUST, RFC 4006 section 8). The receiver knows the AVP, so by
/// default this is only a note (it used to be 3009: see ARCHITECTURE.md, "Strictness");
/// pedantic decoding answers 3009, a protocol error, so the answer has the E bit.
#[test]
fn flag_rule_violation_is_a_note_and_3009_when_pedantic() {
    let mut m = ccr_i();
    let at = pos(&m, 416);
    m.avps[at].flags.0 = 0;
    let bytes = m.to_bytes();
    let d = Message::decode(&bytes).unwrap();
    assert!(d.is_valid(), "{:#?}", d.violations);
    assert_eq!(d.notes[0].avp, Some("CC-Request-Type"));
    let d = Message::decode_with(&bytes, &DecodeOptions::pedantic()).unwrap();
    let v = only(&d);
    assert_eq!((v.result_code, v.avp), (3009, Some("CC-Request-Type")));
    let ans = d.error_answer(&bytes, &id()).unwrap();
    assert!(ans.header.flags.is_error());
    assert_eq!(ans.find(268, 0).unwrap().value::<u32>().unwrap(), 3009);
    // Lenient decoding does not look.
    let d = Message::decode_with(&bytes, &DecodeOptions::lenient()).unwrap();
    assert!(d.violations.is_empty() && d.notes.is_empty());
}

/// RFC 6733 7.1.3 DIAMETER_INVALID_HDR_BITS: a P bit the command's definition does not have
/// (CER is not proxiable, RFC 6733 5.3.1).
#[test]
fn header_bits_against_the_command_are_3008() {
    let (_, cer) = diameter_tests::read_vectors("vectors.hex")
        .into_iter()
        .find(|(l, _)| l.as_deref() == Some("CER"))
        .unwrap();
    let mut cer = cer;
    cer[4] |= 0x40;
    let d = Message::decode(&cer).unwrap();
    assert_eq!(only(&d).result_code, 3008);
}

/// RFC 6733 7.1.3 DIAMETER_COMMAND_UNSUPPORTED (3001) and DIAMETER_APPLICATION_UNSUPPORTED
/// (3007): the message still decodes, to the raw form.
#[test]
fn unknown_command_and_application() {
    let mut m = ccr_i();
    m.header.command_code = 999;
    let d = decode(&m);
    assert_eq!(only(&d).result_code, 3001);
    assert!(matches!(d.message, Message::Unknown(_)));
    let mut m = ccr_i();
    m.header.application_id = 4242;
    assert_eq!(only(&decode(&m)).result_code, 3007);
}

/// RFC 6733 7.2 and 7.5: the answer to a request missing two AVPs carries Result-Code 5005,
/// no E bit, and one Failed-AVP with both examples.
#[test]
fn error_answer_for_two_missing_avps() {
    let mut m = ccr_i();
    m.avps.retain(|a| a.code != 415 && a.code != 416);
    let bytes = m.to_bytes();
    let d = Message::decode(&bytes).unwrap();
    assert_eq!(d.violations.len(), 2);
    assert_eq!(d.result_code(), 5005);
    let ans = d.error_answer(&bytes, &id()).unwrap();
    assert!(!ans.header.flags.is_error() && !ans.header.flags.is_request());
    assert_eq!(ans.header.hop_by_hop, m.header.hop_by_hop);
    assert_eq!(
        ans.find(263, 0).unwrap().data,
        m.avps[0].data,
        "Session-Id copied"
    );
    let failed = ans.find(279, 0).unwrap().grouped().unwrap();
    assert_eq!(
        failed.iter().map(|a| a.code).collect::<Vec<_>>(),
        vec![416, 415]
    );
}

/// The make-broken.py cases that need the dictionaries: the typed decoder gives what a receiver
/// answers (the structural cases are in `broken.rs`).
#[test]
fn broken_vectors_through_the_typed_decoder() {
    let expected = [
        // RFC 6733 7.1.5: Unsigned32 with 5 data bytes.
        ("broken-u32-len-13", 5014),
        // RFC 6733 7.1.3: command 999 is not defined for application 4.
        ("broken-unknown-command-999", 3001),
        // RFC 6733 7.1.5: unknown AVP 65000 with the M bit.
        ("broken-unknown-avp-M", 5001),
        // RFC 6733 7.1.5 and 7.5: Rating-Group overruns its MSCC.
        ("broken-grouped-inner-overrun", 5014),
    ];
    let broken = diameter_tests::read_vectors("broken.hex");
    for (label, code) in expected {
        let (_, bytes) = broken
            .iter()
            .find(|(l, _)| l.as_deref() == Some(label))
            .unwrap();
        // Strict: these CCRs also carry 3GPP AVPs with the M bit (5001 for 872/873), so look
        // for the case's own violation among them.
        let d = Message::decode(bytes).unwrap();
        let own = d
            .violations
            .iter()
            .find(|v| v.result_code == code && ![872, 873].contains(&v.code));
        assert!(own.is_some(), "{label}: {:#?}", d.violations);
        if label == "broken-unknown-avp-M" {
            assert_eq!(own.unwrap().code, 65000);
        }
    }
}

fn wrap_in_message(avp: &Bytes) -> Bytes {
    let mut m = RawMessage::new(diameter_runtime::Header::request(1, 0));
    let mut buf = BytesMut::from(&avp[..]);
    buf.resize(avp.len().next_multiple_of(4), 0);
    let buf = buf.freeze();
    let r = diameter_runtime::avp::AvpIter::new(&buf)
        .next()
        .unwrap()
        .unwrap();
    m.avps.push(RawAvp::from_ref(&buf, &r));
    m.to_bytes()
}
