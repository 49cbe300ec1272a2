//! Broken 3GPP messages, each made from a python-diameter vector (`tests/vectors/vectors.hex`,
//! bytes of an independent encoder) by one edit: each gives the RFC 6733 Result-Code, the path
//! of the offending AVP, and an error answer (`Decoded::error_answer`) carrying Failed-AVP
//! nested in its Grouped parents (RFC 6733 7.5) and the AVPs its answer grammar requires that
//! the request holds. Also: the Rf and Ro vectors decode typed under
//! the `3gpp` profile with no violation, and AVPs of other vendors inside `*[ AVP ]` are kept
//! raw unless their M bit demands an error.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod populate;

use bytes::BytesMut;
use diameter_messages::{Message, MessageView};
use diameter_runtime::answer::Identity;
use diameter_runtime::types::{DiameterIdentity, IntoOwned};
use diameter_runtime::{DecodeOptions, Decoded, Header, RawAvp, RawMessage};
use diameter_tests::oracle;

const TGPP: u32 = 10415;

fn vector(label: &str) -> Vec<u8> {
    diameter_tests::read_vectors("vectors.hex")
        .into_iter()
        .find(|(l, _)| l.as_deref() == Some(label))
        .unwrap_or_else(|| panic!("no vector {label}"))
        .1
}

/// One AVP's bytes, padded; `len_delta` falsifies its length field.
fn avp(code: u32, flags: u8, vendor: Option<u32>, data: &[u8], len_delta: i32) -> Vec<u8> {
    let header = if vendor.is_some() { 12 } else { 8 };
    let len = (header + data.len()) as i32 + len_delta;
    let mut v = code.to_be_bytes().to_vec();
    v.extend((u32::from(flags) << 24 | len as u32).to_be_bytes());
    if let Some(vendor) = vendor {
        v.extend(vendor.to_be_bytes());
    }
    v.extend(data);
    v.resize(v.len().next_multiple_of(4), 0);
    v
}

/// What to do to the AVP a path leads to.
enum Edit {
    /// Drop it.
    Remove,
    /// Put these bytes (whole AVPs) in its place.
    Replace(Vec<u8>),
    /// Append these bytes (whole AVPs) to its members (it is Grouped).
    Append(Vec<u8>),
}

/// `list` (AVPs) with `edit` applied to the first AVP of each step of `path` ((code, vendor),
/// outermost first); the lengths of the enclosing AVPs follow.
fn edit_list(list: &[u8], path: &[(u32, u32)], edit: &Edit) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut done = false;
    while at + 8 <= list.len() {
        let code = u32::from_be_bytes(list[at..at + 4].try_into().unwrap());
        let flags = list[at + 4];
        let len = u32::from_be_bytes([0, list[at + 5], list[at + 6], list[at + 7]]) as usize;
        let vendor = if flags & 0x80 != 0 {
            u32::from_be_bytes(list[at + 8..at + 12].try_into().unwrap())
        } else {
            0
        };
        let header = if flags & 0x80 != 0 { 12 } else { 8 };
        let end = (at + len.next_multiple_of(4)).min(list.len());
        let whole = &list[at..end];
        if !done && (code, vendor) == path[0] {
            done = true;
            let data = &list[at + header..at + len];
            match (path.len(), edit) {
                (1, Edit::Remove) => {}
                (1, Edit::Replace(new)) => out.extend(new),
                (1, Edit::Append(extra)) => {
                    let inner = [data, extra].concat();
                    out.extend(avp(code, flags, (vendor != 0).then_some(vendor), &inner, 0));
                }
                _ => {
                    let inner = edit_list(data, &path[1..], edit);
                    out.extend(avp(code, flags, (vendor != 0).then_some(vendor), &inner, 0));
                }
            }
        } else {
            out.extend(whole);
        }
        at = end;
    }
    assert!(done, "no AVP {:?} on the path", path[0]);
    out
}

