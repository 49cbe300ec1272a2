//! Messages that deployed equipment and independent stacks sent (`tests/vectors/captured/`, one
//! message a file, where each comes from in the README there) decode as the CLI decodes them:
//! with the richest grammar compiled in and the default options. Each is named, every AVP in it
//! is known to the dictionaries, and each is valid unless its file says which violation it
//! carries (`# expect:`), in which case exactly that violation is reported.
//!
//! The same files go through the `diameter` binary in `diameter-cli/tests/captured.rs`.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use diameter_messages::{richest_profile, Message};
use diameter_runtime::avp::AvpIter;
use diameter_runtime::types::AvpType;
use diameter_runtime::DecodeOptions;
use std::path::PathBuf;

/// What a capture's file says it should decode to.
#[derive(Debug, PartialEq)]
enum Expect {
    /// No violation: Result-Code 2001.
    Valid,
    /// Exactly one violation, shown as `Violation`'s `Display` up to the message text, e.g.
    /// `5008: Credit-Control-Request/Service-Information/PS-Information/3GPP-GPRS-...`.
    Violation(String),
}

struct Capture {
    file: String,
    command: String,
    expect: Expect,
    bytes: Vec<u8>,
}

fn captured_dir() -> PathBuf {
    diameter_tests::vectors_dir().join("captured")
}

/// Every `.hex` file of the directory, with its `# command:` and `# expect:` lines.
fn captures() -> Vec<Capture> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(captured_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hex"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            let field = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix("# ")?.strip_prefix(key))
                    .unwrap_or_else(|| panic!("{file}: no `# {key}` line"))
                    .trim()
                    .to_string()
            };
            let expect = match field("expect:").as_str() {
                "valid" => Expect::Valid,
                v => Expect::Violation(v.to_string()),
            };
            let command = field("command:");
            let mut msgs = diameter_tests::read_hex_file(&path);
            assert_eq!(msgs.len(), 1, "{file}: one message a file");
            let (_, bytes) = msgs.remove(0);
            Capture {
                file,
                command,
                expect,
                bytes,
            }
        })
        .collect()
}

/// `(code, vendor)` of every AVP of `buf`, nested ones included, that no dictionary defines.
fn unknown_avps(buf: &[u8], out: &mut Vec<(u32, u32)>) {
    for avp in AvpIter::new(buf) {
        let avp = avp.unwrap();
        let (code, vendor) = (avp.header.code, avp.header.vendor());
        match diameter_messages::avp_def(code, vendor) {
            None => out.push((code, vendor)),
            Some(def) if def.ty == AvpType::Grouped => unknown_avps(avp.data, out),
            Some(_) => {}
        }
    }
}

fn decode(bytes: &[u8]) -> diameter_runtime::Decoded<Message<'_>> {
    Message::decode_profile(bytes, &DecodeOptions::default(), richest_profile()).unwrap()
}

