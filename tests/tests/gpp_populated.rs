//! Every command of the generated applications (TS 29.272 S6a/S6d and S13, TS 29.329 Sh,
//! TS 32.299 Rf and Ro under the `3gpp` profile, TS 29.219 Sy, and the base, accounting,
//! NASREQ and RFC 4006 ones), request and answer, fully populated: every optional AVP
//! present, repeated ones twice, every grouped AVP expanded to its deepest level (see
//! `populate/mod.rs` for the exact rules and why the messages are built from the dictionary
//! model rather than through hand-written typed code).
//!
//! Each message must
//! - decode typed (`Message::decode_profile`, struct and view) with no violation and no note,
//!   every AVP landing in a typed field (only wildcard `N*[ AVP ]` contents are kept raw);
//! - re-encode from the struct to the very same bytes, and decode again to an equal struct;
//! - as the typed API encodes it, pass Wireshark (`shared/oracles/tshark-decode.py
//!   --no-default-allow`: no malformed packet, no expert info at warning or above, not even
//!   "Data is empty"), but for the exceptions listed below, each with the clause of the
//!   specification that shows why;
//! - be decoded by python-diameter and re-encoded by it to the same bytes
//!   (`shared/oracles/pydiameter-roundtrip.py`).
//!
//! All messages go to each oracle in one call (one pcap), so the test takes about a second.
//! Skipped when tshark or python-diameter is missing, unless `DIAMETER_REQUIRE_ORACLES=1`.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod populate;

use std::collections::{BTreeMap, BTreeSet};

use bytes::BytesMut;
use diameter_messages::{Message, MessageView};
use diameter_runtime::{DecodeOptions, Header};
use diameter_tests::oracle;

/// Where Wireshark 4.0 disagrees with the specification about an AVP we send, by the AVP as
/// tshark prints it and the problem it reports. Each must still be reported (no stale rows).
/// AVPs Wireshark's dictionary lacks altogether are the `MISSING` rows of
/// `dictionaries/wireshark-differences.md`, read from that file.
const TSHARK_EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "Framed-IPX-Network(23)",
    "Trailing stray characters",
    "RFC 7155 4.4.10.6.1 types Framed-IPX-Network Unsigned32; Wireshark keeps RFC 4005's \
     UTF8String and prints the four octets of the number as a string",
)];

/// How many commands (request and answer each) every application and profile has.
const COMMANDS: &[(&str, usize)] = &[
    ("accounting", 1),
    ("base", 6),
    ("credit_control", 2),
    ("nasreq", 5),
    ("rf", 1),
    ("ro", 3),
    ("s13", 1),
    ("s6a", 8),
    ("sh", 4),
    ("sy", 3),
];