/// The message `bytes` with `edit` applied at `path`.
fn edit(bytes: &[u8], path: &[(u32, u32)], edit: &Edit) -> Vec<u8> {
    let body = edit_list(&bytes[20..], path, edit);
    let mut m = bytes[..20].to_vec();
    let len = (20 + body.len()) as u32;
    m[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
    m.extend(body);
    m
}

fn id() -> Identity {
    Identity {
        origin_host: DiameterIdentity::from_static("hss.test.local"),
        origin_realm: DiameterIdentity::from_static("test.local"),
    }
}

/// The Subscriber-Status AVP of the bad-length cases, with 5 octets of data.
fn bad_subscriber_status() -> Vec<u8> {
    avp(1424, 0xc0, Some(TGPP), &[0, 0, 0, 0, 1], 0)
}

/// The broken requests, by name: their bytes and the profile to decode them with.
const CASES: [&str; 7] = [
    "ulr-no-visited-plmn-id",
    "idr-no-context-identifier",
    "udr-no-vsai",
    "idr-subscriber-status-len-5",
    "ccr-charging-id-len-5",
    "idr-subscriber-status-overrun",
    "acr-no-destination-realm",
];

fn broken(case: &str) -> (Vec<u8>, Option<&'static str>) {
    let idr_status = [(1400, TGPP), (1424, TGPP)];
    let bytes = match case {
        "ulr-no-visited-plmn-id" => edit(&vector("S6a-ULR"), &[(1407, TGPP)], &Edit::Remove),
        "idr-no-context-identifier" => {
            // python-diameter's IDR has no APN-Configuration-Profile: a fully populated one.
            let model = populate::model();
            let grammar = &model.applications[&16_777_251].commands[&319].request;
            let idr = populate::Builder::new(&model, 0).message(16_777_251, grammar);
            assert!(decode(&idr, None).violations.is_empty());
            let path = [(1400, TGPP), (1429, TGPP), (1430, TGPP), (1423, TGPP)];
            edit(&idr, &path, &Edit::Remove)
        }
        "udr-no-vsai" => edit(&vector("Sh-UDR"), &[(260, 0)], &Edit::Remove),
        "idr-subscriber-status-len-5" => edit(
            &vector("S6a-IDR"),
            &idr_status,
            &Edit::Replace(bad_subscriber_status()),
        ),
        "ccr-charging-id-len-5" => {
            let path = [(873, TGPP), (874, TGPP), (2, TGPP)];
            let bad = avp(2, 0x80, Some(TGPP), &[1, 2, 3, 4, 5], 0);
            return (
                edit(&vector("CCR-I"), &path, &Edit::Replace(bad)),
                Some("3gpp"),
            );
        }
        "acr-no-destination-realm" => {
            // TS 32.299 6.2.2 (Rf): ACR's `{ Destination-Realm }` is required.
            let acr = edit(&vector("ACR-start"), &[(283, 0)], &Edit::Remove);
            return (acr, Some("3gpp"));
        }
        "idr-subscriber-status-overrun" => {
            let bad = avp(1424, 0xc0, Some(TGPP), &[0, 0, 0, 0], 24);
            edit(&vector("S6a-IDR"), &idr_status, &Edit::Replace(bad))
        }
        _ => panic!("no case {case}"),
    };
    (bytes, None)
}

/// Decodes `bytes` typed (struct and view agree on the violations) and returns the struct's.
fn decode<'a>(bytes: &'a [u8], profile: Option<&str>) -> Decoded<Message<'a>> {
    let opts = DecodeOptions::default();
    let d = Message::decode_profile(bytes, &opts, profile).unwrap();
    let v = MessageView::decode_profile(bytes, &opts, profile).unwrap();
    assert_eq!(d.violations, v.violations, "struct and view disagree");
    d
}

/// The error answer to `bytes`: its Result-Code, whether the E bit is set, and the AVPs of
/// its Failed-AVP.
fn answer(d: &Decoded<Message<'_>>, bytes: &[u8]) -> (u32, bool, Vec<RawAvp<'static>>) {
    let ans = d.error_answer(bytes, &id()).expect("an error answer");
    let request = Header::decode(bytes).unwrap();
    assert_eq!(ans.header.command_code, request.command_code);
    assert_eq!(ans.header.application_id, request.application_id);
    assert_eq!(ans.header.hop_by_hop, request.hop_by_hop);
    assert!(!ans.header.flags.is_request());
    // The request's Session-Id is copied.
    let req = RawMessage::parse(bytes, &DecodeOptions::lenient()).unwrap();
    assert_eq!(
        ans.find(263, 0).map(|a| a.data.to_vec()),
        req.find(263, 0).map(|a| a.data.to_vec())
    );
    assert_eq!(&ans.find(264, 0).unwrap().data[..], b"hss.test.local");
    assert_eq!(&ans.find(296, 0).unwrap().data[..], b"test.local");
    let rc = ans.find(268, 0).unwrap().data.to_vec();
    let rc = u32::from_be_bytes(rc.try_into().unwrap());
    let failed = ans.find(279, 0).expect("Failed-AVP").grouped().unwrap();
    let failed = failed.into_iter().map(|a| a.into_owned()).collect();
    (rc, ans.header.flags.is_error(), failed)
}

