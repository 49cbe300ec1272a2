//! The 13 deliberately broken messages of `tests/vectors/broken.hex` (made by `make-broken.py`
//! from the CCR-I and S6a-ULR vectors): each is rejected with the exact typed error and
//! Result-Code RFC 6733 gives, with the Failed-AVP content of section 7.5; or, where only a
//! dictionary can tell, shown to be well-formed bytes that the dictionary layer must reject.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use bytes::Bytes;
use diameter_runtime::avp::Leniency;
use diameter_runtime::error::PathElem;
use diameter_runtime::frame::{self, Frame};
use diameter_runtime::{
    AvpError, AvpErrorKind, DecodeError, DecodeOptions, RawMessage, ValueError,
};
use diameter_tests::read_vectors;

fn cases() -> BTreeMap<String, Vec<u8>> {
    let cases: BTreeMap<_, _> = read_vectors("broken.hex")
        .into_iter()
        .map(|(label, bytes)| (label.unwrap(), bytes))
        .collect();
    assert_eq!(cases.len(), 13);
    cases
}

fn case(name: &str) -> Vec<u8> {
    cases().remove(name).unwrap()
}

fn decode(bytes: &[u8]) -> Result<RawMessage<'static>, DecodeError> {
    RawMessage::decode(Bytes::copy_from_slice(bytes))
}

/// Decodes a case that must fail on one AVP, and returns that AVP error.
fn avp_error(name: &str) -> Box<AvpError> {
    match decode(&case(name)) {
        Err(DecodeError::Avp(e)) => e,
        other => panic!("{name}: expected an AVP error, got {other:?}"),
    }
}

/// The (code, flags, length[, vendor]) header RFC 6733 7.5 puts in Failed-AVP when a length is
/// unusable: the offending header with an empty payload, its length fixed to the header size.
fn header_only(code: u32, flags: u8, vendor: Option<u32>) -> Vec<u8> {
    let len: u32 = if vendor.is_some() { 12 } else { 8 };
    let mut v = code.to_be_bytes().to_vec();
    v.extend((u32::from(flags) << 24 | len).to_be_bytes());
    if let Some(vendor) = vendor {
        v.extend(vendor.to_be_bytes());
    }
    v
}

#[test]
fn all_13_cases_are_there() {
    let names: Vec<_> = cases().into_keys().collect();
    assert_eq!(
        names,
        [
            "broken-avp-len-lt-8",
            "broken-avp-len-too-long",
            "broken-avp-reserved-flags",
            "broken-cmd-reserved-flags",
            "broken-grouped-inner-overrun",
            "broken-hdr-len-too-long",
            "broken-hdr-len-too-short",
            "broken-nonzero-padding",
            "broken-u32-len-13",
            "broken-unknown-avp-M",
            "broken-unknown-command-999",
            "broken-vendor-avp-len-10",
            "broken-version-2",
        ]
    );
}

/// RFC 6733 4.1 (AVP Length) and 7.1.5 DIAMETER_INVALID_AVP_LENGTH: Origin-Host claims 200
/// bytes. They fit in the message, so nothing can tell yet; the walk then lands in the middle
/// of later AVPs, on a "header" (code 0, length 444) that overruns the 420 bytes left. That is where the error is reported: a dictionary-free decoder cannot know
/// which of the two lengths lied. Failed-AVP (7.5, length greater than the message): the header
/// with an empty payload.
#[test]
fn avp_length_too_long_is_5014() {
    let e = avp_error("broken-avp-len-too-long");
    assert_eq!(
        e.kind,
        AvpErrorKind::LengthOverrun {
            length: 444,
            available: 420
        }
    );
    assert_eq!(e.result_code(), 5014);
    assert_eq!((e.code, e.offset), (0, 264));
    assert_eq!(
        e.offset,
        64 + 200,
        "right after the 200 bytes Origin-Host claims"
    );
    assert!(e.path.is_empty());
    assert_eq!(&e.failed_avp[..], &header_only(0, 0, None)[..]);
}

/// RFC 6733 4.1 and 7.1.5 DIAMETER_INVALID_AVP_LENGTH: Origin-Host (264) with length 4, less
/// than its 8-byte header. Failed-AVP (7.5, length below the minimum header length): the
/// header, empty payload, length 8.
#[test]
fn avp_length_below_header_is_5014() {
    let e = avp_error("broken-avp-len-lt-8");
    assert_eq!(e.kind, AvpErrorKind::LengthTooSmall { length: 4 });
    assert_eq!(e.result_code(), 5014);
    assert_eq!((e.code, e.flags, e.vendor_id, e.offset), (264, 0x40, 0, 64));
    assert_eq!(&e.failed_avp[..], &header_only(264, 0x40, None)[..]);
    assert_eq!(hex::encode(&e.failed_avp), "0000010840000008");
}

