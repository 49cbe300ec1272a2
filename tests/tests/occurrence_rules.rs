//! Validation rules the ABNF cannot write, carried by the dictionaries: the occurrence tables
//! of RFC 6733 section 10 and RFC 4006 section 10 (an AVP marked `0` for a command is 5008
//! even where the grammar ends in `*[ AVP ]`), the "exactly one of" of RFC 6733 6.11 (a
//! Vendor-Specific-Application-Id with neither Auth- nor Acct-Application-Id is 5005, with
//! both 5009), and the Result-Code names of both RFCs. Each case checks the struct decoder
//! and the view, which must agree, and the Failed-AVP bytes.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use bytes::{Bytes, BytesMut};
use diameter_messages::{Message, MessageView};
use diameter_runtime::{CommandFlags, RawAvp, RawMessage, Violation};

/// AVP codes used below (RFC 6733).
const SESSION_ID: u32 = 263;
const RESULT_CODE: u32 = 268;
const VENDOR_ID: u32 = 266;
const AUTH_APPLICATION_ID: u32 = 258;
const ACCT_APPLICATION_ID: u32 = 259;
const VSAI: u32 = 260;

fn vector(label: &str) -> RawMessage<'static> {
    let (_, bytes) = diameter_tests::read_vectors("vectors.hex")
        .into_iter()
        .find(|(l, _)| l.as_deref() == Some(label))
        .unwrap_or_else(|| panic!("no vector {label}"));
    RawMessage::decode(Bytes::from(bytes)).unwrap()
}

fn u32_avp(code: u32, v: u32) -> RawAvp<'static> {
    RawAvp::from_value(code, 0x40, None, &v)
}

/// The AVP as it goes on the wire (header and data, no padding), as Failed-AVP holds it.
fn wire(a: &RawAvp<'_>) -> Vec<u8> {
    let mut buf = BytesMut::new();
    a.encode(&mut buf);
    let len = u32::from_be_bytes([0, buf[5], buf[6], buf[7]]) as usize;
    buf[..len].to_vec()
}

/// Decodes `m` as a struct and as a view; both must report the same violations.
fn violations(m: &RawMessage<'_>) -> Vec<Violation> {
    let bytes = m.to_bytes();
    let by_struct = Message::decode(&bytes).unwrap().violations;
    let by_view = MessageView::decode(&bytes).unwrap().violations;
    assert_eq!(by_struct, by_view, "the struct and the view disagree");
    by_struct
}

fn only(vs: &[Violation]) -> &Violation {
    assert_eq!(vs.len(), 1, "{vs:#?}");
    &vs[0]
}

#[test]
fn the_vectors_are_valid_to_start_with() {
    for label in ["CER", "DWR"] {
        assert!(violations(&vector(label)).is_empty(), "{label}");
    }
}

/// RFC 6733 10.1: Session-Id is `0` in CER although CER ends in `*[ AVP ]`.
#[test]
fn cer_with_session_id_is_5008_with_it_as_failed_avp() {
    let mut m = vector("CER");
    let sid = RawAvp::new(SESSION_ID, 0x40, None, Bytes::from_static(b"peer;1;2"));
    m.avps.push(sid.clone());
    let vs = violations(&m);
    let v = only(&vs);
    assert_eq!(
        (v.result_code, v.avp, v.code),
        (5008, Some("Session-Id"), SESSION_ID)
    );
    assert_eq!(v.path, vec!["Capabilities-Exchange-Request"]);
    assert_eq!(v.failed_avp.as_deref(), Some(&wire(&sid)[..]));

    // Nothing received is dropped: the struct keeps it among the other AVPs, the view too.
    let bytes = m.to_bytes();
    let Message::CapabilitiesExchangeRequest(cer) = Message::decode(&bytes).unwrap().message else {
        panic!("not a CER");
    };
    assert!(cer.other_avps.iter().any(|a| a.code == SESSION_ID));
    let MessageView::CapabilitiesExchangeRequest(view) =
        MessageView::decode(&bytes).unwrap().message
    else {
        panic!("not a CER view");
    };
    assert!(view.other_avps().any(|a| a.code == SESSION_ID));
}

/// RFC 6733 10.1: Result-Code is `0` in every request.
#[test]
fn dwr_with_result_code_is_5008() {
    let mut m = vector("DWR");
    let rc = u32_avp(RESULT_CODE, 2001);
    m.avps.push(rc.clone());
    let vs = violations(&m);
    let v = only(&vs);
    assert_eq!(
        (v.result_code, v.avp, v.code),
        (5008, Some("Result-Code"), RESULT_CODE)
    );
    assert_eq!(v.failed_avp.as_deref(), Some(&wire(&rc)[..]));
}

/// RFC 6733 7.2: an answer with the E bit follows the generic answer-message grammar, which
/// allows Error-Reporting-Host in any answer; DWA's `0` for it does not apply there.
#[test]
fn error_answers_follow_answer_message_not_the_table() {
    let mut m = vector("DWA");
    let erh = RawAvp::new(294, 0, None, Bytes::from_static(b"relay.example.net"));
    m.avps.push(erh);
    let vs = violations(&m);
    assert_eq!(only(&vs).result_code, 5008);
    m.header.flags = m.header.flags.with(CommandFlags::ERROR, true);
    m.avps.retain(|a| a.code != RESULT_CODE);
    m.avps.push(u32_avp(RESULT_CODE, 3002));
    assert!(violations(&m).is_empty(), "{:#?}", violations(&m));
}