/// TS 29.272 7.2.3: ULR's `{ Visited-PLMN-Id }` is required. Without it: 5005
/// DIAMETER_MISSING_AVP (RFC 6733 7.1.5), and Failed-AVP holds an example of the missing AVP
/// with its Vendor-Id and zeroed data of the minimum length (RFC 6733 7.5).
#[test]
fn ulr_without_a_required_avp_is_5005_naming_it() {
    assert!(decode(&vector("S6a-ULR"), None).violations.is_empty());
    let (bytes, _) = broken("ulr-no-visited-plmn-id");
    let d = decode(&bytes, None);
    assert!(matches!(d.message, Message::UpdateLocationRequest(_)));
    assert_eq!(d.violations.len(), 1, "{:?}", d.violations);
    let v = &d.violations[0];
    assert_eq!(v.result_code, 5005);
    assert_eq!(
        (v.code, v.vendor_id, v.avp),
        (1407, TGPP, Some("Visited-PLMN-Id"))
    );
    assert_eq!(v.path, ["Update-Location-Request"]);

    let (rc, e_bit, failed) = answer(&d, &bytes);
    assert_eq!((rc, e_bit), (5005, false));
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].code, failed[0].vendor_id), (1407, Some(TGPP)));
    assert!(failed[0].flags.is_vendor() && failed[0].flags.is_mandatory());
    assert!(failed[0].data.iter().all(|&b| b == 0), "{:?}", failed[0]);
}

/// A required AVP missing deep in Subscription-Data (TS 29.272 7.3.35 APN-Configuration's
/// `{ Context-Identifier }`, inside APN-Configuration-Profile of an IDR): 5005 with the whole
/// path, and Failed-AVP nests the example in its Grouped parents.
#[test]
fn idr_missing_a_required_avp_deep_in_subscription_data_names_the_path() {
    let (bytes, _) = broken("idr-no-context-identifier");
    let d = decode(&bytes, None);
    assert_eq!(d.violations.len(), 1, "{:?}", d.violations);
    let v = &d.violations[0];
    assert_eq!(v.result_code, 5005);
    assert_eq!(v.avp, Some("Context-Identifier"));
    assert_eq!(
        v.path,
        [
            "Insert-Subscriber-Data-Request",
            "Subscription-Data",
            "APN-Configuration-Profile",
            "APN-Configuration",
        ]
    );
    let (rc, _, failed) = answer(&d, &bytes);
    assert_eq!(rc, 5005);
    assert_eq!(nested_codes(&failed), [1400, 1429, 1430, 1423]);
}

/// The codes of the first AVP at each level of a Failed-AVP's nesting, outermost first.
fn nested_codes(failed: &[RawAvp<'_>]) -> Vec<u32> {
    assert_eq!(failed.len(), 1, "one offending AVP: {failed:?}");
    let mut codes = vec![failed[0].code];
    let mut cur = failed[0].clone();
    while let Ok(inner) = cur.grouped() {
        if inner.len() != 1 {
            break;
        }
        codes.push(inner[0].code);
        let next = inner[0].clone().into_owned();
        cur = next;
    }
    codes
}

/// TS 29.329 6.1.1: UDR's `{ Vendor-Specific-Application-Id }` is required (Sh is a vendor
/// application). Without it: 5005 naming it, Failed-AVP holding a Vendor-Specific-Application-Id.
#[test]
fn udr_without_vendor_specific_application_id_is_5005() {
    assert!(decode(&vector("Sh-UDR"), None).violations.is_empty());
    let (bytes, _) = broken("udr-no-vsai");
    let d = decode(&bytes, None);
    assert!(matches!(d.message, Message::UserDataRequest(_)));
    assert_eq!(d.violations.len(), 1, "{:?}", d.violations);
    let v = &d.violations[0];
    assert_eq!(v.result_code, 5005);
    assert_eq!(v.avp, Some("Vendor-Specific-Application-Id"));
    assert_eq!(v.path, ["User-Data-Request"]);
    let (rc, e_bit, failed) = answer(&d, &bytes);
    assert_eq!((rc, e_bit), (5005, false));
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].code, failed[0].vendor_id), (260, None));
}