/// RFC 6733 4.1 and 7.1.5 DIAMETER_INVALID_AVP_LENGTH: AVP 1407 with the V bit and length 10,
/// too short for its 12-byte header with Vendor-Id. Failed-AVP (7.5): the 12-byte header with
/// the V bit, the Vendor-Id as sent (0), empty payload.
#[test]
fn vendor_avp_shorter_than_its_header_is_5014() {
    let e = avp_error("broken-vendor-avp-len-10");
    assert_eq!(e.kind, AvpErrorKind::LengthTooSmall { length: 10 });
    assert_eq!(e.result_code(), 5014);
    assert_eq!((e.code, e.flags, e.offset), (1407, 0xc0, 296));
    assert_eq!(&e.failed_avp[..], &header_only(1407, 0xc0, Some(0))[..]);
}

/// RFC 6733 4.1 (AVP Length: header plus data, padding excluded; padding is zero) and 7.1.5
/// DIAMETER_INVALID_AVP_LENGTH: Origin-Host's 3 padding bytes are 0xff, so its length does not
/// cover the data sent. Failed-AVP (7.5): the entire AVP as received, without padding.
#[test]
fn nonzero_padding_is_5014_unless_lenient() {
    let e = avp_error("broken-nonzero-padding");
    assert_eq!(e.kind, AvpErrorKind::NonZeroPadding);
    assert_eq!(e.result_code(), 5014);
    assert_eq!((e.code, e.offset), (264, 64));
    assert_eq!(
        hex::encode(&e.failed_avp),
        format!("0000010840000019{}", hex::encode("client.test.local"))
    );
    // Lenient decoding accepts it, but the re-encode pads with zeros.
    let wire = case("broken-nonzero-padding");
    let lenient = DecodeOptions::new().with_leniency(Leniency::strict().with_nonzero_padding(true));
    let msg = RawMessage::decode_with(Bytes::from(wire.clone()), &lenient).unwrap();
    let again = msg.to_bytes();
    assert_ne!(&again[..], &wire[..]);
    assert_eq!(&again[89..92], &[0, 0, 0]);
    assert_eq!(&wire[89..92], &[0xff; 3]);
}

/// RFC 6733 4.1 (the 'r' bits) and 7.1.3 DIAMETER_INVALID_AVP_BITS: Origin-Realm (296) with
/// flags 0x5f. Failed-AVP (7.5): the entire offending AVP.
#[test]
fn reserved_avp_flags_are_3009_unless_lenient() {
    let e = avp_error("broken-avp-reserved-flags");
    assert_eq!(e.kind, AvpErrorKind::ReservedBits { flags: 0x5f });
    assert_eq!(e.result_code(), 3009);
    assert_eq!((e.code, e.flags, e.offset), (296, 0x5f, 92));
    assert_eq!(
        hex::encode(&e.failed_avp),
        format!("000001285f000012{}", hex::encode("test.local"))
    );
    let lenient = DecodeOptions::new().with_leniency(Leniency::strict().with_reserved_bits(true));
    let wire = case("broken-avp-reserved-flags");
    let msg = RawMessage::decode_with(Bytes::from(wire.clone()), &lenient).unwrap();
    assert_eq!(msg.find(296, 0).unwrap().flags.0, 0x5f);
    assert_eq!(&msg.to_bytes()[..], &wire[..], "reserved bits are kept");
}

/// RFC 6733 3 (command flags 'r' bits must be 0) and 7.1.5 DIAMETER_INVALID_BIT_IN_HEADER
/// (5013: "a reserved bit in the Diameter header is set to one"): flags 0xcf. Framing does not
/// judge flags (the message can still be answered); strict decoding does, lenient decoding
/// ignores them as section 3 tells receivers to.
#[test]
fn reserved_command_flags_are_5013() {
    let wire = case("broken-cmd-reserved-flags");
    assert_eq!(
        frame::check(&wire, &DecodeOptions::default()),
        Ok(Frame::Complete(wire.len()))
    );
    let e = decode(&wire).unwrap_err();
    assert_eq!(e, DecodeError::ReservedHeaderBits { flags: 0xcf });
    assert_eq!(e.result_code(), 5013);
    assert_eq!(e.failed_avp(), None);
    let lenient =
        RawMessage::decode_with(Bytes::from(wire.clone()), &DecodeOptions::lenient()).unwrap();
    assert_eq!(lenient.header.flags.0, 0xcf);
    assert_eq!(&lenient.to_bytes()[..], &wire[..], "reserved bits are kept");
}

