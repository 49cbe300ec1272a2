//! Fuzz target: the generated typed decoders on arbitrary bytes.
//!
//! Decodes with `Message` (the structs) and `MessageView` (the views), strict and lenient.
//! Nothing may panic; both must give the same error or the same violations; while the AVP
//! framing is intact (no AVP-level 5014 and no 3009 from reserved bits) the view must read as
//! the struct does; every accessor path, `to_message` included, must not panic; and a valid
//! message must re-encode alike into buffers with any room, and decode back to itself.
#![no_main]

use bytes::BytesMut;
use diameter_messages::{Message, MessageView};
use diameter_runtime::{DecodeOptions, Header};
use libfuzzer_sys::fuzz_target;

/// A valid message re-encodes from its struct without panicking: into a fresh buffer, and
/// into one holding a byte already with some room (chosen by `pick`) to the same bytes; and
/// those bytes decode to the same message.
fn re_encode(m: &Message<'_>, h: &Header, pick: usize, opts: &DecodeOptions) {
    let mut fresh = BytesMut::new();
    m.encode_with_header(h, &mut fresh);
    let room = pick % (fresh.len() + 8);
    let mut some = BytesMut::with_capacity(1 + room);
    some.extend_from_slice(&[0xee]);
    m.encode_with_header(h, &mut some);
    assert_eq!(&some[1..], &fresh[..], "room {room}");
    let again = Message::decode_with(&fresh, opts).expect("re-encoded message decodes");
    assert_eq!(&again.message, m);
}

fuzz_target!(|data: &[u8]| {
    for opts in [DecodeOptions::new(), DecodeOptions::lenient()] {
        let by_struct = Message::decode_with(data, &opts);
        let by_view = MessageView::decode_with(data, &opts);
        match (&by_struct, &by_view) {
            (Ok(s), Ok(v)) => {
                assert_eq!(v.violations, s.violations);
                assert_eq!(v.message.name(), s.message.name());
                // Views read headers tolerantly past a malformed AVP (see the runtime's `view`
                // docs): compare what was read only when nothing was malformed.
                let framing_broken = s.violations.iter().any(|x| {
                    x.result_code == 5014 || x.result_code == 3009 || x.result_code == 5012
                });
                let built = v.message.to_message();
                if !framing_broken {
                    assert_eq!(built, s.message);
                }
                if s.violations.is_empty() {
                    if let Ok(h) = diameter_runtime::Header::decode_unchecked(data) {
                        re_encode(&s.message, &h, data.len(), &opts);
                    }
                }
            }
            (Err(s), Err(v)) => assert_eq!(s, v),
            _ => panic!("struct {by_struct:?} but view {by_view:?}"),
        }
    }
});