/// A vendor AVP whose length does not fit its type, inside a Grouped AVP: Subscriber-Status
/// (TS 29.272 7.3.29, Enumerated: 4 octets) with 5 inside Subscription-Data of an IDR. RFC
/// 6733 7.1.5: 5014 DIAMETER_INVALID_AVP_LENGTH; Failed-AVP holds the AVP as received inside
/// its Subscription-Data.
#[test]
fn vendor_avp_with_a_bad_length_inside_subscription_data_is_5014() {
    let (bytes, _) = broken("idr-subscriber-status-len-5");
    let d = decode(&bytes, None);
    assert_eq!(d.violations.len(), 1, "{:?}", d.violations);
    let v = &d.violations[0];
    assert_eq!(v.result_code, 5014);
    assert_eq!(
        (v.code, v.vendor_id, v.avp),
        (1424, TGPP, Some("Subscriber-Status"))
    );
    assert_eq!(
        v.path,
        ["Insert-Subscriber-Data-Request", "Subscription-Data"]
    );
    let (rc, e_bit, failed) = answer(&d, &bytes);
    assert_eq!((rc, e_bit), (5014, false));
    assert_eq!(nested_codes(&failed), [1400, 1424]);
    let inner = failed[0].grouped().unwrap();
    let mut written = BytesMut::new();
    inner[0].encode(&mut written);
    assert_eq!(
        written[..],
        bad_subscriber_status()[..],
        "the offending AVP as received"
    );
}

/// The same in TS 32.299's CCR: 3GPP-Charging-Id (TS 29.061 16.4.7.2, Unsigned32) with 5
/// octets inside Service-Information/PS-Information, decoded under the `3gpp` profile.
#[test]
fn vendor_avp_with_a_bad_length_inside_service_information_is_5014() {
    let (bytes, profile) = broken("ccr-charging-id-len-5");
    let d = decode(&bytes, profile);
    assert!(matches!(d.message, Message::RoCreditControlRequest(_)));
    assert_eq!(d.violations.len(), 1, "{:?}", d.violations);
    let v = &d.violations[0];
    assert_eq!(v.result_code, 5014);
    assert_eq!(v.avp, Some("3GPP-Charging-Id"));
    assert_eq!(
        v.path,
        [
            "Credit-Control-Request",
            "Service-Information",
            "PS-Information"
        ]
    );
    let (rc, _, failed) = answer(&d, &bytes);
    assert_eq!(rc, 5014);
    assert_eq!(nested_codes(&failed), [873, 874, 2]);
}

/// A vendor AVP whose length field runs past the end of its Grouped parent (Subscriber-Status
/// claiming 40 octets inside Subscription-Data): the group cannot be read past it. 5014 with
/// the path, and RFC 6733 7.5's Failed-AVP for an unusable length.
#[test]
fn vendor_avp_overrunning_its_group_is_5014() {
    let (bytes, _) = broken("idr-subscriber-status-overrun");
    let d = decode(&bytes, None);
    let first = diameter_runtime::violation::first_violation(&d.violations).unwrap();
    assert_eq!(first.result_code, 5014, "{:?}", d.violations);
    assert_eq!(
        first.path,
        ["Insert-Subscriber-Data-Request", "Subscription-Data"]
    );
    let (rc, _, failed) = answer(&d, &bytes);
    assert_eq!(rc, 5014);
    assert_eq!(failed[0].code, 1400);
}

