//! Fuzz target: the dictionary-free decoder on arbitrary bytes.
//!
//! Runs framing, header and message decoding (strict and lenient), then for every AVP the
//! Grouped parse and every value type's decoder, and `raw::walk` treating every AVP as possibly
//! Grouped. Nothing may panic, and what decodes strictly must re-encode to the same bytes.
#![no_main]

use bytes::{Bytes, BytesMut};
use diameter_runtime::avp::Leniency;
use diameter_runtime::frame::{self, Frame};
use diameter_runtime::header::Header;
use diameter_runtime::raw::walk;
use diameter_runtime::types::{
    Address, AvpValue, DiameterIdentity, DiameterUri, IpFilterRule, OctetString, QosFilterRule,
    Time, Utf8String,
};
use diameter_runtime::{AvpErrorKind, DecodeError, DecodeOptions, RawAvp, RawMessage};
use libfuzzer_sys::fuzz_target;

/// Every RFC 6733 value type the runtime has (Enumerated is `i32`).
fn decode_all_types(data: &[u8]) {
    let _ = <Bytes as AvpValue>::decode(data);
    let _ = OctetString::decode(data);
    let _ = i32::decode(data);
    let _ = i64::decode(data);
    let _ = u32::decode(data);
    let _ = u64::decode(data);
    let _ = f32::decode(data);
    let _ = f64::decode(data);
    let _ = Address::decode(data);
    let _ = Time::decode(data);
    let _ = Utf8String::decode(data);
    let _ = DiameterIdentity::decode(data);
    let _ = DiameterUri::decode(data);
    let _ = IpFilterRule::decode(data);
    let _ = QosFilterRule::decode(data);
    // Whatever decodes must encode back to the same data (all these types keep their bytes).
    if let Ok(v) = Address::decode(data) {
        round_trips(&v, data);
    }
    if let Ok(v) = DiameterUri::decode(data) {
        round_trips(&v, data);
    }
    if let Ok(v) = Utf8String::decode(data) {
        round_trips(&v, data);
    }
    if let Ok(v) = DiameterIdentity::decode(data) {
        round_trips(&v, data);
        let _ = v.to_string();
    }
}

fn round_trips<'a, T: AvpValue<'a>>(v: &T, data: &[u8]) {
    let mut buf = BytesMut::new();
    v.encode(&mut buf);
    assert_eq!(buf.len(), v.encoded_len());
    assert_eq!(&buf[..], &data[..]);
}

/// Parses `avp` as Grouped (recursively, to a bounded depth) and decodes every value type.
fn each_avp(avp: &RawAvp<'_>, depth: u32) {
    decode_all_types(&avp.data);
    let _ = avp
        .value::<u32>()
        .map_err(|e| (e.result_code(), e.to_string()));
    let wire = avp.wire();
    assert_eq!(wire.len(), avp.header().length as usize);
    match avp.grouped() {
        Ok(children) => {
            // A strict Grouped parse covers the data exactly: the children re-encode to it.
            let mut buf = BytesMut::new();
            for c in &children {
                c.encode(&mut buf);
            }
            assert_eq!(&buf[..], &avp.data[..]);
            if depth < 8 {
                for c in &children {
                    each_avp(c, depth + 1);
                }
            }
        }
        Err(e) => {
            let _ = (e.result_code(), e.to_string());
            assert!(e.failed_avp.len() >= 8);
            // A malformed child is reported inside this AVP (the limits are not reached here).
            if !matches!(e.kind, AvpErrorKind::Value(_)) {
                assert_eq!(e.path.first().map(|p| p.code), Some(avp.code));
            }
        }
    }
}

fn on_error(e: &DecodeError) {
    let rc = e.result_code();
    assert!(
        [3008, 3009, 5004, 5011, 5012, 5013, 5014, 5015].contains(&rc),
        "unexpected Result-Code {rc} for {e:?}"
    );
    let _ = e.to_string();
    if let Some(f) = e.failed_avp() {
        assert!(f.len() >= 8, "Failed-AVP shorter than an AVP header");
    }
}

fuzz_target!(|data: &[u8]| {
    let strict = DecodeOptions::default();
    let lenient = DecodeOptions::new().with_leniency(
        Leniency::strict()
            .with_reserved_bits(true)
            .with_nonzero_padding(true),
    );
    let _ = Header::decode(data);
    let _ = frame::peek_header(data);
    match frame::check(data, &strict) {
        Ok(Frame::Complete(n)) => assert!(n >= 20 && n <= data.len() && n % 4 == 0),
        Ok(Frame::Incomplete(n)) => assert!(n > data.len()),
        Err(e) => on_error(&e),
    }
    let bytes = Bytes::copy_from_slice(data);
    match RawMessage::decode_with(bytes.clone(), &strict) {
        Ok(msg) => {
            // Strictly well-formed: the re-encode is byte-exact.
            assert_eq!(msg.encoded_len(), data.len());
            assert_eq!(&msg.to_bytes()[..], data);
            for a in &msg.avps {
                each_avp(a, 1);
            }
            let flat = walk(&data[20..], &strict, &|_, _| false, &mut |_, _| {});
            assert_eq!(flat.ok(), Some(msg.avps.len()));
        }
        Err(e) => on_error(&e),
    }
    if let Ok(msg) = RawMessage::decode_with(bytes, &lenient) {
        for a in &msg.avps {
            decode_all_types(&a.data);
            let _ = a.grouped();
        }
    }
    // Walk every AVP as possibly Grouped, from the body (or the whole input if shorter).
    let body = data.get(20..).unwrap_or(data);
    for opts in [&strict, &lenient] {
        let mut visited = 0usize;
        match walk(body, opts, &|_, _| true, &mut |depth, a| {
            assert!(depth >= 1 && depth <= opts.max_depth);
            assert_eq!(a.wire.len(), a.header.length as usize);
            visited += 1;
        }) {
            Ok(n) => assert_eq!(n, visited),
            Err(e) => on_error(&e),
        }
        let code_is_odd = |code: u32, _| code % 2 == 1;
        if let Err(e) = walk(body, opts, &code_is_odd, &mut |_, _| {}) {
            on_error(&e);
        }
    }
});
