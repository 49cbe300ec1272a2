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
    let mut out = Vec::new();
    for (label, bytes) in diameter_tests::read_vectors("vectors.hex") {
        let label = label.expect("vectors.hex lines are labelled");
        let h = Header::decode(&bytes).expect("header");
        if [0, 3, 4].contains(&h.application_id) {
            out.push((label, bytes));
        }
    }
    out
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
        let lenient = DecodeOptions {
            strict: false,
            ..DecodeOptions::default()
        };
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
        decoded.message.encode(&header, &mut buf);
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