/// RFC 6733 3 (Version must be 1) and 7.1.5 DIAMETER_UNSUPPORTED_VERSION: version 2. Framing
/// already refuses it: the stream cannot be trusted any more.
#[test]
fn version_2_is_5011() {
    let wire = case("broken-version-2");
    let expected = DecodeError::UnsupportedVersion { version: 2 };
    assert_eq!(
        frame::check(&wire, &DecodeOptions::default()),
        Err(expected.clone())
    );
    let e = decode(&wire).unwrap_err();
    assert_eq!(e, expected);
    assert_eq!(e.result_code(), 5011);
}

/// RFC 6733 3 (Message Length) and 7.1.5 DIAMETER_INVALID_MESSAGE_LENGTH: the header claims 724
/// bytes, 40 more than sent. On a stream that is simply a message not yet complete: framing
/// says Incomplete at every prefix, forever. Decoding exactly the bytes sent is a mismatch.
#[test]
fn header_length_too_long_waits_then_is_5015() {
    let wire = case("broken-hdr-len-too-long");
    assert_eq!(wire.len(), 684);
    let opts = DecodeOptions::default();
    for n in 0..=wire.len() {
        let expected = if n < 4 { 4 } else { 724 };
        assert_eq!(
            frame::check(&wire[..n], &opts),
            Ok(Frame::Incomplete(expected)),
            "prefix {n}"
        );
    }
    let e = decode(&wire).unwrap_err();
    assert_eq!(
        e,
        DecodeError::LengthMismatch {
            length: 724,
            available: 684
        }
    );
    assert_eq!(e.result_code(), 5015);
}

/// RFC 6733 3 (Message Length) and 7.1.5 DIAMETER_INVALID_MESSAGE_LENGTH: the header claims 676
/// bytes, 8 fewer than sent. Decoding the bytes sent is a mismatch (5015). On a stream, framing
/// takes 676 bytes, whose last AVP (Service-Information, 873/10415) then overruns the message:
/// 5014, with its header and an empty payload as Failed-AVP (7.5).
#[test]
fn header_length_too_short_is_5015_or_cuts_the_last_avp() {
    let wire = case("broken-hdr-len-too-short");
    let e = decode(&wire).unwrap_err();
    assert_eq!(
        e,
        DecodeError::LengthMismatch {
            length: 676,
            available: 684
        }
    );
    assert_eq!(e.result_code(), 5015);

    assert_eq!(
        frame::check(&wire, &DecodeOptions::default()),
        Ok(Frame::Complete(676))
    );
    let Err(DecodeError::Avp(e)) = decode(&wire[..676]) else {
        panic!("the framed message must fail on its last AVP");
    };
    assert_eq!(
        e.kind,
        AvpErrorKind::LengthOverrun {
            length: 344,
            available: 336
        }
    );
    assert_eq!(e.result_code(), 5014);
    assert_eq!((e.code, e.vendor_id, e.offset), (873, 10415, 340));
    assert_eq!(&e.failed_avp[..], &header_only(873, 0xc0, Some(10415))[..]);
}

/// RFC 4006 8.2 (CC-Request-Number is Unsigned32), RFC 6733 4.2 (Unsigned32 is 4 bytes) and
/// 7.1.5 DIAMETER_INVALID_AVP_LENGTH. AVP 415 with length 13 is well-formed bytes (5 data bytes,
/// 3 zero padding bytes): the runtime, which has no dictionary, decodes it; the value decoder
/// for its type rejects it. Failed-AVP (7.5): the entire offending AVP.
#[test]
fn unsigned32_of_5_bytes_is_5014_when_decoded_as_such() {
    let msg = decode(&case("broken-u32-len-13")).unwrap();
    let avp = msg.find(415, 0).unwrap();
    assert_eq!(avp.data.len(), 5);
    let e = avp.value::<u32>().unwrap_err();
    assert_eq!(
        e.kind,
        AvpErrorKind::Value(ValueError::Length {
            ty: "Unsigned32",
            expected: "4",
            actual: 5
        })
    );
    assert_eq!(e.result_code(), 5014);
    assert_eq!(e.code, 415);
    assert_eq!(hex::encode(&e.failed_avp), "0000019f4000000d0000000000");
}

