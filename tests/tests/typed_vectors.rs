//! Every python-diameter vector of the base, accounting and credit-control applications decodes
//! to its typed message with no violation and re-encodes from the typed form to identical bytes.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use bytes::BytesMut;
use diameter_messages::Message;
use diameter_runtime::{DecodeOptions, Header};

/// AVPs of 3GPP TS 32.299 with the M bit that these vectors carry (Service-Information 873,
/// 3GPP-Reporting-Reason 872): unknown to RFC 6733/4006, so a strict receiver answers 5001
/// (RFC 6733 7.1.5), as Erlang/OTP's strict mode does; a lenient one keeps them raw.
const TS32299_M_AVPS: [u32; 2] = [872, 873];

/// The vectors of applications 0, 3 and 4 (the S6a and Sh ones belong to later dictionaries).
fn base_and_cc_vectors() -> Vec<(String, Vec<u8>)> {
    diameter_tests::vectors_of(&[0, 3, 4])
}

#[test]
fn typed_decode_is_valid_and_reencodes_byte_exactly() {
    let vectors = base_and_cc_vectors();
    assert_eq!(
        vectors.len(),
        24,
        "CER..STA: the 24 messages of applications 0, 3 and 4"
    );
    let mut failures = Vec::new();
    for (label, bytes) in &vectors {
        let header = Header::decode(bytes).unwrap();
        let strict = Message::decode(bytes).unwrap();
        for v in &strict.violations {
            if v.result_code != 5001 || !TS32299_M_AVPS.contains(&v.code) {
                failures.push(format!("{label} (strict): {v}"));
            }
        }
        let lenient = DecodeOptions::new().with_strict(false);
        let decoded = Message::decode_with(bytes, &lenient).unwrap();
        if matches!(decoded.message, Message::Unknown(_)) {
            failures.push(format!("{label}: not decoded as a known command"));
            continue;
        }
        if !decoded.violations.is_empty() {
            let v: Vec<String> = decoded.violations.iter().map(ToString::to_string).collect();
            failures.push(format!("{label}: {}", v.join("; ")));
        }
        let mut buf = BytesMut::new();
        decoded.message.encode_with_header(&header, &mut buf);
        if buf[..] != bytes[..] {
            failures.push(format!(
                "{label}: re-encoding differs\n  in  {}\n  out {}",
                hex::encode(bytes),
                hex::encode(&buf)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An AVP kept raw under `*[ AVP ]` with the V bit and a Vendor-Id of 0 (legal on the wire,
/// if odd) re-encodes as received: a 12-byte header, V bit set. Found by the `typed_decode`
/// fuzz target: the encoder measured 12 header bytes and wrote 8.
#[test]
fn kept_avp_with_vendor_id_zero_reencodes_unchanged() {
    use diameter_messages::credit_control::CreditControlRequest;
    use diameter_runtime::{Command, RawAvp, RawMessage};

    let ccr = diameter_tests::read_vectors("ccr-reference.hex")
        .into_iter()
        .next()
        .unwrap()
        .1;
    let mut raw = RawMessage::decode(ccr.into()).unwrap();
    raw.avps.push(RawAvp::new(
        9999,
        0,
        Some(0),
        bytes::Bytes::from_static(&[1, 2, 3]),
    ));
    let wire = raw.to_bytes();
    assert_eq!(
        &wire[wire.len() - 16..wire.len() - 8],
        &[0, 0, 0x27, 0x0f, 0x80, 0, 0, 15]
    );

    let d = CreditControlRequest::decode(&wire).unwrap();
    assert!(d.is_valid(), "{:?}", d.violations);
    assert_eq!(d.message.other_avps.len(), 1);
    assert_eq!(d.message.other_avps[0].vendor_id, Some(0));
    let header = Header::decode(&wire).unwrap();
    let again = d.message.to_bytes(header.hop_by_hop, header.end_to_end);
    assert_eq!(&again[..], &wire[..]);
}

/// A message the 24-bit Message-Length cannot describe is refused with a panic (the encoder's
/// documented contract), never written with a wrong length, and the buffer is left as it was:
/// whether the message is counted first (no room) or written in one pass (room enough).
#[test]
fn typed_encode_of_a_message_over_16_mib_panics_rather_than_lie() {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use bytes::BytesMut;
    use diameter_messages::credit_control::CreditControlRequest;
    use diameter_runtime::types::IntoOwned;
    use diameter_runtime::{Command, RawAvp};

    let ccr = diameter_tests::read_vectors("ccr-reference.hex")
        .into_iter()
        .next()
        .unwrap()
        .1;
    let mut m = CreditControlRequest::decode(&ccr)
        .unwrap()
        .message
        .into_owned();
    m.other_avps
        .push(RawAvp::new(9999, 0, None, vec![0u8; 1 << 24]));
    for room in [0, 17 << 20] {
        let mut buf = BytesMut::with_capacity(4 + room);
        buf.extend_from_slice(b"kept");
        let panic = catch_unwind(AssertUnwindSafe(|| m.encode(1, 1, &mut buf))).unwrap_err();
        let text = panic.downcast_ref::<String>().unwrap();
        assert!(
            text.contains("longer than a 24-bit length allows (16777215)"),
            "{text}"
        );
        assert_eq!(&buf[..], b"kept", "room {room}");
    }
}