/// The Rf (application 3) and Ro (application 4) vectors of python-diameter decode typed
/// under the `3gpp` profile into the profile's own types with no violation, and their typed
/// round trip is equal. TS 32.299 defines no STR: the base one serves (RFC 4006 5.6 and TS
/// 32.299 6.4 use RFC 6733's).
#[test]
fn rf_and_ro_vectors_decode_typed_under_the_3gpp_profile() {
    let vectors = diameter_tests::vectors_of(&[3, 4]);
    assert_eq!(
        vectors.len(),
        18,
        "6 ACR/ACA, 6 CCR/CCA, RAR/RAA, ASR/ASA, STR/STA"
    );
    let opts = DecodeOptions::default();
    for (label, bytes) in &vectors {
        let d = decode(bytes, Some("3gpp"));
        assert!(d.violations.is_empty(), "{label}: {:?}", d.violations);
        // python-diameter writes PDP-Address and SGSN-Address (in PS-Information) without
        // the M bit, which TS 32.299 table 7.2.0.1 has as must: harmless, so notes, not
        // violations (ARCHITECTURE.md, "Strictness").
        for n in &d.notes {
            assert_eq!(
                n.kind,
                diameter_runtime::NoteKind::FlagBits,
                "{label}: {n:?}"
            );
            assert!([1227, 1228].contains(&n.code), "{label}: {n:?}");
        }
        let variant = format!("{:?}", d.message);
        let variant = variant.split('(').next().unwrap();
        if label.starts_with("ST") {
            assert!(
                variant.starts_with("SessionTermination"),
                "{label}: {variant}"
            );
        } else {
            assert!(
                variant.starts_with("Rf") || variant.starts_with("Ro"),
                "{label}: {variant}"
            );
        }
        let header = Header::decode(bytes).unwrap();
        let mut buf = BytesMut::new();
        d.message.encode_with_header(&header, &mut buf);
        let again = Message::decode_profile(&buf, &opts, Some("3gpp")).unwrap();
        assert!(
            again.violations.is_empty(),
            "{label}: {:?}",
            again.violations
        );
        assert_eq!(again.message, d.message, "{label}");
    }
}

/// An AVP of another vendor (9, ciscoSystems) that no dictionary here knows.
fn foreign(m_bit: bool) -> Vec<u8> {
    let flags = 0x80 | if m_bit { 0x40 } else { 0 };
    avp(131_072, flags, Some(9), b"foreign", 0)
}

/// RFC 6733 4.1 and 7.1.5: an unknown AVP without the M bit is ignored by the receiver: where
/// the grammar has `*[ AVP ]` (ULR, and Subscription-Data inside IDR) the typed message keeps
/// it raw, with no violation, and re-encodes it unchanged.
#[test]
fn other_vendors_avps_without_m_are_kept_raw() {
    let ulr = edit(
        &vector("S6a-ULR"),
        &[(1407, TGPP)],
        &Edit::Replace(
            [
                avp(1407, 0xc0, Some(TGPP), &[0x21, 0xf3, 0x54], 0),
                foreign(false),
            ]
            .concat(),
        ),
    );
    let d = decode(&ulr, None);
    assert!(d.violations.is_empty(), "{:?}", d.violations);
    let Message::UpdateLocationRequest(m) = &d.message else {
        panic!("not a ULR");
    };
    assert_eq!(m.other_avps.len(), 1);
    assert_eq!(
        (m.other_avps[0].code, m.other_avps[0].vendor_id),
        (131_072, Some(9))
    );
    assert_eq!(&m.other_avps[0].data[..], b"foreign");

    let idr = edit(
        &vector("S6a-IDR"),
        &[(1400, TGPP)],
        &Edit::Append(foreign(false)),
    );
    let d = decode(&idr, None);
    assert!(d.violations.is_empty(), "{:?}", d.violations);
    let Message::InsertSubscriberDataRequest(m) = &d.message else {
        panic!("not an IDR");
    };
    let kept = &m.subscription_data.other_avps;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].vendor_id, Some(9));
    // Kept raw means re-encoded as received. (The rest of python-diameter's message may
    // change: it sets the M bit on AVPs TS 29.272 marks "must not", see gpp_vectors.rs.)
    let foreign = foreign(false);
    for bytes in [&ulr, &idr] {
        let d = decode(bytes, None);
        let mut buf = BytesMut::new();
        d.message
            .encode_with_header(&Header::decode(bytes).unwrap(), &mut buf);
        assert!(buf.windows(foreign.len()).any(|w| w == foreign));
    }
}

