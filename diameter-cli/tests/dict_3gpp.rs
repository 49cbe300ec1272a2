//! `diameter dict --format json` and `diameter decode` show the 3GPP dictionaries by name: every
//! application of TS 29.272 (S6a, S13), TS 29.329 (Sh), TS 32.299 (Rf and Ro, the `3gpp`
//! profile of applications 3 and 4, beside RFC 6733's and RFC 4006's own) and TS 29.219 (Sy)
//! with all its commands, and every AVP the dictionaries define with its name, code, vendor,
//! type, flags, enumerated values, value names (vendor-scoped Experimental-Result-Codes among
//! them), named bits and grouped rules, as the compiled dictionaries hold them.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use diameter_runtime::dictionary::{AvpDef, GrammarDef};
use serde_json::{json, Value};

/// `diameter ARGS` with `stdin`: its exit status and stdout.
fn run(args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_diameter"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout)
}

fn dict() -> Value {
    let (code, out) = run(&["dict", "--format", "json"], b"");
    assert_eq!(code, 0);
    serde_json::from_slice(&out).unwrap()
}

/// The application object of `id` and `profile` (null for the application's own grammars).
fn app<'a>(d: &'a Value, id: u32, profile: Option<&str>) -> &'a Value {
    d["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id && a["profile"].as_str() == profile)
        .unwrap_or_else(|| panic!("no application {id} profile {profile:?}"))
}

fn grammar_json(g: &GrammarDef) -> Value {
    let rules: Vec<Value> = g
        .rules
        .iter()
        .map(|r| {
            json!({"avp": r.avp.name, "code": r.avp.code, "vendor_id": r.avp.vendor_id,
                   "fixed": r.fixed, "min": r.min, "max": r.max})
        })
        .collect();
    json!({"rules": rules, "extensible": g.extensible})
}

/// What `dict` must say of one AVP, from the compiled dictionaries themselves.
fn expected_avp(a: &AvpDef) -> Value {
    let enums: Vec<Value> = a
        .enums
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    let values: Vec<Value> = diameter_messages::value_sets()
        .into_iter()
        .filter(|s| (s.code, s.vendor_id) == (a.code, a.vendor_id))
        .flat_map(|s| {
            s.values
                .iter()
                .map(|(v, n)| json!({"name": n, "value": v, "scope_vendor": s.scope_vendor}))
        })
        .collect();
    let bits: Vec<Value> = diameter_messages::bit_sets()
        .into_iter()
        .filter(|s| (s.code, s.vendor_id) == (a.code, a.vendor_id))
        .flat_map(|s| {
            s.bits.iter().map(|(b, n)| {
                json!({"name": n, "bit": b, "mask": 1u32 << b, "scope": {
                    "vendor": s.scope.vendor, "application": s.scope.application,
                    "list_id": s.scope.list_id}})
            })
        })
        .collect();
    json!({
        "name": a.name, "code": a.code, "vendor_id": a.vendor_id, "type": a.ty.as_str(),
        "flags": {"mandatory": a.m.as_str(), "protected": a.p.as_str(), "vendor": a.v.as_str()},
        "spec": a.spec, "enum": enums, "values": values, "bits": bits,
        "grouped": a.grouped.map(grammar_json),
    })
}

