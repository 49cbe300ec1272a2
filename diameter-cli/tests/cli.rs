//! End-to-end tests of the `diameter` binary on the kept vectors of `tests/vectors/`: JSON
//! round trips, the JSON contract of CLI-JSON.md, malformed input, dictionaries, captures and
//! the text tree.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// What one run of the binary gave.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn text(&self) -> String {
        String::from_utf8(self.stdout.clone()).unwrap()
    }

    /// The JSON Lines of stdout.
    fn objects(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

fn run(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_diameter"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The binary may stop reading early; a broken pipe is fine.
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn vector_path(name: &str) -> String {
    vectors_dir().join(name).to_string_lossy().into_owned()
}

/// (label, bytes) of each line of a vector file.
fn vectors(name: &str) -> Vec<(Option<String>, Vec<u8>)> {
    let text = std::fs::read_to_string(vectors_dir().join(name)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| match l.split_once('\t') {
            Some((label, h)) => (Some(label.to_string()), hex::decode(h.trim()).unwrap()),
            None => (None, hex::decode(l.trim()).unwrap()),
        })
        .collect()
}

fn vector(name: &str, label: &str) -> Vec<u8> {
    vectors(name)
        .into_iter()
        .find(|(l, _)| l.as_deref() == Some(label))
        .unwrap()
        .1
}

fn hex_lines(msgs: &[&[u8]]) -> Vec<u8> {
    msgs.iter()
        .map(|m| format!("{}\n", hex::encode(m)))
        .collect::<String>()
        .into_bytes()
}

/// The AVP object named `name` in a list of AVP objects.
fn avp<'a>(avps: &'a Value, name: &str) -> &'a Value {
    avps.as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

fn ccr_i() -> Value {
    let r = run(
        &["decode", "--format", "json", &vector_path("vectors.hex")],
        b"",
    );
    r.objects()
        .into_iter()
        .find(|o| o["label"] == "CCR-I")
        .unwrap()
}

/// (a) decode --format json then encode gives back every input byte.
#[test]
fn json_round_trip_of_every_vector() {
    for (file, count) in [("vectors.hex", 44), ("ccr-reference.hex", 1)] {
        let input = vectors(file);
        assert_eq!(input.len(), count);
        for lenient in [false, true] {
            let mut args = vec!["decode", "--format", "json"];
            if lenient {
                args.push("--lenient");
            }
            let path = vector_path(file);
            args.push(&path);
            let decoded = run(&args, b"");
            assert_eq!(decoded.objects().len(), count);
            let encoded = run(&["encode"], &decoded.stdout);
            assert_eq!(encoded.code, 0, "{}", encoded.stderr);
            let lines: Vec<Vec<u8>> = encoded
                .text()
                .lines()
                .map(|l| hex::decode(l).unwrap())
                .collect();
            assert_eq!(lines.len(), count);
            for ((label, want), got) in input.iter().zip(&lines) {
                assert_eq!(
                    hex::encode(got),
                    hex::encode(want),
                    "{file} {label:?} lenient={lenient}"
                );
            }
            // The binary form is the same bytes, concatenated.
            let bin = run(&["encode", "--format", "bin"], &decoded.stdout);
            assert_eq!(
                bin.stdout,
                input.iter().flat_map(|m| m.1.clone()).collect::<Vec<_>>()
            );
        }
    }
}

/// (b) The keys of CLI-JSON.md, with their types, for a CCR-I.
#[test]
fn ccr_i_json_has_the_contract_keys() {
    let m = ccr_i();
    for key in [
        "label",
        "version",
        "length",
        "flags",
        "command_code",
        "command",
        "application_id",
        "hop_by_hop",
        "end_to_end",
        "avps",
        "result_code",
        "violations",
    ] {
        assert!(m.get(key).is_some(), "missing {key}");
    }
    assert_eq!(m["label"], "CCR-I");
    assert_eq!(m["version"], 1);
    assert!(m["length"].is_u64());
    for f in ["request", "proxiable", "error", "retransmit"] {
        assert!(m["flags"][f].is_boolean(), "flags.{f}");
    }
    assert_eq!(m["flags"]["request"], true);
    assert_eq!(m["command_code"], 272);
    assert_eq!(m["command"], "Credit-Control-Request");
    assert_eq!(m["application_id"], 4);
    assert!(m["hop_by_hop"].is_u64() && m["end_to_end"].is_u64());
    let avps = &m["avps"];
    for a in avps.as_array().unwrap() {
        for key in ["name", "code", "vendor_id", "flags", "type", "value"] {
            assert!(a.get(key).is_some(), "AVP without {key}: {a}");
        }
        for f in ["vendor", "mandatory", "protected"] {
            assert!(a["flags"][f].is_boolean());
        }
    }
    let origin = avp(avps, "Origin-Host");
    assert_eq!(origin["value"], "client.test.local");
    assert_eq!(origin["type"], "DiameterIdentity");
    assert_eq!(origin["code"], 264);
    assert_eq!(origin["vendor_id"], 0);
    assert_eq!(origin["flags"]["mandatory"], true);
    let crt = avp(avps, "CC-Request-Type");
    assert_eq!(crt["type"], "Enumerated");
    assert_eq!(crt["value"], 1);
    assert_eq!(crt["enum"], "INITIAL_REQUEST");
    assert_eq!(
        avp(avps, "Event-Timestamp")["value"],
        "2024-01-02T03:04:05Z"
    );
    assert_eq!(avp(avps, "CC-Request-Number")["value"], 0);
    let mscc = avp(avps, "Multiple-Services-Credit-Control");
    assert_eq!(mscc["type"], "Grouped");
    assert!(mscc["value"].is_array());
    assert_eq!(avp(&mscc["value"], "Rating-Group")["value"], 100);
    assert_eq!(avp(&mscc["value"], "Rating-Group")["type"], "Unsigned32");
    // The 3GPP Service-Information (873, M bit) is known from TS 32.299, and the CLI decodes
    // with the richest grammar compiled in (the 3GPP profile's CCR), so the message is valid.
    let si = avp(avps, "Service-Information");
    assert_eq!(si["type"], "Grouped");
    assert_eq!(si["vendor_id"], 10415);
    assert_eq!(m["result_code"], 2001);
    assert_eq!(m["violations"], serde_json::json!([]));
    // A violation has the contract's keys: Sh-UDA as python-diameter writes it carries
    // User-Data with TS 29.229's code 606 (Cx), which Sh does not know, with the M bit.
    let r = run(
        &["decode", "--format", "json", &vector_path("vectors.hex")],
        b"",
    );
    let uda = r
        .objects()
        .into_iter()
        .find(|o| o["label"] == "Sh-UDA")
        .unwrap();
    assert_eq!(uda["result_code"], 5001);
    let v = &uda["violations"][0];
    assert_eq!(v["result_code"], 5001);
    assert!(v["avp"].is_null());
    assert_eq!(v["code"], 606);
    assert_eq!(v["vendor_id"], 10415);
    assert_eq!(v["path"], serde_json::json!(["User-Data-Answer"]));
    assert!(v["message"].is_string());
    // Lenient: valid.
    let lenient = run(
        &[
            "decode",
            "--format",
            "json",
            "--lenient",
            &vector_path("vectors.hex"),
        ],
        b"",
    );
    let m = lenient
        .objects()
        .into_iter()
        .find(|o| o["label"] == "CCR-I")
        .unwrap();
    assert_eq!(m["result_code"], 2001);
    assert_eq!(m["violations"], serde_json::json!([]));
}

/// Every kind of value: numbers stay exact, addresses, unknown commands.
#[test]
fn values_and_unknown_commands() {
    let input = hex_lines(&[
        &vector("vectors.hex", "CER"),
        &vector("vectors.hex", "S6a-ULR"),
    ]);
    let r = run(&["decode", "--format", "json", "--lenient"], &input);
    let objs = r.objects();
    assert_eq!(
        avp(&objs[0]["avps"], "Host-IP-Address")["value"],
        "127.0.0.1"
    );
    assert_eq!(
        avp(&objs[0]["avps"], "Product-Name")["value"],
        "oracle-client"
    );
    // S6a (TS 29.272): typed, with its flag bits named.
    assert_eq!(objs[1]["command"], "Update-Location-Request");
    assert_eq!(objs[1]["command_code"], 316);
    assert_eq!(objs[1]["result_code"], 2001);
    assert_eq!(
        avp(&objs[1]["avps"], "User-Name")["value"],
        "001010123456789"
    );
    // Unsigned64 near the top of the range survives as a JSON number.
    let big = serde_json::json!({"command": "CCR", "hop_by_hop": 1, "end_to_end": 2, "avps": [
        {"name": "CC-Input-Octets", "value": 18446744073709551615u64},
        {"name": "CC-Sub-Session-Id", "value": 9007199254740993u64}]});
    let enc = run(&["encode"], big.to_string().as_bytes());
    assert_eq!(enc.code, 0, "{}", enc.stderr);
    let dec = run(&["decode", "--format", "json"], &enc.stdout);
    let o = &dec.objects()[0];
    assert_eq!(o["avps"][0]["value"].as_u64(), Some(u64::MAX));
    assert_eq!(o["avps"][1]["value"].as_u64(), Some(9_007_199_254_740_993));
    // The request and proxiable flags come from the command; the ids as given.
    assert_eq!(o["flags"]["request"], true);
    assert_eq!(o["flags"]["proxiable"], true);
    assert_eq!(
        (o["hop_by_hop"].as_u64(), o["end_to_end"].as_u64()),
        (Some(1), Some(2))
    );
}

/// (c) Each broken case gives a non-2001 result_code or an "error", exits non-zero, and the
/// good messages around it still print.
#[test]
fn broken_messages_are_reported_and_the_rest_still_prints() {
    let good_before = vector("vectors.hex", "DWR");
    let good_after = vectors("ccr-reference.hex").remove(0).1;
    let cases = vectors("broken.hex");
    assert_eq!(cases.len(), 13);
    // The good messages alone are valid, and exit 0.
    let ok = run(
        &["decode", "--format", "json"],
        &hex_lines(&[&good_before, &good_after]),
    );
    assert_eq!(ok.code, 0, "{}", ok.text());
    for (label, bad) in &cases {
        for lenient in [false, true] {
            let mut args = vec!["decode", "--format", "json"];
            if lenient {
                args.push("--lenient");
            }
            let r = run(&args, &hex_lines(&[&good_before, bad, &good_after]));
            let objs = r.objects();
            assert_eq!(objs.len(), 3, "{label:?}");
            assert_eq!(objs[0]["result_code"], 2001);
            assert_eq!(objs[2]["result_code"], 2001);
            assert_eq!(objs[0]["command"], "Device-Watchdog-Request");
            assert_eq!(objs[2]["command"], "Credit-Control-Request");
            let b = &objs[1];
            // Lenient decoding accepts what it is meant to (unknown M-bit AVPs where the
            // grammar ends in *[ AVP ], reserved AVP and header bits, non-zero padding).
            let lenient_ok = [
                "broken-unknown-avp-M",
                "broken-avp-reserved-flags",
                "broken-cmd-reserved-flags",
                "broken-nonzero-padding",
            ];
            if lenient && lenient_ok.contains(&label.as_deref().unwrap()) {
                assert_eq!(b["result_code"], 2001, "{label:?}");
                assert_eq!(r.code, 0);
                continue;
            }
            let rc = b["result_code"].as_u64().unwrap();
            assert!(b.get("error").is_some() || rc != 2001, "{label:?}: {b}");
            // Violations are data: only a message that cannot be framed fails the tool...
            let framed = b.get("error").is_none();
            assert_eq!(r.code, if framed { 0 } else { 1 }, "{label:?}");
            // ...unless any invalid message is asked to.
            args.push("--fail-on-invalid");
            let strict = run(&args, &hex_lines(&[&good_before, bad, &good_after]));
            assert_eq!(strict.code, 1, "{label:?}");
            assert_eq!(strict.stdout, r.stdout, "{label:?}");
            assert!(!b["violations"].as_array().unwrap().is_empty(), "{label:?}");
            for v in b["violations"].as_array().unwrap() {
                for key in ["result_code", "avp", "code", "vendor_id", "path", "message"] {
                    assert!(v.get(key).is_some(), "{label:?}: violation without {key}");
                }
            }
        }
    }
    // Specific cases.
    let one = |label: &str| {
        let (_, bytes) = cases
            .iter()
            .find(|(l, _)| l.as_deref() == Some(label))
            .unwrap();
        run(&["decode", "--format", "json"], &hex_lines(&[bytes]))
            .objects()
            .remove(0)
    };
    let v2 = one("broken-version-2");
    assert!(v2["error"].is_string());
    assert_eq!(v2["result_code"], 5011);
    assert_eq!(v2["version"], 2);
    let long = one("broken-hdr-len-too-long");
    assert!(long["error"].is_string());
    assert_eq!(long["result_code"], 5015);
    assert_eq!(long["command_code"], 272);
    let bits = one("broken-cmd-reserved-flags");
    assert_eq!(bits["result_code"], 5013);
    assert!(bits.get("error").is_none());
    assert!(
        !bits["avps"].as_array().unwrap().is_empty(),
        "the AVPs are still shown"
    );
    let inner = one("broken-grouped-inner-overrun");
    assert_eq!(inner["result_code"], 5014);
    let mscc = avp(&inner["avps"], "Multiple-Services-Credit-Control");
    assert!(mscc["value"].is_string() && mscc["error"].is_string());
    let lt8 = one("broken-avp-len-lt-8");
    assert_eq!(lt8["result_code"], 5014);
    assert_eq!(lt8["violations"][0]["code"], 264);
    assert_eq!(lt8["violations"][0]["failed_avp"], "0000010840000008");
}

/// Unframeable input of every kind: too short for a header, a stream cut short, bad hex.
#[test]
fn unframeable_input_prints_an_error_object() {
    let dwr = vector("vectors.hex", "DWR");
    let r = run(&["decode", "--format", "json"], b"A\t0100003c8000\nB\tzz\n");
    let objs = r.objects();
    assert_eq!(objs.len(), 2);
    assert_eq!(objs[0]["label"], "A");
    assert!(objs[0]["error"].is_string());
    assert_eq!(objs[0]["length"], 60);
    assert!(objs[0].get("application_id").is_none());
    assert!(objs[1]["error"].as_str().unwrap().contains("hex"));
    assert_eq!(r.code, 1);
    // Binary: two whole messages, then a cut one.
    let mut bin = dwr.clone();
    bin.extend(&dwr);
    bin.extend(&dwr[..30]);
    let r = run(&["decode", "--format", "json"], &bin);
    let objs = r.objects();
    assert_eq!(objs.len(), 3);
    assert_eq!(objs[1]["result_code"], 2001);
    assert!(objs[2]["error"].is_string());
    assert_eq!(objs[2]["hop_by_hop"], objs[0]["hop_by_hop"]);
    assert_ne!(r.code, 0);
}

/// (d) The dictionary JSON.
#[test]
fn dict_json_has_credit_control() {
    let r = run(&["dict", "--format", "json"], b"");
    assert_eq!(r.code, 0);
    let d: Value = serde_json::from_slice(&r.stdout).unwrap();
    let app = d["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == 4)
        .unwrap();
    assert_eq!(app["name"], "Diameter Credit Control");
    assert_eq!(app["spec"], "RFC 4006");
    let ccr = app["commands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == 272)
        .unwrap();
    assert_eq!(ccr["name"], "Credit-Control");
    assert_eq!(ccr["request_abbrev"], "CCR");
    assert_eq!(ccr["answer_abbrev"], "CCA");
    assert_eq!(ccr["request"]["extensible"], true);
    let first = &ccr["request"]["rules"][0];
    assert_eq!(first["avp"], "Session-Id");
    assert_eq!(first["code"], 263);
    assert_eq!(first["vendor_id"], 0);
    assert_eq!(first["fixed"], true);
    assert_eq!(
        (first["min"].as_u64(), first["max"].as_u64()),
        (Some(1), Some(1))
    );
    let unbounded = ccr["request"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["avp"] == "Multiple-Services-Credit-Control")
        .unwrap();
    assert!(unbounded["max"].is_null());
    let crt = d["avps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "CC-Request-Type")
        .unwrap();
    assert_eq!(crt["code"], 416);
    assert_eq!(crt["type"], "Enumerated");
    assert_eq!(crt["flags"]["mandatory"], "must");
    assert_eq!(crt["flags"]["vendor"], "must-not");
    assert_eq!(crt["spec"], "RFC 4006");
    assert!(crt["grouped"].is_null());
    let names: Vec<(&str, i64)> = crt["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["value"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("INITIAL_REQUEST", 1),
            ("UPDATE_REQUEST", 2),
            ("TERMINATION_REQUEST", 3),
            ("EVENT_REQUEST", 4)
        ]
    );
    for a in d["avps"].as_array().unwrap() {
        assert!(a["enum"].is_array(), "{}", a["name"]);
    }
    let mscc = d["avps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Multiple-Services-Credit-Control")
        .unwrap();
    assert!(mscc["grouped"]["rules"].is_array());
    assert!(mscc["grouped"]["extensible"].is_boolean());
    // Filters.
    let one = run(&["dict", "--format", "json", "--avp", "416"], b"");
    let d: Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(d["avps"].as_array().unwrap().len(), 1);
    let cmd = run(&["dict", "--format", "json", "--command", "CCA"], b"");
    let d: Value = serde_json::from_slice(&cmd.stdout).unwrap();
    assert_eq!(d["applications"][0]["commands"][0]["code"], 272);
    assert!(d["avps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "Result-Code"));
    let text = run(&["dict", "--command", "Credit-Control"], b"").text();
    assert!(
        text.contains("< Session-Id >") && text.contains("*[ AVP ]"),
        "{text}"
    );
    assert_ne!(run(&["dict", "--avp", "No-Such-AVP"], b"").code, 0);
}

// A tiny capture writer: classic pcap, Ethernet, IPv4, TCP or SCTP.

fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0];
    p.extend(((20 + payload.len()) as u16).to_be_bytes());
    p.extend([0, 1, 0x40, 0, 64, proto, 0, 0]);
    p.extend(src);
    p.extend(dst);
    p.extend(payload);
    p
}

fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(sport.to_be_bytes());
    t.extend(dport.to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    t.extend([0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend(payload);
    t
}

fn ethernet(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend(ip);
    f
}

fn pcap(linktype: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0u8; 8]);
    out.extend(65535u32.to_le_bytes());
    out.extend(linktype.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend((1_700_000_000 + i as u32).to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend(f);
    }
    out
}

fn pcapng(linktype: u16, frames: &[Vec<u8>]) -> Vec<u8> {
    fn block(ty: u32, body: &[u8]) -> Vec<u8> {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let len = (body.len() + 12) as u32;
        let mut b = ty.to_le_bytes().to_vec();
        b.extend(len.to_le_bytes());
        b.extend(&body);
        b.extend(len.to_le_bytes());
        b
    }
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend(u64::MAX.to_le_bytes());
    let mut out = block(0x0a0d_0d0a, &shb);
    let mut idb = linktype.to_le_bytes().to_vec();
    idb.extend([0, 0]);
    idb.extend(65535u32.to_le_bytes());
    out.extend(block(1, &idb));
    for f in frames {
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend([0u8; 8]);
        epb.extend((f.len() as u32).to_le_bytes());
        epb.extend((f.len() as u32).to_le_bytes());
        epb.extend(f);
        out.extend(block(6, &epb));
    }
    out
}

const CLIENT: [u8; 4] = [192, 0, 2, 1];
const SERVER: [u8; 4] = [192, 0, 2, 2];

/// (e) One CCR split over two TCP segments, then a second message: both decode.
#[test]
fn pcap_with_a_message_split_over_tcp_segments() {
    let ccr = vectors("ccr-reference.hex").remove(0).1;
    let cca = vector("vectors.hex", "CCA-I");
    let (first, second) = ccr.split_at(100);
    let isn = 0xffff_fff0u32; // the sequence numbers wrap inside the stream
    let frames = vec![
        ethernet(&ipv4(6, CLIENT, SERVER, &tcp(40000, 3868, isn, 0x02, &[]))),
        ethernet(&ipv4(
            6,
            CLIENT,
            SERVER,
            &tcp(40000, 3868, isn.wrapping_add(1), 0x18, first),
        )),
        ethernet(&ipv4(
            6,
            CLIENT,
            SERVER,
            &tcp(40000, 3868, isn.wrapping_add(101), 0x18, second),
        )),
        ethernet(&ipv4(6, SERVER, CLIENT, &tcp(3868, 40000, 7, 0x18, &cca))),
    ];
    let dir = std::env::temp_dir().join(format!("diameter-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("two.pcap");
    std::fs::write(&file, pcap(1, &frames)).unwrap();
    let r = run(
        &[
            "decode",
            "--format",
            "json",
            "--lenient",
            file.to_str().unwrap(),
        ],
        b"",
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(r.code, 0, "{}", r.text());
    let objs = r.objects();
    assert_eq!(objs.len(), 2);
    assert_eq!(objs[0]["command"], "Credit-Control-Request");
    assert_eq!(objs[0]["length"], ccr.len());
    assert_eq!(objs[0]["capture"]["packet"], 3);
    assert_eq!(objs[0]["capture"]["src"], "192.0.2.1:40000");
    assert_eq!(objs[1]["command"], "Credit-Control-Answer");
    assert_eq!(objs[1]["capture"]["packet"], 4);
    // The reassembled message is the original bytes.
    let back = run(&["encode"], &r.stdout);
    assert_eq!(back.text().lines().next().unwrap(), hex::encode(&ccr));
}

/// pcapng, segments out of order with a retransmission, and Diameter over SCTP.
#[test]
fn pcapng_out_of_order_and_sctp() {
    let ccr = vectors("ccr-reference.hex").remove(0).1;
    let dwr = vector("vectors.hex", "DWR");
    let (a, rest) = ccr.split_at(60);
    let (b, c) = rest.split_at(200);
    let seg = |seq: u32, data: &[u8]| {
        ethernet(&ipv4(6, CLIENT, SERVER, &tcp(5000, 3868, seq, 0x18, data)))
    };
    // No SYN captured; the middle segment comes last, the first one twice.
    let frames = vec![
        seg(1000, a),
        seg(1260, c),
        seg(1000, a),
        seg(1060, b),
        seg(1260 + c.len() as u32, &dwr),
    ];
    let r = run(&["decode", "--format", "json"], &pcapng(1, &frames));
    let objs = r.objects();
    assert_eq!(objs.len(), 2, "{}", r.text());
    assert_eq!(objs[0]["command"], "Credit-Control-Request");
    assert_eq!(objs[0]["capture"]["packet"], 4);
    assert_eq!(objs[1]["command"], "Device-Watchdog-Request");
    assert_eq!(r.code, 0);
    // SCTP: one DATA chunk with PPID 46 on raw IPv4 (link type 101).
    let mut chunk = vec![0u8, 0x03];
    chunk.extend(((16 + dwr.len()) as u16).to_be_bytes());
    chunk.extend(1u32.to_be_bytes()); // TSN
    chunk.extend([0, 0, 0, 0]); // stream id, sequence
    chunk.extend(46u32.to_be_bytes());
    chunk.extend(&dwr);
    let mut sctp = Vec::new();
    sctp.extend(3868u16.to_be_bytes());
    sctp.extend(3868u16.to_be_bytes());
    sctp.extend([0u8; 8]);
    sctp.extend(chunk);
    let r = run(
        &["decode", "--format", "json"],
        &pcap(101, &[ipv4(132, CLIENT, SERVER, &sctp)]),
    );
    let objs = r.objects();
    assert_eq!(objs.len(), 1);
    assert_eq!(objs[0]["command"], "Device-Watchdog-Request");
    assert_eq!(objs[0]["capture"]["transport"], "sctp");
}

/// (f) The text tree: enum names and the nested MSCC.
#[test]
fn text_tree_shows_enums_and_nesting() {
    let r = run(&["decode", &vector_path("ccr-reference.hex")], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = r.text();
    assert!(text.starts_with("Credit-Control-Request (CCR)"), "{text}");
    assert!(
        text.contains("CC-Request-Type (416) [M] = INITIAL_REQUEST (1)"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "  Multiple-Services-Credit-Control (456) [M]")
        .unwrap();
    assert_eq!(lines[at + 1], "    Requested-Service-Unit (437) [M]");
    assert_eq!(lines[at + 2], "      CC-Total-Octets (421) [M] = 1000000");
    assert!(lines[at + 3..].contains(&"    Rating-Group (432) [M] = 100"));
    assert!(text.contains("result: 2001 DIAMETER_SUCCESS"));
    // Violations are listed, and the unknown AVP is shown (see `ccr_i_json_has_the_contract_keys`
    // on Sh-UDA's User-Data code 606); flag bits and Experimental-Result-Codes by name.
    let strict = run(&["decode", &vector_path("vectors.hex")], b"").text();
    assert!(strict
        .contains("5001 User-Data-Answer/AVP 606 (vendor 10415): unknown AVP with the M bit set"));
    assert!(strict.contains("Unknown-AVP (606, vendor 10415) [VM] = 0x3c3f786d6c"));
    assert!(strict.contains("CLR-Flags (1638, vendor 10415) [VM] = 2 (Reattach-Required)"));
    assert!(strict.contains("(DIAMETER_ERROR_"), "{strict}");
}

/// encode: defaults, names, errors per message without stopping the others.
#[test]
fn encode_defaults_and_errors() {
    let input = concat!(
        r#"{"command": "Device-Watchdog-Answer", "avps": [{"name": "Result-Code", "value": 2001}, {"name": "Origin-Host", "value": "a.example"}, {"name": "Origin-Realm", "value": "example"}]}"#,
        "\n",
        r#"{"command": "DWR", "avps": [{"name": "No-Such-AVP", "value": 1}]}"#,
        "\n",
        r#"{"command_code": 280, "avps": [{"code": 264, "value": "b.example"}, {"code": 296, "value": "example"}, {"code": 99999, "vendor_id": 7, "value": "c0ffee"}]}"#,
        "\n"
    );
    let r = run(&["encode"], input.as_bytes());
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("message 2") && r.stderr.contains("No-Such-AVP"),
        "{}",
        r.stderr
    );
    assert_eq!(r.text().lines().count(), 2);
    let dec = run(
        &["decode", "--format", "json", "--lenient"],
        r.text().as_bytes(),
    );
    let objs = dec.objects();
    assert_eq!(objs[0]["command"], "Device-Watchdog-Answer");
    assert_eq!(objs[0]["flags"]["request"], false);
    assert_eq!(objs[0]["result_code"], 2001);
    assert_eq!(objs[1]["command"], "Device-Watchdog-Request");
    assert_eq!(objs[1]["flags"]["request"], true);
    let unknown = &objs[1]["avps"][2];
    assert_eq!(unknown["code"], 99999);
    assert_eq!(unknown["vendor_id"], 7);
    assert_eq!(unknown["flags"]["vendor"], true);
    assert_eq!(unknown["value"], "c0ffee");
    // Origin-Host got the M bit from the dictionary.
    assert_eq!(objs[1]["avps"][0]["flags"]["mandatory"], true);
}

/// Malformed but framed messages also come back byte for byte: flags with reserved bits are
/// kept, and body bytes that cannot be walked as AVPs travel in `"unparsed"`. (Not the three
/// unframeable cases, which have no message to encode, nor non-zero padding, which the encoder
/// always writes as zeros.)
#[test]
fn malformed_messages_round_trip_too() {
    let skip = [
        "broken-hdr-len-too-long",
        "broken-hdr-len-too-short",
        "broken-version-2",
        "broken-nonzero-padding",
    ];
    let cases: Vec<_> = vectors("broken.hex")
        .into_iter()
        .filter(|(l, _)| !skip.contains(&l.as_deref().unwrap()))
        .collect();
    assert_eq!(cases.len(), 9);
    let input: Vec<&[u8]> = cases.iter().map(|(_, b)| b.as_slice()).collect();
    let decoded = run(&["decode", "--format", "json"], &hex_lines(&input));
    // Every one of them is framed: their violations do not fail the tool.
    assert_eq!(decoded.code, 0, "{}", decoded.stderr);
    let encoded = run(&["encode"], &decoded.stdout);
    assert_eq!(encoded.code, 0, "{}", encoded.stderr);
    for ((label, want), got) in cases.iter().zip(encoded.text().lines()) {
        assert_eq!(got, hex::encode(want), "{label:?}");
    }
    let objs = decoded.objects();
    let at = cases
        .iter()
        .position(|(l, _)| l.as_deref() == Some("broken-avp-len-lt-8"))
        .unwrap();
    let unparsed = objs[at]["unparsed"].as_str().unwrap();
    assert!(unparsed.starts_with("0000010840000004"), "{unparsed}");
}