/// RFC 4006 10.1: Service-Context-Id is `0` in CCA; Granted-Service-Unit `0` in CCR.
#[test]
fn rfc4006_table_excludes_request_avps_from_the_answer() {
    let mut m = vector("CCA-I");
    m.avps.retain(|a| a.code != 873);
    let before = violations(&m).len();
    let sci = RawAvp::new(461, 0x40, None, Bytes::from_static(b"32251@3gpp.org"));
    m.avps.push(sci.clone());
    let vs = violations(&m);
    assert_eq!(vs.len(), before + 1, "{vs:#?}");
    let v = vs.last().unwrap();
    assert_eq!((v.result_code, v.avp), (5008, Some("Service-Context-Id")));
    assert_eq!(v.failed_avp.as_deref(), Some(&wire(&sci)[..]));
}

/// A CER whose Vendor-Specific-Application-Id holds `inner`.
fn cer_with_vsai(inner: Vec<RawAvp<'static>>) -> RawMessage<'static> {
    let mut m = vector("CER");
    m.avps.retain(|a| a.code != VSAI);
    m.avps.push(RawAvp::grouped_from(VSAI, 0x40, None, &inner));
    m
}

/// RFC 6733 6.11 and 7.5: neither application id is 5005, Failed-AVP holding the group with a
/// zero-filled example of each alternative inside.
#[test]
fn vsai_with_neither_application_id_is_5005() {
    let m = cer_with_vsai(vec![u32_avp(VENDOR_ID, 10415)]);
    let vs = violations(&m);
    let v = only(&vs);
    assert_eq!(v.result_code, 5005);
    assert_eq!(
        v.path,
        vec![
            "Capabilities-Exchange-Request",
            "Vendor-Specific-Application-Id"
        ]
    );
    let example = RawAvp::grouped_from(
        VSAI,
        0x40,
        None,
        &[
            u32_avp(AUTH_APPLICATION_ID, 0),
            u32_avp(ACCT_APPLICATION_ID, 0),
        ],
    );
    assert_eq!(v.failed_avp.as_deref(), Some(&wire(&example)[..]));
}

/// RFC 6733 6.11: both application ids is 5009, Failed-AVP the second inside its group.
#[test]
fn vsai_with_both_application_ids_is_5009() {
    let m = cer_with_vsai(vec![
        u32_avp(VENDOR_ID, 10415),
        u32_avp(ACCT_APPLICATION_ID, 3),
        u32_avp(AUTH_APPLICATION_ID, 16777251),
    ]);
    let vs = violations(&m);
    let v = only(&vs);
    assert_eq!(
        (v.result_code, v.avp, v.code),
        (5009, Some("Auth-Application-Id"), AUTH_APPLICATION_ID)
    );
    let failed = RawAvp::grouped_from(VSAI, 0x40, None, &[u32_avp(AUTH_APPLICATION_ID, 16777251)]);
    assert_eq!(v.failed_avp.as_deref(), Some(&wire(&failed)[..]));

    // Exactly one of them is valid, either way.
    for id in [AUTH_APPLICATION_ID, ACCT_APPLICATION_ID] {
        let m = cer_with_vsai(vec![u32_avp(VENDOR_ID, 10415), u32_avp(id, 4)]);
        assert!(violations(&m).is_empty(), "{id}");
    }
}

/// Result-Code names come from the dictionaries: RFC 6733 7.1 and RFC 4006 9.
#[test]
fn result_code_names_cover_both_rfcs() {
    use diameter_messages::result_code_name as name;
    assert_eq!(name(1001), Some("DIAMETER_MULTI_ROUND_AUTH"));
    assert_eq!(name(2001), Some("DIAMETER_SUCCESS"));
    assert_eq!(name(3010), Some("DIAMETER_UNKNOWN_PEER"));
    assert_eq!(name(4003), Some("ELECTION_LOST"));
    assert_eq!(name(5017), Some("DIAMETER_NO_COMMON_SECURITY"));
    assert_eq!(name(4012), Some("DIAMETER_CREDIT_LIMIT_REACHED"));
    assert_eq!(name(5031), Some("DIAMETER_RATING_FAILED"));
    assert_eq!(name(9999), None);
    let named = (1000..6000).filter(|&c| name(c).is_some()).count();
    // 1 + 2 + 10 + 3 + 17 from RFC 6733, 3 + 2 from RFC 4006.
    assert_eq!(named, 38);
    // Codes the runtime answers with have their RFC names.
    use diameter_runtime::consts::result_code as rc;
    assert_eq!(name(rc::AVP_NOT_ALLOWED), Some("DIAMETER_AVP_NOT_ALLOWED"));
    assert_eq!(
        name(rc::UNABLE_TO_COMPLY),
        Some("DIAMETER_UNABLE_TO_COMPLY")
    );
}