/// The same AVPs with the M bit set: the receiver must understand them and does not. 5001
/// DIAMETER_AVP_UNSUPPORTED (RFC 6733 7.1.5) with the path, and the AVP in Failed-AVP inside
/// its parents; lenient decoding, for peers that set M carelessly, keeps them raw.
#[test]
fn other_vendors_avps_with_m_are_5001_unless_lenient() {
    let idr = edit(
        &vector("S6a-IDR"),
        &[(1400, TGPP)],
        &Edit::Append(foreign(true)),
    );
    let d = decode(&idr, None);
    assert_eq!(d.violations.len(), 1, "{:?}", d.violations);
    let v = &d.violations[0];
    assert_eq!(v.result_code, 5001);
    assert_eq!((v.code, v.vendor_id), (131_072, 9));
    assert_eq!(
        v.path,
        ["Insert-Subscriber-Data-Request", "Subscription-Data"]
    );
    let (rc, e_bit, failed) = answer(&d, &idr);
    assert_eq!((rc, e_bit), (5001, false));
    assert_eq!(nested_codes(&failed), [1400, 131_072]);

    let lenient = Message::decode_with(&idr, &DecodeOptions::lenient()).unwrap();
    assert!(lenient.violations.is_empty(), "{:?}", lenient.violations);
    let Message::InsertSubscriberDataRequest(m) = &lenient.message else {
        panic!("not an IDR");
    };
    assert_eq!(m.subscription_data.other_avps.len(), 1);
}

/// What Wireshark reports in the error answers, all of it inside Failed-AVP: (case, problem,
/// where). RFC 6733 7.5: a missing AVP's example has data "of correct minimum length" and
/// zeroes (none for an OctetString or a Grouped AVP: "Data is empty"); an AVP with a bad length
/// is returned as received (Wireshark finds it malformed, as it was), or as its header alone
/// when its length cannot be used ("Data is empty").
const EXPECTED_IN_FAILED_AVP: &[(&str, &str, &str)] = &[
    (
        "ulr-no-visited-plmn-id",
        "Data is empty",
        "Visited-PLMN-Id(1407)",
    ),
    (
        "udr-no-vsai",
        "Data is empty",
        "Vendor-Specific-Application-Id(260)",
    ),
    (
        "acr-no-destination-realm",
        "Data is empty",
        "Destination-Realm(283)",
    ),
    (
        "idr-subscriber-status-len-5",
        "Bad Integer32 Length (5)",
        "Subscriber-Status(1424)",
    ),
    ("idr-subscriber-status-len-5", "[Malformed Packet]", ""),
    (
        "idr-subscriber-status-overrun",
        "Data is empty",
        "Subscriber-Status(1424)",
    ),
];

