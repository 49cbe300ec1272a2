//! Fuzz target: the generated typed decoders on arbitrary bytes.
//!
//! Decodes with `Message` (the structs) and `MessageView` (the views), strict and lenient.
//! Nothing may panic; both must give the same error or the same violations; while the AVP
//! framing is intact (no AVP-level 5014 and no 3009 from reserved bits) the view must read as
//! the struct does; and every accessor path, `to_message` included, must not panic.
#![no_main]

use diameter_messages::{Message, MessageView};
use diameter_runtime::DecodeOptions;
use libfuzzer_sys::fuzz_target;

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
                    // A valid message re-encodes from its struct without panicking.
                    let mut buf = bytes::BytesMut::new();
                    if let Ok(h) = diameter_runtime::Header::decode_unchecked(data) {
                        s.message.encode(&h, &mut buf);
                    }
                }
            }
            (Err(s), Err(v)) => assert_eq!(s, v),
            _ => panic!("struct {by_struct:?} but view {by_view:?}"),
        }
    }
});