fn built() -> (Vec<populate::Built>, BTreeSet<diameter_codegen::AvpKey>) {
    let model = populate::model();
    let (msgs, exercised) = populate::all_messages(&model);
    let mut per_module: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &msgs {
        let module = m.label.split('/').next().unwrap();
        *per_module.entry(module).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = COMMANDS.iter().map(|&(m, n)| (m, 2 * n)).collect();
    assert_eq!(per_module, expected, "messages per module");
    (msgs, exercised)
}

/// What the oracles get: each message as the typed API encodes it (decoded into its struct,
/// encoded back), which the typed test shows to be the built bytes.
fn lines(msgs: &[populate::Built]) -> Vec<(String, Vec<u8>)> {
    let opts = DecodeOptions::default();
    msgs.iter()
        .map(|m| {
            let d = Message::decode_profile(&m.bytes, &opts, m.profile).unwrap();
            let mut buf = BytesMut::new();
            d.message
                .encode_with_header(&Header::decode(&m.bytes).unwrap(), &mut buf);
            (m.label.clone(), buf.to_vec())
        })
        .collect()
}

/// The typed checks of one message; problems are pushed to `failures`.
fn check_typed(m: &populate::Built, failures: &mut Vec<String>) {
    let opts = DecodeOptions::default();
    let label = &m.label;
    let d = Message::decode_profile(&m.bytes, &opts, m.profile).unwrap();
    if matches!(d.message, Message::Unknown(_)) {
        failures.push(format!("{label}: not a known command"));
        return;
    }
    // A profile's command decodes into the profile's own type (`RfAccountingRequest`).
    let debug = format!("{:?}", d.message);
    let variant = debug.split('(').next().unwrap_or_default();
    if m.profile.is_some() != (variant.starts_with("Rf") || variant.starts_with("Ro")) {
        failures.push(format!("{label}: decoded as {variant}"));
    }
    if !d.violations.is_empty() || !d.notes.is_empty() {
        let v: Vec<String> = d.violations.iter().map(ToString::to_string).collect();
        failures.push(format!("{label}: {v:?} notes {:?}", d.notes));
    }
    // Every AVP the grammar names is typed: only wildcard lists hold raw AVPs.
    let raw_lists = debug.matches("other_avps: [RawAvp").count();
    if raw_lists != m.wildcard_lists {
        failures.push(format!(
            "{label}: {raw_lists} lists of raw AVPs, {} expected",
            m.wildcard_lists
        ));
    }
    let header = Header::decode(&m.bytes).unwrap();
    let mut buf = BytesMut::new();
    d.message.encode_with_header(&header, &mut buf);
    if buf[..] != m.bytes[..] {
        let at = buf.iter().zip(&m.bytes).position(|(a, b)| a != b);
        failures.push(format!(
            "{label}: typed re-encode differs ({} vs {} bytes, first at {at:?})",
            buf.len(),
            m.bytes.len()
        ));
    }
    let again = Message::decode_profile(&buf, &opts, m.profile).unwrap();
    if again.message != d.message {
        failures.push(format!("{label}: the struct differs after a round trip"));
    }
    let view = MessageView::decode_profile(&m.bytes, &opts, m.profile).unwrap();
    if !view.violations.is_empty() {
        failures.push(format!("{label}: view: {:?}", view.violations));
    }
    if view.message.to_message() != d.message {
        failures.push(format!("{label}: the view's struct differs"));
    }
}

#[test]
fn every_command_fully_populated_decodes_typed_and_reencodes_the_same_bytes() {
    let (msgs, exercised) = built();
    let mut failures = Vec::new();
    for m in &msgs {
        check_typed(m, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every AVP the grammars reach was written at least once (Failed-AVP's wildcard adds
    // Origin-Host, which is reachable anyway).
    let reachable = populate::reachable(&populate::model());
    let never: Vec<_> = reachable.difference(&exercised).collect();
    assert!(never.is_empty(), "never written: {never:?}");
    assert!(exercised.is_subset(&reachable));
    let grouped = msgs.iter().map(|m| m.bytes.len()).max().unwrap();
    println!(
        "{} messages ({} commands), {} distinct AVPs exercised, largest message {grouped} bytes",
        msgs.len(),
        msgs.len() / 2,
        exercised.len()
    );
}

/// `vendor:code` of every AVP `dictionaries/wireshark-differences.md` lists as `MISSING` from
/// Wireshark's dictionary.
fn missing_from_wireshark() -> BTreeSet<(u32, u32)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dictionaries/wireshark-differences.md");
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').collect();
        if cells.len() < 4 || cells[2].trim() != "MISSING" {
            continue;
        }
        for quoted in cells[1].split('`').skip(1).step_by(2) {
            if let Some((v, c)) = quoted.split_once(':') {
                out.insert((v.parse().unwrap(), c.parse().unwrap()));
            }
        }
    }
    assert!(!out.is_empty(), "no MISSING row found");
    out
}

/// The (vendor, code) of an "unknown AVP" problem of tshark-decode.py, if it is one.
fn unknown_avp(problem: &str) -> Option<(u32, u32)> {
    let rest = &problem[problem.find("nknown AVP ")? + "nknown AVP ".len()..];
    let rest = rest.strip_prefix("code=").unwrap_or(rest);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let code = digits.parse().ok()?;
    let vendor = if rest.contains("vendor=3GPP") || rest.contains("vendor=10415") {
        10415
    } else {
        0
    };
    Some((vendor, code))
}

#[test]
fn every_command_fully_populated_is_clean_in_wireshark() {
    let Some(dir) = oracle::require("tshark", oracle::runs("tshark", &["--version"])) else {
        return;
    };
    let (msgs, _) = built();
    let out = oracle::run_on_hex(
        &dir,
        "tshark-decode.py",
        &["-q", "--no-default-allow", "--format", "json"],
        &lines(&msgs),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "tshark-decode.py: {e}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), msgs.len(), "one result per message");
    let missing = missing_from_wireshark();
    let mut used = vec![0usize; TSHARK_EXCEPTIONS.len()];
    let mut unknown_listed = BTreeSet::new();
    let mut failures = Vec::new();
    for (r, m) in results.iter().zip(&msgs) {
        assert_eq!(r["label"], m.label.as_str());
        for p in r["problems"].as_array().unwrap() {
            let p = p.as_str().unwrap();
            if let Some(key) = unknown_avp(p).filter(|k| missing.contains(k)) {
                unknown_listed.insert(key);
                continue;
            }
            match TSHARK_EXCEPTIONS
                .iter()
                .position(|(avp, problem, _)| p.contains(avp) && p.contains(problem))
            {
                Some(i) => used[i] += 1,
                None => failures.push(format!("{}: {p}", m.label)),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for ((avp, problem, reason), n) in TSHARK_EXCEPTIONS.iter().zip(&used) {
        assert!(*n > 0, "stale exception {avp} {problem}: {reason}");
        println!("tshark exception, {n} times: {avp} {problem}: {reason}");
    }
    println!(
        "tshark: {} messages clean but for {} AVPs Wireshark 4.0 does not know \
         (MISSING rows of wireshark-differences.md): {unknown_listed:?}",
        msgs.len(),
        unknown_listed.len()
    );
}

#[test]
fn every_command_fully_populated_round_trips_in_python_diameter() {
    let available = oracle::runs("python3", &["-c", "import diameter.message"]);
    let Some(dir) = oracle::require("python-diameter", available) else {
        return;
    };
    let (msgs, _) = built();
    let out = oracle::run_on_hex(&dir, "pydiameter-roundtrip.py", &["--json"], &lines(&msgs));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python-diameter failed on our messages:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), msgs.len(), "one result per message");
    let mut failures = Vec::new();
    let mut typed = TypedNotes::default();
    for (r, m) in results.iter().zip(&msgs) {
        assert_eq!(r["label"], m.label.as_str());
        if r["wire_roundtrip"] != "identical" {
            failures.push(format!("{}: {}", m.label, r["problems"]));
        }
        if r["class"] == "UndefinedMessage" {
            failures.push(format!(
                "{}: python-diameter knows no such command",
                m.label
            ));
        }
        // Every AVP value python-diameter knows the type of decodes with that type.
        let tree = r["avps"].to_string();
        if tree.contains("decode_error") {
            failures.push(format!(
                "{}: a value python-diameter cannot decode",
                m.label
            ));
        }
        typed_notes(r, &mut typed);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    typed.report();
}

/// What python-diameter's own typed model changes when it re-encodes a message from its
/// classes (`typed_notes` of pydiameter-roundtrip.py; informational there). Each note is
/// classified; a note of another shape fails the test.
#[derive(Default)]
struct TypedNotes {
    /// M bit set or cleared against a `must`/`must not` rule of the dictionary, by AVP, with
    /// the clause that states the rule.
    against_spec: BTreeMap<(u32, u32), String>,
    /// M bit changed where the dictionary says `may` or `should not`.
    allowed: BTreeSet<(u32, u32)>,
    /// AVPs python-diameter's class for the command drops, adds or rewrites (its attribute
    /// model lacks them or fills defaults), and messages whose AVP order it changes (harmless:
    /// RFC 6733 3.2, only fixed `< >` positions are ordered).
    dropped_added_or_rewritten: BTreeSet<String>,
    reordered: usize,
}

fn typed_notes(r: &serde_json::Value, notes: &mut TypedNotes) {
    use diameter_codegen::{AvpKey, FlagRule};
    thread_local!(static MODEL: diameter_codegen::Model = populate::model());
    for n in r["typed_notes"].as_array().unwrap() {
        let n = n.as_str().unwrap();
        let words: Vec<&str> = n.split(' ').collect();
        let key = |s: &str| -> (u32, u32) {
            let (c, v) = s.split_once('/').unwrap();
            (c.parse().unwrap(), v.parse().unwrap())
        };
        match words.as_slice() {
            ["AVP", "order", "changed"] => notes.reordered += 1,
            ["AVP", avp, "flags", from, "->", to] => {
                let (code, vendor_id) = key(avp);
                let rule = MODEL.with(|m| {
                    let a = &m.avps[&AvpKey { code, vendor_id }];
                    (
                        a.flags.m,
                        format!(
                            "{} {} {}",
                            a.name,
                            a.spec,
                            a.section.clone().unwrap_or_default()
                        ),
                    )
                });
                let m_bit = |f: &str| {
                    u8::from_str_radix(f.trim_start_matches("0x"), 16).unwrap() & 0x40 != 0
                };
                // Ours follows the dictionary; python-diameter's differs.
                assert_eq!(m_bit(from), rule.0 == FlagRule::Must, "{}: {n}", r["label"]);
                match rule.0 {
                    FlagRule::Must | FlagRule::MustNot => {
                        notes.against_spec.insert((code, vendor_id), rule.1);
                    }
                    _ => {
                        notes.allowed.insert((code, vendor_id));
                    }
                }
                assert_ne!(m_bit(from), m_bit(to), "{}: {n}", r["label"]);
            }
            ["dropped" | "added", "AVP", avp] | ["AVP", avp, "content", "differs"] => {
                notes
                    .dropped_added_or_rewritten
                    .insert(format!("{} {avp}", r["label"]));
            }
            _ => panic!(
                "{}: unexpected python-diameter typed note {n:?}",
                r["label"]
            ),
        }
    }
}

impl TypedNotes {
    fn report(&self) {
        println!(
            "python-diameter's typed re-encode (informational): M bit against the specification \
             on {} AVPs, on {} AVPs where it may; {} AVPs dropped, added or rewritten by its \
             classes; {} messages reordered",
            self.against_spec.len(),
            self.allowed.len(),
            self.dropped_added_or_rewritten.len(),
            self.reordered
        );
        for ((code, vendor), rule) in &self.against_spec {
            println!("  M bit {vendor}:{code} {rule}");
        }
    }
}