/// The error answers to every broken case are well-formed for python-diameter (decoded, and
/// re-encoded to the same bytes) and for Wireshark, but for what Failed-AVP must carry
/// ([`EXPECTED_IN_FAILED_AVP`]).
#[test]
fn error_answers_are_read_by_both_oracles() {
    let mut answers = Vec::new();
    for case in CASES {
        let (bytes, profile) = broken(case);
        let d = decode(&bytes, profile);
        let ans = d.error_answer(&bytes, &id()).unwrap();
        answers.push((format!("answer-to-{case}"), ans.to_bytes().to_vec()));
    }
    let available = oracle::runs("python3", &["-c", "import diameter.message"]);
    if let Some(dir) = oracle::require("python-diameter", available) {
        let out = oracle::run_on_hex(&dir, "pydiameter-roundtrip.py", &["-q"], &answers);
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let Some(dir) = oracle::require("tshark", oracle::runs("tshark", &["--version"])) else {
        return;
    };
    let out = oracle::run_on_hex(
        &dir,
        "tshark-decode.py",
        &["-q", "--no-default-allow", "--format", "json"],
        &answers,
    );
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut failures = Vec::new();
    for r in results.as_array().unwrap() {
        let label = r["label"].as_str().unwrap();
        for p in r["problems"].as_array().unwrap() {
            let p = p.as_str().unwrap();
            let expected = EXPECTED_IN_FAILED_AVP.iter().any(|(l, problem, at)| {
                label.ends_with(l) && p.contains(problem) && p.contains(at)
            });
            if !expected {
                failures.push(format!("{label}: {p}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
/// A 5xxx answer is not a protocol error (no E bit), so the application's answer grammar
/// applies to it, and those grammars require more than RFC 6733 7.2's shape: Auth-Session-State
/// in every S6a and Sh answer (TS 29.272 7.2.4, 7.2.10; TS 29.329 6.1.2), also
/// Vendor-Specific-Application-Id in UDA, and Auth-Application-Id, CC-Request-Type and
/// CC-Request-Number in CCA (RFC 4006 8.2, TS 32.299 6.4.3), Accounting-Record-Type and
/// -Number in ACA (TS 32.299 6.2.3). `Decoded::error_answer` copies
/// those from the typed request (their (code, vendor) come from the generated answer grammar;
/// the runtime names none), byte for byte, so every answer decodes valid under its answer
/// grammar, but one: the UDR without Vendor-Specific-Application-Id has none to copy, and the
/// application must add it to that UDA.
#[test]
fn error_answers_are_valid_under_the_answer_grammar() {
    const AUTH_SESSION_STATE: (u32, u32) = (277, 0);
    // A case, the AVPs its answer copies ((code, vendor), in order), the answer AVPs missing.
    type Expected = (&'static str, &'static [(u32, u32)], &'static [&'static str]);
    let expected: [Expected; 7] = [
        ("ulr-no-visited-plmn-id", &[AUTH_SESSION_STATE], &[]),
        ("idr-no-context-identifier", &[AUTH_SESSION_STATE], &[]),
        (
            "udr-no-vsai",
            &[AUTH_SESSION_STATE],
            &["Vendor-Specific-Application-Id"],
        ),
        ("idr-subscriber-status-len-5", &[AUTH_SESSION_STATE], &[]),
        (
            "ccr-charging-id-len-5",
            // Auth-Application-Id, CC-Request-Type, CC-Request-Number.
            &[(258, 0), (416, 0), (415, 0)],
            &[],
        ),
        ("idr-subscriber-status-overrun", &[AUTH_SESSION_STATE], &[]),
        (
            "acr-no-destination-realm",
            // Accounting-Record-Type, Accounting-Record-Number (TS 32.299 6.2.3).
            &[(480, 0), (485, 0)],
            &[],
        ),
    ];
    // What RFC 6733 7.2's shape carries anyway: Session-Id, Origin-Host, Origin-Realm,
    // Result-Code, Error-Message, Failed-AVP, the request's Proxy-Info.
    let generic = [263, 264, 296, 268, 281, 279, 284];
    for (case, copied, missing) in expected {
        let (bytes, profile) = broken(case);
        let d = decode(&bytes, profile);
        let ans = d.error_answer(&bytes, &id()).unwrap();
        let view = MessageView::decode_profile(&bytes, &DecodeOptions::default(), profile);
        let view_ans = view.unwrap().error_answer(&bytes, &id()).unwrap();
        assert_eq!(view_ans, ans, "{case}: the view's answer is the struct's");
        let req = RawMessage::parse(&bytes, &DecodeOptions::lenient()).unwrap();
        let extra: Vec<(u32, u32)> = ans
            .avps
            .iter()
            .filter(|a| !generic.contains(&a.code))
            .map(|a| (a.code, a.vendor_id.unwrap_or(0)))
            .collect();
        assert_eq!(extra, copied, "{case}: the AVPs copied from the request");
        for &(code, vendor) in copied {
            assert_eq!(
                ans.find(code, vendor).unwrap().data,
                req.find(code, vendor).unwrap().data,
                "{case}: {code} as in the request"
            );
        }
        let ans = ans.to_bytes();
        let a = decode(&ans, profile);
        let name = a.message.name().unwrap();
        assert!(name.ends_with("-Answer"), "{case}: {name}");
        let names: Vec<_> = a.violations.iter().map(|v| v.avp).collect();
        let missing: Vec<_> = missing.iter().map(|&n| Some(n)).collect();
        assert_eq!(names, missing, "{case}: {:?}", a.violations);
        assert!(a.violations.iter().all(|v| v.result_code == 5005));
    }
}
