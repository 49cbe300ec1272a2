//! The kept test vectors (`tests/vectors/`) through the dictionary-free codec: every message
//! decodes with `RawMessage::decode`, re-encodes to the same bytes, has the header python-diameter
//! built it with (`vectors.json`), and its whole AVP tree — walked with `raw::walk` and parsed
//! with `RawAvp::grouped` — matches the tree python-diameter recorded, value by value.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::net::IpAddr;

use bytes::Bytes;
use diameter_runtime::header::HEADER_LEN;
use diameter_runtime::raw::walk;
use diameter_runtime::types::{Address, DiameterIdentity, Time, Utf8String};
use diameter_runtime::{DecodeOptions, RawAvp, RawMessage};
use diameter_tests::{read_vectors, vectors_dir};
use serde_json::Value;

/// The 44 messages of `vectors.json`, as python-diameter described them.
fn json_vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(vectors_dir().join("vectors.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v.as_array().unwrap().clone()
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn children(avp: &Value) -> &[Value] {
    avp.get("avps")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn is_grouped_json(avp: &Value) -> bool {
    avp.get("avps").is_some() || avp["type"] == "AvpGrouped"
}

/// (code, vendor) of every Grouped AVP the JSON trees show, empty ones included.
fn grouped_set(vectors: &[Value]) -> BTreeSet<(u32, u32)> {
    fn collect(avps: &[Value], out: &mut BTreeSet<(u32, u32)>) {
        for a in avps {
            if is_grouped_json(a) {
                out.insert((u64_of(a, "code") as u32, u64_of(a, "vendor") as u32));
                collect(children(a), out);
            }
        }
    }
    let mut set = BTreeSet::new();
    for v in vectors {
        collect(v["avps"].as_array().unwrap(), &mut set);
    }
    set
}

/// Pre-order (depth, code, vendor) of a JSON AVP tree.
fn json_preorder(avps: &[Value], depth: u32, out: &mut Vec<(u32, u32, u32)>) {
    for a in avps {
        out.push((depth, u64_of(a, "code") as u32, u64_of(a, "vendor") as u32));
        json_preorder(children(a), depth + 1, out);
    }
}

/// Compares a decoded AVP with its JSON description, recursing into Grouped AVPs. Returns the
/// number of AVPs compared.
fn compare_avp(msg: &str, raw: &RawAvp, json: &Value, grouped: &BTreeSet<(u32, u32)>) -> usize {
    let what = format!("{msg}: AVP {} ({})", raw.code, json["name"]);
    assert_eq!(u64::from(raw.code), u64_of(json, "code"), "{what}");
    assert_eq!(u64::from(raw.vendor()), u64_of(json, "vendor"), "{what}");
    assert_eq!(u64::from(raw.flags.0), u64_of(json, "flags"), "{what}");
    assert_eq!(
        u64::from(raw.header().length),
        u64_of(json, "length"),
        "{what}"
    );
    assert_eq!(raw.wire().len() as u64, u64_of(json, "length"), "{what}");
    if grouped.contains(&(raw.code, raw.vendor())) {
        let kids = raw.grouped().unwrap_or_else(|e| panic!("{what}: {e}"));
        let jkids = children(json);
        assert_eq!(kids.len(), jkids.len(), "{what}: children");
        return 1 + kids
            .iter()
            .zip(jkids)
            .map(|(k, j)| compare_avp(msg, k, j, grouped))
            .sum::<usize>();
    }
    assert_eq!(
        hex::encode(&raw.data),
        json["payload_hex"].as_str().unwrap(),
        "{what}"
    );
    compare_value(&what, raw, json);
    1
}

/// Decodes the value with the runtime's type for python-diameter's type and compares.
fn compare_value(what: &str, raw: &RawAvp, json: &Value) {
    let value = &json["value"];
    match json["type"].as_str().unwrap() {
        "AvpUnsigned32" => assert_eq!(
            u64::from(raw.value::<u32>().unwrap()),
            value.as_u64().unwrap(),
            "{what}"
        ),
        "AvpInteger32" => assert_eq!(
            i64::from(raw.value::<i32>().unwrap()),
            value.as_i64().unwrap(),
            "{what}"
        ),
        "AvpUnsigned64" => {
            assert_eq!(
                raw.value::<u64>().unwrap(),
                value.as_u64().unwrap(),
                "{what}"
            )
        }
        "AvpUtf8String" => assert_eq!(
            raw.value::<Utf8String>().unwrap().as_str(),
            value.as_str().unwrap(),
            "{what}"
        ),
        "AvpOctetString" => {
            assert_eq!(
                hex::encode(raw.value::<Bytes>().unwrap()),
                value["hex"].as_str().unwrap(),
                "{what}"
            );
            // The base protocol's DiameterIdentity AVPs, which python-diameter types as octets:
            // Origin-Host, Origin-Realm, Destination-Host, Destination-Realm.
            if raw.vendor() == 0 && [264, 296, 293, 283].contains(&raw.code) {
                assert_eq!(
                    raw.value::<DiameterIdentity>().unwrap().as_str(),
                    value["text"].as_str().unwrap(),
                    "{what}"
                );
            }
        }
        "AvpAddress" => {
            let a = raw.value::<Address>().unwrap();
            assert_eq!(
                u64::from(a.family()),
                value["family"].as_u64().unwrap(),
                "{what}"
            );
            let ip: IpAddr = value["address"].as_str().unwrap().parse().unwrap();
            assert_eq!(a.ip(), Some(ip), "{what}");
        }
        "AvpTime" => assert_eq!(
            raw.value::<Time>().unwrap().to_string(),
            format!("{}Z", value.as_str().unwrap()),
            "{what}"
        ),
        other => panic!("{what}: no runtime type for {other}"),
    }
}

#[test]
fn all_vectors_decode_and_reencode_byte_exactly() {
    let vectors = read_vectors("vectors.hex");
    assert_eq!(vectors.len(), 44);
    let mut all = vectors;
    all.extend(read_vectors("ccr-reference.hex"));
    for (label, wire) in all {
        let label = label.unwrap_or_else(|| "ccr-reference".to_string());
        let bytes = Bytes::from(wire.clone());
        let msg = RawMessage::decode(bytes.clone()).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(msg.header.length as usize, wire.len(), "{label}");
        assert_eq!(msg.encoded_len(), wire.len(), "{label}");
        assert_eq!(&msg.to_bytes()[..], &wire[..], "{label}: re-encode differs");
        // Encoding appends: a second message after a first gives both, each byte-exact.
        let mut buf = bytes::BytesMut::new();
        msg.encode(&mut buf);
        msg.encode(&mut buf);
        assert_eq!(&buf[..wire.len()], &wire[..], "{label}");
        assert_eq!(&buf[wire.len()..], &wire[..], "{label}");
        // The AVP data shares the input buffer: decoding copies no value.
        let start = bytes.as_ptr() as usize;
        for a in &msg.avps {
            let at = a.data.as_ptr() as usize;
            assert!(
                a.data.is_empty() || (at >= start + HEADER_LEN && at < start + wire.len()),
                "{label}: AVP {} data is a copy",
                a.code
            );
        }
    }
}

#[test]
fn headers_match_vectors_json() {
    let json = json_vectors();
    let hex = read_vectors("vectors.hex");
    assert_eq!(json.len(), 44);
    assert_eq!(hex.len(), json.len());
    for ((label, wire), j) in hex.iter().zip(&json) {
        let name = j["name"].as_str().unwrap();
        assert_eq!(label.as_deref(), Some(name), "same order in both files");
        assert_eq!(hex::encode(wire), j["hex"].as_str().unwrap(), "{name}");
        let h = RawMessage::decode(Bytes::from(wire.clone()))
            .unwrap()
            .header;
        assert_eq!(h.version, 1, "{name}");
        assert_eq!(u64::from(h.command_code), u64_of(j, "code"), "{name}");
        assert_eq!(u64::from(h.application_id), u64_of(j, "app_id"), "{name}");
        assert_eq!(u64::from(h.flags.0), u64_of(j, "flags"), "{name}");
        assert_eq!(
            h.flags.is_request(),
            j["request"].as_bool().unwrap(),
            "{name}"
        );
        assert_eq!(
            h.flags.is_proxiable(),
            j["proxyable"].as_bool().unwrap(),
            "{name}"
        );
        assert_eq!(u64::from(h.hop_by_hop), u64_of(j, "hbh"), "{name}");
        assert_eq!(u64::from(h.end_to_end), u64_of(j, "e2e"), "{name}");
        assert_eq!(u64::from(h.length), u64_of(j, "length"), "{name}");
    }
}

#[test]
fn avp_trees_match_vectors_json() {
    let json = json_vectors();
    let grouped = grouped_set(&json);
    // The set the vectors use (RFC 6733, RFC 4006, 3GPP TS 29.272 / 29.329 / 32.299).
    for g in [
        (260, 0),
        (297, 0),
        (443, 0),
        (456, 0),
        (437, 0),
        (1400, 10415),
        (1414, 10415),
    ] {
        assert!(grouped.contains(&g), "{g:?}");
    }
    assert_eq!(grouped.len(), 21);
    let (mut top, mut total) = (0, 0);
    for j in &json {
        let name = j["name"].as_str().unwrap();
        let wire = Bytes::from(hex::decode(j["hex"].as_str().unwrap()).unwrap());
        let msg = RawMessage::decode(wire).unwrap();
        let javps = j["avps"].as_array().unwrap();
        assert_eq!(msg.avps.len(), javps.len(), "{name}");
        for (raw, ja) in msg.avps.iter().zip(javps) {
            total += compare_avp(name, raw, ja, &grouped);
            top += 1;
        }
    }
    assert_eq!((top, total), (356, 609), "AVPs compared: top level, all");
}

#[test]
fn walk_visits_every_avp_in_order() {
    let json = json_vectors();
    let grouped = grouped_set(&json);
    let is_grouped = |code: u32, vendor: u32| grouped.contains(&(code, vendor));
    let mut deepest = 0;
    for j in &json {
        let name = j["name"].as_str().unwrap();
        let wire = hex::decode(j["hex"].as_str().unwrap()).unwrap();
        let mut expected = Vec::new();
        json_preorder(j["avps"].as_array().unwrap(), 1, &mut expected);
        let mut seen = Vec::new();
        let n = walk(
            &wire[HEADER_LEN..],
            &DecodeOptions::default(),
            &is_grouped,
            &mut |depth, avp| {
                assert_eq!(avp.wire.len(), avp.header.length as usize);
                seen.push((depth, avp.header.code, avp.header.vendor()));
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(n, expected.len(), "{name}");
        assert_eq!(seen, expected, "{name}");
        deepest = deepest.max(seen.iter().map(|s| s.0).max().unwrap_or(0));
    }
    // ULA: Subscription-Data / APN-Configuration-Profile / APN-Configuration /
    // EPS-Subscribed-QoS-Profile / Allocation-Retention-Priority / Priority-Level.
    assert_eq!(deepest, 6);
}

#[test]
fn ccr_reference_walks_fully() {
    let ccr = read_vectors("ccr-reference.hex").remove(0).1;
    // Subscription-Id, Multiple-Services-Credit-Control, Requested-Service-Unit,
    // User-Equipment-Info: what tshark shows grouped in that message.
    let grouped = [443u32, 456, 437, 458];
    let mut per_depth = [0usize; 4];
    let n = walk(
        &ccr[HEADER_LEN..],
        &DecodeOptions::default(),
        &|code, vendor| vendor == 0 && grouped.contains(&code),
        &mut |depth, _| per_depth[depth as usize] += 1,
    )
    .unwrap();
    assert_eq!(n, 29);
    assert_eq!(per_depth, [0, 13, 13, 3]);
    let msg = RawMessage::decode(Bytes::from(ccr)).unwrap();
    assert_eq!(
        (msg.header.command_code, msg.header.application_id),
        (272, 4)
    );
    let msccs: Vec<_> = msg.avps.iter().filter(|a| a.code == 456).collect();
    assert_eq!(msccs.len(), 3);
    for (i, m) in msccs.iter().enumerate() {
        let kids = m.grouped().unwrap();
        let rg = kids.iter().find(|k| k.code == 432).unwrap();
        assert_eq!(rg.value::<u32>().unwrap(), 100 + i as u32);
        let rsu = kids
            .iter()
            .find(|k| k.code == 437)
            .unwrap()
            .grouped()
            .unwrap();
        assert_eq!(rsu[0].code, 421);
        assert_eq!(rsu[0].value::<u64>().unwrap(), 1_000_000 * (i as u64 + 1));
    }
}