/// RFC 6733 4.4 (Grouped data is a sequence of AVPs), 4.1 and 7.1.5
/// DIAMETER_INVALID_AVP_LENGTH: inside Multiple-Services-Credit-Control (456, Grouped per RFC
/// 4006 8.16), Rating-Group (432) claims 8 more bytes than the group holds. The message body is
/// well-formed; parsing 456 as Grouped fails with path [456]. Failed-AVP (7.5, embedded in a
/// Grouped AVP): the group holding only the offending AVP's header with an empty payload.
#[test]
fn grouped_inner_overrun_is_5014_inside_456() {
    let msg = decode(&case("broken-grouped-inner-overrun")).unwrap();
    let mscc = msg.find(456, 0).unwrap();
    let e = mscc.grouped().unwrap_err();
    assert_eq!(
        e.kind,
        AvpErrorKind::LengthOverrun {
            length: 20,
            available: 12
        }
    );
    assert_eq!(e.result_code(), 5014);
    assert_eq!(e.code, 432);
    assert_eq!(
        e.path,
        vec![PathElem {
            code: 456,
            vendor_id: 0
        }]
    );
    let mut failed = header_only(456, 0x40, None);
    failed[7] = 16;
    failed.extend(header_only(432, 0x40, None));
    assert_eq!(&e.failed_avp[..], &failed[..]);
    // The same error from a walk that knows 456 is Grouped.
    let body = &case("broken-grouped-inner-overrun")[20..];
    let w = diameter_runtime::raw::walk(
        body,
        &DecodeOptions::default(),
        &|code, _| code == 456,
        &mut |_, _| {},
    )
    .unwrap_err();
    let DecodeError::Avp(w) = w else {
        panic!("{w:?}")
    };
    assert_eq!(
        (w.kind, w.path, w.failed_avp),
        (e.kind, e.path, e.failed_avp)
    );
}

/// RFC 6733 7.1.3 DIAMETER_COMMAND_UNSUPPORTED (3001) is for the dictionary layer: command 999
/// is well-formed bytes, so the raw decode succeeds and keeps them byte-exact; the typed layer,
/// which knows no command 999, answers 3001 with the E bit.
#[test]
fn unknown_command_999_decodes_structurally() {
    let wire = case("broken-unknown-command-999");
    let msg = decode(&wire).unwrap();
    assert_eq!(msg.header.command_code, 999);
    assert_eq!(msg.header.application_id, 4);
    assert!(msg.header.flags.is_request());
    assert_eq!(&msg.to_bytes()[..], &wire[..]);
}

/// RFC 6733 4.1 (M bit) and 7.1.5 DIAMETER_AVP_UNSUPPORTED (5001) are for the dictionary layer:
/// AVP 65000 with the M bit is well-formed bytes, so the raw decode succeeds; the typed layer,
/// which does not know AVP 65000, rejects the message with 5001 and the AVP as Failed-AVP.
#[test]
fn unknown_mandatory_avp_decodes_structurally() {
    let wire = case("broken-unknown-avp-M");
    let msg = decode(&wire).unwrap();
    let avp = msg.find(65000, 0).unwrap();
    assert!(avp.flags.is_mandatory());
    assert_eq!(avp.vendor_id, None);
    assert_eq!(avp.value::<u32>().unwrap(), 1);
    assert_eq!(msg.avps.last(), Some(avp));
    assert_eq!(&msg.to_bytes()[..], &wire[..]);
}

/// RFC 6733 4.4 (a Grouped AVP's data is its AVPs, each padded) and 7.5 (Failed-AVP nests the
/// Grouped AVPs down to the offending one): an offending AVP whose length is not a multiple of
/// 4 keeps its padding inside the enclosing group, so the Failed-AVP itself parses strictly.
/// Here Session-Id (263, 1 byte of data) has non-zero padding inside a Grouped AVP 456.
#[test]
fn nested_failed_avp_keeps_the_child_padding() {
    let child = [0, 0, 1, 7, 0x40, 0, 0, 9, b'x', 1, 1, 1];
    let group = diameter_runtime::RawAvp::new(456, 0x40, None, Bytes::copy_from_slice(&child));
    let e = group.grouped().unwrap_err();
    assert_eq!(e.kind, AvpErrorKind::NonZeroPadding);
    assert_eq!(e.result_code(), 5014);
    assert_eq!(
        hex::encode(&e.failed_avp),
        "000001c840000014000001074000000978000000"
    );
    let inner = diameter_runtime::RawAvp::new(456, 0x40, None, e.failed_avp.slice(8..));
    let kids = inner.grouped().unwrap();
    assert_eq!(
        (kids.len(), kids[0].code, &kids[0].data[..]),
        (1, 263, &b"x"[..])
    );
}