#[test]
fn every_3gpp_application_is_listed_with_all_its_commands() {
    let d = dict();
    // (id, profile, spec prefix, the request abbreviations of every command)
    let wanted: [(u32, Option<&str>, &str, &[&str]); 6] = [
        (
            16_777_251,
            None,
            "3GPP TS 29.272",
            &["ULR", "CLR", "AIR", "IDR", "DSR", "PUR", "RSR", "NOR"],
        ),
        (16_777_252, None, "3GPP TS 29.272", &["ECR"]),
        (
            16_777_217,
            None,
            "3GPP TS 29.329",
            &["UDR", "PUR", "SNR", "PNR"],
        ),
        (3, Some("3gpp"), "3GPP TS 32.299", &["ACR"]),
        (4, Some("3gpp"), "3GPP TS 32.299", &["CCR", "RAR", "ASR"]),
        (16_777_302, None, "3GPP TS 29.219", &["SLR", "SNR", "STR"]),
    ];
    for (id, profile, spec, abbrevs) in wanted {
        let a = app(&d, id, profile);
        assert!(
            a["spec"].as_str().unwrap().starts_with(spec),
            "{id}: {}",
            a["spec"]
        );
        let mut listed: Vec<&str> = a["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["request_abbrev"].as_str().unwrap())
            .collect();
        listed.sort_unstable();
        let mut want = abbrevs.to_vec();
        want.sort_unstable();
        assert_eq!(listed, want, "application {id} {profile:?}");
    }
    // Every application and command the compiled dictionaries hold is there, with its
    // grammars rule for rule.
    let mut seen = 0;
    for dict_def in diameter_messages::dictionaries() {
        for a in dict_def.applications {
            let j = app(&d, a.id, a.profile);
            for c in a.commands {
                let jc = j["commands"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["code"] == c.code)
                    .unwrap_or_else(|| panic!("{} has no command {}", a.name, c.code));
                assert_eq!(jc["name"], c.name);
                assert_eq!(jc["answer_abbrev"], c.answer_abbrev);
                assert_eq!(jc["request"], grammar_json(c.request), "{}", c.name);
                assert_eq!(jc["answer"], grammar_json(c.answer), "{}", c.name);
                seen += 1;
            }
        }
    }
    assert!(seen >= 34, "{seen} commands");
}

/// RFC 4006's CCR and TS 32.299's are both shown: only the latter names Service-Information.
#[test]
fn both_profiles_of_ccr_are_shown() {
    let d = dict();
    let ccr_names = |profile| -> Vec<String> {
        let a = app(&d, 4, profile);
        let ccr = a["commands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == 272)
            .unwrap();
        ccr["request"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["avp"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!ccr_names(None).iter().any(|n| n == "Service-Information"));
    assert!(ccr_names(Some("3gpp"))
        .iter()
        .any(|n| n == "Service-Information"));
    assert_eq!(app(&d, 4, None)["spec"], "RFC 4006");
    // The text listing says which is which.
    let (_, text) = run(&["dict", "--command", "CCR"], b"");
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("Application 4 Diameter Credit Control (RFC 4006)"),
        "{text}"
    );
    assert!(text.contains("profile 3gpp"), "{text}");
}

#[test]
fn every_avp_is_listed_with_its_facts() {
    let d = dict();
    let listed: BTreeMap<(u64, u64), &Value> = d["avps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let key = (
                a["code"].as_u64().unwrap(),
                a["vendor_id"].as_u64().unwrap(),
            );
            (key, a)
        })
        .collect();
    let mut checked = 0;
    for dict_def in diameter_messages::dictionaries() {
        for a in dict_def.avps {
            // Where two modules define one (code, vendor), the look-up's definition is shown.
            let def = diameter_messages::avp_def(a.code, a.vendor_id).unwrap();
            let j = listed
                .get(&(u64::from(a.code), u64::from(a.vendor_id)))
                .unwrap_or_else(|| {
                    panic!("{} ({}, {}) is not listed", a.name, a.code, a.vendor_id)
                });
            assert_eq!(**j, expected_avp(def), "{}", a.name);
            checked += 1;
        }
    }
    assert!(checked >= 1000, "{checked} AVPs");
}

/// Named values and bits of the 3GPP AVPs people look for.
#[test]
fn experimental_results_and_bits_are_named() {
    let d = dict();
    let avp = |name: &str| {
        d["avps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    let erc = avp("Experimental-Result-Code");
    let scoped: Vec<(&str, u64)> = erc["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["scope_vendor"] == 10415)
        .map(|v| (v["name"].as_str().unwrap(), v["value"].as_u64().unwrap()))
        .collect();
    for want in [
        ("DIAMETER_ERROR_USER_UNKNOWN", 5001),
        ("DIAMETER_ERROR_ROAMING_NOT_ALLOWED", 5004),
        ("DIAMETER_AUTHENTICATION_DATA_UNAVAILABLE", 4181),
        ("DIAMETER_ERROR_USER_DATA_NOT_RECOGNIZED", 5100),
    ] {
        assert!(scoped.contains(&want), "{want:?} not in {scoped:?}");
    }
    let result_code = avp("Result-Code");
    assert!(result_code["values"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "DIAMETER_SUCCESS", "value": 2001, "scope_vendor": null})));
    let ulr_flags = avp("ULR-Flags");
    assert!(ulr_flags["bits"].as_array().unwrap().contains(&json!({
        "name": "S6a/S6d-Indicator", "bit": 1, "mask": 2,
        "scope": {"vendor": null, "application": null, "list_id": null}})));
    // S6a's Feature-List-ID 1 (TS 29.272 table 7.3.10/1).
    let feature_list = avp("Feature-List");
    let s6a_1: Vec<&str> = feature_list["bits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["scope"]["application"] == 16_777_251 && b["scope"]["list_id"] == 1)
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(s6a_1[0], "ODB-all-APN");
    assert!(s6a_1.contains(&"RegSub"), "{s6a_1:?}");
}

/// `decode` names a 3GPP Experimental-Result-Code by the Vendor-Id beside it.
#[test]
fn decode_names_experimental_result_codes() {
    let ula = json!({
        "command": "Update-Location-Answer", "application_id": 16_777_251,
        "hop_by_hop": 1, "end_to_end": 2,
        "avps": [
            {"name": "Session-Id", "value": "mme.example.net;1;2"},
            {"name": "Auth-Session-State", "value": 1},
            {"name": "Origin-Host", "value": "hss.example.net"},
            {"name": "Origin-Realm", "value": "example.net"},
            {"name": "Experimental-Result", "value": [
                {"name": "Vendor-Id", "value": 10415},
                {"name": "Experimental-Result-Code", "value": 5001}]}
        ]
    });
    let (code, hex) = run(&["encode"], ula.to_string().as_bytes());
    assert_eq!(code, 0);
    let (code, out) = run(&["decode", "--format", "json"], &hex);
    assert_eq!(code, 0);
    let m: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(m["command"], "Update-Location-Answer");
    assert_eq!(m["result_code"], 2001, "{}", m["violations"]);
    let er = m["avps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Experimental-Result")
        .unwrap();
    assert_eq!(
        er["value"][1]["names"],
        json!(["DIAMETER_ERROR_USER_UNKNOWN"])
    );
    let (_, text) = run(&["decode"], &hex);
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("Experimental-Result-Code (298) [M] = 5001 (DIAMETER_ERROR_USER_UNKNOWN)"),
        "{text}"
    );
}