#[test]
fn captured_messages_decode_by_name_as_their_files_say() {
    let captures = captures();
    assert!(captures.len() >= 14, "{} captures", captures.len());
    let mut failures = Vec::new();
    for c in &captures {
        let decoded = decode(&c.bytes);
        if decoded.message.name() != Some(c.command.as_str()) {
            failures.push(format!(
                "{}: decoded as {:?}",
                c.file,
                decoded.message.name()
            ));
        }
        let mut unknown = Vec::new();
        unknown_avps(&c.bytes[20..], &mut unknown);
        if !unknown.is_empty() {
            failures.push(format!("{}: AVPs no dictionary knows: {unknown:?}", c.file));
        }
        let shown: Vec<String> = decoded.violations.iter().map(ToString::to_string).collect();
        let as_expected = match &c.expect {
            Expect::Valid => shown.is_empty(),
            Expect::Violation(v) => shown.len() == 1 && shown[0].starts_with(&format!("{v}: ")),
        };
        if !as_expected {
            failures.push(format!(
                "{}: expected {:?}, got {shown:?}",
                c.file, c.expect
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn capture(file: &str) -> Capture {
    captures().into_iter().find(|c| c.file == file).unwrap()
}

/// The GGSN's CCR carries TS 32.299's Service-Information typed, down to PS-Information.
#[test]
fn ggsn_ccr_service_information_is_typed() {
    let c = capture("gy-ccr-t-ggsn-mcc340.hex");
    let Message::RoCreditControlRequest(ccr) = decode(&c.bytes).message else {
        panic!("not TS 32.299's CCR");
    };
    let ps = ccr.service_information.unwrap().ps_information.unwrap();
    assert_eq!(ps.avp_3gpp_charging_id, Some(46_486_144));
    assert_eq!(ps.called_station_id.unwrap().as_str(), "ocsprodgp");
    assert_eq!(ccr.subscription_id.len(), 2);
}

/// RFC 4006's CCR has `*[ AVP ]`, so the profile-less decoding (what `Message::decode` does)
/// keeps Service-Information raw and finds nothing wrong: the 5008 of the GGSN captures comes
/// from TS 32.299's PS-Information grammar alone (see the README of `captured/`).
#[test]
fn ggsn_ccrs_are_valid_under_rfc4006() {
    for file in ["gy-ccr-t-ggsn-mcc340.hex", "gy-ccr-u-ggsn-mcc460.hex"] {
        let c = capture(file);
        let decoded = Message::decode(&c.bytes).unwrap();
        assert!(
            matches!(decoded.message, Message::CreditControlRequest(_)),
            "{file}"
        );
        assert!(
            decoded.violations.is_empty(),
            "{file}: {:?}",
            decoded.violations
        );
    }
}

/// The roaming MME's ULR: two Supported-Features whose Feature-Lists have named bits, and
/// ULR-Flags.
#[test]
fn mme_ulr_is_typed_with_named_bits() {
    let c = capture("s6a-ulr-mme-mcc228.hex");
    let Message::UpdateLocationRequest(ulr) = decode(&c.bytes).message else {
        panic!("not a ULR");
    };
    assert_eq!(ulr.ulr_flags, 3);
    let ulr_flags: Vec<_> = diameter_messages::bit_names(1405, 10415, ulr.ulr_flags).collect();
    assert_eq!(
        ulr_flags,
        ["Single-Registration-Indication", "S6a/S6d-Indicator"]
    );
    let lists: Vec<(u32, u32)> = ulr
        .supported_features
        .iter()
        .map(|f| (f.feature_list_id, f.feature_list))
        .collect();
    assert_eq!(lists, [(1, 0x0c00_0607), (2, 0x0801_0000)]);
    assert_eq!(ulr.rat_type, diameter_messages::ts29212::RatType::EUTRAN);
}

/// The lab HSS's AIA carries one E-UTRAN vector, typed.
#[test]
fn hss_aia_vector_is_typed() {
    let c = capture("s6a-aia-hss-mcc901.hex");
    let Message::AuthenticationInformationAnswer(aia) = decode(&c.bytes).message else {
        panic!("not an AIA");
    };
    let info = aia.authentication_info.unwrap();
    assert_eq!(info.e_utran_vector.len(), 1);
    let v = &info.e_utran_vector[0];
    assert_eq!(
        (v.rand.len(), v.xres.len(), v.autn.len(), v.kasme.len()),
        (16, 8, 16, 32)
    );
}

/// The OCS answers of application 4 decode as TS 32.299's CCA under the CLI's choice.
#[test]
fn ocs_answers_are_ts32299_ccas() {
    for file in ["gy-cca-i-ocs-mcc250.hex", "ro-cca-i-ocs-mcc643.hex"] {
        let c = capture(file);
        let decoded = decode(&c.bytes);
        let Message::RoCreditControlAnswer(cca) = decoded.message else {
            panic!("{file}: not TS 32.299's CCA");
        };
        assert_eq!(cca.result_code, 2001, "{file}");
        assert_eq!(cca.multiple_services_credit_control.len(), 1, "{file}");
    }
}
