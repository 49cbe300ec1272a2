//! Every command of the base, accounting and credit-control applications, built with the typed
//! API and encoded by it, must decode cleanly in Wireshark (`shared/oracles/tshark-decode.py`:
//! no malformed packet, no expert warning, no unknown AVP or command).
//!
//! Skipped when tshark or the oracle scripts are missing, unless `DIAMETER_REQUIRE_ORACLES=1`
//! (set by `.ci/run`), which turns a missing oracle into a failure.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use diameter_tests::{oracle, samples};

#[test]
fn typed_messages_decode_cleanly_in_wireshark() {
    let msgs = samples::messages();
    assert_eq!(msgs.len(), 18, "9 commands, request and answer");
    // Our own decoder first: every message is valid and round-trips.
    for (label, bytes) in &msgs {
        let d = diameter_messages::Message::decode(bytes).unwrap();
        assert!(d.violations.is_empty(), "{label}: {:#?}", d.violations);
    }
    let Some(dir) = oracle::require("tshark", oracle::runs("tshark", &["--version"])) else {
        return;
    };
    let out = oracle::run_on_hex(&dir, "tshark-decode.py", &[], &msgs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tshark flagged our encoding:\n{stdout}\n{stderr}"
    );
    // The oracle printed a tree for each message: make sure it saw all of them.
    for (label, _) in &msgs {
        assert!(
            stdout.contains(label.as_str()),
            "{label} missing from tshark output:\n{stdout}"
        );
    }
}
