//! What strict decoding rejects and what it only notes (ARCHITECTURE.md, "Strictness"), the
//! Failed-AVP copies an answer carries, and the bound on violations kept per message. Each
//! case is decoded as the struct and as the view, which must agree.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use bytes::Bytes;
use diameter_messages::credit_control::{CreditControlRequest, CreditControlRequestView};
use diameter_messages::Message;
use diameter_runtime::answer::Identity;
use diameter_runtime::types::DiameterIdentity;
use diameter_runtime::{
    Command, CommandView, DecodeOptions, Decoded, NoteKind, RawAvp, RawMessage,
};

const VENDOR_3GPP: u32 = 10415;

fn vector(label: &str) -> RawMessage<'static> {
    let (_, bytes) = diameter_tests::read_vectors("vectors.hex")
        .into_iter()
        .find(|(l, _)| l.as_deref() == Some(label))
        .unwrap();
    let mut m = RawMessage::decode(Bytes::from(bytes)).unwrap();
    // The 3GPP Service-Information (873, M bit) is unknown to these dictionaries.
    m.avps.retain(|a| a.code != 873);
    m
}

/// Decodes a CCR as the struct and as the view with `opts`, checks they agree, returns the
/// struct's result.
fn ccr(bytes: &[u8], opts: &DecodeOptions) -> Decoded<CreditControlRequest<'static>> {
    let s = CreditControlRequest::decode_with(bytes, opts).unwrap();
    let v = CreditControlRequestView::decode_with(bytes, opts).unwrap();
    assert_eq!(s.violations, v.violations);
    assert_eq!((&s.notes, s.dropped), (&v.notes, v.dropped));
    s.into_owned()
}

fn id() -> Identity {
    Identity {
        origin_host: DiameterIdentity::from_static("ocs.test.local"),
        origin_realm: DiameterIdentity::from_static("test.local"),
    }
}

/// Deployed charging clients send CCR-I/U/T with the P bit clear and their OCS answers 2001:
/// the bit only forbids proxying the request, so its destination processes it (a note). Only
/// a pedantic receiver answers 3008.
#[test]
fn p_bit_clear_on_a_proxiable_request_is_a_note() {
    for label in ["CCR-I", "CCR-U", "CCR-T"] {
        let mut m = vector(label);
        m.header.flags.0 &= !0x40;
        let bytes = m.to_bytes();
        let d = ccr(&bytes, &DecodeOptions::lenient());
        assert!(d.violations.is_empty(), "{label}");
        assert!(d.notes.iter().all(|n| n.kind == NoteKind::UnknownMandatory));
        // The CCR-U and CCR-T vectors carry 3GPP AVPs with the M bit inside their MSCCs,
        // unknown to these dictionaries (5001): the P bit adds nothing to that.
        let d = ccr(&bytes, &DecodeOptions::default());
        assert!(
            d.violations.iter().all(|v| v.result_code == 5001),
            "{label}"
        );
        assert_eq!(d.notes.len(), 1, "{label}");
        assert_eq!(d.notes[0].kind, NoteKind::NotProxiable);
        if label == "CCR-I" {
            assert!(d.is_valid());
        }

        // Pedantic: 3008, which as a protocol error decides over any 5001.
        let d = ccr(&bytes, &DecodeOptions::pedantic());
        assert_eq!(d.result_code(), 3008, "{label}");
        let ans = d.error_answer(&bytes, &id()).unwrap();
        assert!(ans.header.flags.is_error());
    }
}

/// A P bit set on a command that is not proxiable still asks agents to route it: 3008 (the
/// CER case of `validation.rs`), here in every strict mode and for the view too.
#[test]
fn p_bit_set_on_a_command_that_is_not_proxiable_stays_3008() {
    let mut cer = vector("CER").to_bytes().to_vec();
    cer[4] |= 0x40;
    for opts in [DecodeOptions::default(), DecodeOptions::pedantic()] {
        let d = Message::decode_with(&cer, &opts).unwrap();
        assert_eq!(d.result_code(), 3008);
        assert!(d.notes.is_empty());
    }
}

/// A deployed PGW sends Origin-Host, Origin-Realm and Destination-Host with the M bit clear
/// (its OCS answered 2001). The receiver knows them: the M bit would only ask it to. Notes;
/// 3009 when pedantic, one per AVP, all in the answer's Failed-AVP.
#[test]
fn m_bit_clear_on_known_avps_is_a_note() {
    let mut m = vector("CCR-I");
    let host = Bytes::from_static(b"ocs.test.local");
    m.avps.push(RawAvp::new(293, 0x40, None, host));
    for a in &mut m.avps {
        if [264, 296, 293].contains(&a.code) {
            a.flags.0 &= !0x40;
        }
    }
    let bytes = m.to_bytes();
    let d = ccr(&bytes, &DecodeOptions::default());
    assert!(d.is_valid(), "{:?}", d.violations);
    let noted: Vec<_> = d.notes.iter().map(|n| (n.kind, n.avp.unwrap())).collect();
    assert_eq!(
        noted,
        [
            (NoteKind::FlagBits, "Origin-Host"),
            (NoteKind::FlagBits, "Origin-Realm"),
            (NoteKind::FlagBits, "Destination-Host"),
        ]
    );

    let d = ccr(&bytes, &DecodeOptions::pedantic());
    assert_eq!(d.violations.len(), 3);
    assert_eq!(d.result_code(), 3009);
    let ans = d.error_answer(&bytes, &id()).unwrap();
    let failed = ans.find(279, 0).unwrap().grouped().unwrap();
    assert_eq!(
        failed.iter().map(|a| a.code).collect::<Vec<_>>(),
        [264, 296, 293]
    );

    // Lenient decoding does not look at the bits at all.
    assert!(ccr(&bytes, &DecodeOptions::lenient()).notes.is_empty());
}

/// An M bit set where the dictionary says must-not (Error-Message in a CEA, RFC 6733 7.3): the
/// receiver understands the AVP, so setting M asks nothing it cannot do. A note; 3009 when
/// pedantic.
#[test]
fn m_bit_set_against_must_not_is_a_note() {
    let mut m = vector("CEA");
    m.avps
        .push(RawAvp::new(281, 0x40, None, Bytes::from_static(b"busy")));
    let bytes = m.to_bytes();
    let d = Message::decode(&bytes).unwrap();
    assert!(d.is_valid(), "{:?}", d.violations);
    assert_eq!(d.notes.len(), 1);
    assert_eq!(d.notes[0].avp, Some("Error-Message"));
    let d = Message::decode_with(&bytes, &DecodeOptions::pedantic()).unwrap();
    assert_eq!(d.result_code(), 3009);
}

/// RFC 6733 7.5: the AVPs in Failed-AVP are copies of what failed at the peer. A CEA reporting
/// that the peer did not know a vendor AVP with the M bit carries that AVP, M bit and all: the
/// answer is valid, and its Result-Code is what the application reads.
#[test]
fn failed_avp_copies_are_reported_as_received() {
    let unknown = RawAvp::new(
        65001,
        0x40,
        Some(VENDOR_3GPP),
        Bytes::from_static(&[1, 2, 3, 4]),
    );
    let mut m = vector("CEA");
    for a in &mut m.avps {
        if a.code == 268 {
            *a = RawAvp::from_value(268, 0x40, None, &5001u32);
        }
    }
    let failed = RawAvp::grouped_from(279, 0x40, None, std::slice::from_ref(&unknown));
    m.avps.push(failed);
    let bytes = m.to_bytes();
    for opts in [DecodeOptions::default(), DecodeOptions::pedantic()] {
        let d = Message::decode_with(&bytes, &opts).unwrap();
        assert!(d.is_valid(), "{:?}", d.violations);
        assert!(d.notes.is_empty(), "{:?}", d.notes);
        assert_eq!(d.result_code(), 2001, "the decode's verdict");
        let Message::CapabilitiesExchangeAnswer(cea) = &d.message else {
            panic!("{:?}", d.message)
        };
        assert_eq!(cea.result_code, 5001, "the answer's own Result-Code");
        let copies = &cea.failed_avp.as_ref().unwrap().other_avps;
        assert_eq!(copies, std::slice::from_ref(&unknown));
        let v = diameter_messages::MessageView::decode_with(&bytes, &opts).unwrap();
        assert_eq!((v.violations, v.notes), (d.violations, d.notes));
    }
    // The same AVP outside Failed-AVP is the receiver's own problem: 5001.
    let mut m = vector("CEA");
    m.avps.push(unknown);
    assert_eq!(Message::decode(&m.to_bytes()).unwrap().result_code(), 5001);
}

/// A CCR-I carrying `n` unknown AVPs with the M bit, then `tail`.
fn hostile(n: u32, tail: Option<RawAvp<'static>>) -> Bytes {
    let mut m = vector("CCR-I");
    for i in 0..n {
        m.avps.push(RawAvp::new(
            70000 + i,
            0x40,
            None,
            Bytes::from_static(&[0; 4]),
        ));
    }
    m.avps.extend(tail);
    m.to_bytes()
}

/// 4,000 unknown M-bit AVPs: the first 32 violations are kept (each with its Failed-AVP), the
/// rest counted; the Result-Code is 5001 either way, and the answer carries the 32.
#[test]
fn violations_past_the_bound_are_counted_not_kept() {
    let bytes = hostile(4000, None);
    let d = ccr(&bytes, &DecodeOptions::default());
    assert_eq!(d.violations.len(), 32);
    assert_eq!(d.dropped, 4000 - 32);
    assert!(!d.is_valid());
    assert_eq!(d.result_code(), 5001);
    let ans = d.error_answer(&bytes, &id()).unwrap();
    assert_eq!(ans.find(279, 0).unwrap().grouped().unwrap().len(), 32);

    let few = DecodeOptions::default().with_max_violations(3);
    let d = ccr(&bytes, &few);
    assert_eq!((d.violations.len(), d.dropped), (3, 3997));
}

/// A protocol error found after the bound still decides the answer: 3xxx wins over 5xxx
/// (RFC 6733 7.1), so the first one is kept however many violations came before it.
#[test]
fn a_protocol_error_past_the_bound_still_decides() {
    // Reserved flag bits: 3009, and the walk of the body stops there.
    let reserved = RawAvp::new(1, 0x5f, None, Bytes::from_static(&[0; 4]));
    let bytes = hostile(100, Some(reserved));
    let d = ccr(&bytes, &DecodeOptions::default());
    assert_eq!(d.violations.len(), 33);
    assert_eq!(d.dropped, 100 - 32);
    assert_eq!(d.result_code(), 3009);
    let ans = d.error_answer(&bytes, &id()).unwrap();
    assert!(ans.header.flags.is_error());
    assert_eq!(ans.find(268, 0).unwrap().value::<u32>().unwrap(), 3009);
}
