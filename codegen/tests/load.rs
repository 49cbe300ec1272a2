//! Loading valid dictionaries: the model they produce.

use std::path::Path;

use diameter_codegen::{load, AvpKey, AvpType, GrammarHeader, Model, RuleKind};

/// Loads fixture files (paths relative to the crate, so spans are machine independent).
fn load_ok(roots: &[&str]) -> Model {
    load(roots).unwrap_or_else(|error| panic!("fixtures must load:\n{error}"))
}

fn key(code: u32, vendor_id: u32) -> AvpKey {
    AvpKey { code, vendor_id }
}

#[test]
fn small_model_snapshot() {
    let model = load_ok(&["tests/fixtures/valid/small.xml"]);
    insta::assert_snapshot!(format!("{model:#?}"));
}

#[test]
fn imports_are_loaded_once_with_normalized_paths() {
    let model = load_ok(&[
        "tests/fixtures/valid/example.xml",
        "tests/fixtures/valid/./common/base.xml",
    ]);
    let files: Vec<&Path> = model.files.iter().map(|f| f.path.as_path()).collect();
    assert_eq!(
        files,
        [
            Path::new("tests/fixtures/valid/example.xml"),
            Path::new("tests/fixtures/valid/common/base.xml"),
            Path::new("tests/fixtures/valid/vendor/tgpp.xml"),
        ]
    );
    assert_eq!(model.files[1].spec, "RFC 6733");
    assert_eq!(
        model.files[1].title.as_deref(),
        Some("Diameter Base Protocol")
    );
    assert_eq!(model.files[2].title, None);
}

#[test]
fn vendors_and_flag_defaults() {
    let model = load_ok(&["tests/fixtures/valid/example.xml"]);
    let names: Vec<(u32, &str)> = model
        .vendors
        .values()
        .map(|v| (v.id, v.name.as_str()))
        .collect();
    assert_eq!(names, [(10415, "3GPP"), (32473, "Example")]);

    let imsi = &model.avps[&key(1, 10415)];
    assert_eq!(imsi.name, "3GPP-IMSI");
    assert_eq!(
        [imsi.flags.m, imsi.flags.v, imsi.flags.p].map(|f| f.as_str()),
        ["may", "must", "should-not"]
    );
    // Defaults: m must; v must with a vendor, must-not without; p may.
    let charging = &model.avps[&key(2, 10415)];
    assert_eq!(
        [charging.flags.m, charging.flags.v, charging.flags.p].map(|f| f.as_str()),
        ["must", "must", "may"]
    );
    let session = &model.avps[&key(263, 0)];
    assert_eq!(
        [session.flags.m, session.flags.v, session.flags.p].map(|f| f.as_str()),
        ["must", "must-not", "may"]
    );
    assert_eq!(session.ty.as_str(), "UTF8String");
    assert_eq!(session.spec, "RFC 6733");
    assert_eq!(session.section.as_deref(), Some("8.8"));
    assert_eq!(model.avps[&key(1, 32473)].spec, "RFC 9999");
}

#[test]
fn grammars_keep_every_rule_in_order() {
    let model = load_ok(&["tests/fixtures/valid/example.xml"]);
    let app = &model.applications[&16_777_999];
    assert_eq!(app.vendor_id, Some(32473));
    assert_eq!(app.module, "example");
    let command = &app.commands[&8_388_999];
    let request = &command.request;
    assert_eq!(
        request.header,
        GrammarHeader::Command {
            code: 8_388_999,
            request: true,
            proxiable: true,
            error: false,
            application_id: None,
        }
    );
    let rules: Vec<(&str, RuleKind, u32, Option<u32>)> = request
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.kind, r.min, r.max))
        .collect();
    assert_eq!(
        rules,
        [
            ("Session-Id", RuleKind::Fixed, 1, Some(1)),
            ("Origin-Host", RuleKind::Required, 1, Some(1)),
            ("Origin-Realm", RuleKind::Required, 1, Some(1)),
            ("Destination-Realm", RuleKind::Required, 1, Some(1)),
            ("Example-Counter", RuleKind::Required, 1, Some(1)),
            ("Example-Info", RuleKind::Optional, 2, Some(3)),
            ("3GPP-IMSI", RuleKind::Optional, 0, Some(1)),
            ("Result-Code", RuleKind::Optional, 0, Some(0)),
            ("Proxy-Info", RuleKind::Optional, 0, None),
        ]
    );
    assert!(request.extensible);
    assert_eq!(request.any_min, 0);
    assert_eq!(request.rules[5].avp, key(3, 32473));
    assert!(!command.answer.extensible, "the answer has no *[ AVP ]");

    let info = model.avps[&key(3, 32473)]
        .grammar
        .as_ref()
        .unwrap_or_else(|| panic!("Example-Info is grouped"));
    assert!(info.extensible);
    assert_eq!(info.any_min, 2);
    assert_eq!(
        info.header,
        GrammarHeader::Avp {
            code: 3,
            vendor_id: Some(32473)
        }
    );
    assert_eq!(info.span.to_string(), "tests/fixtures/valid/example.xml:48");
}

#[test]
fn recursion_through_optional_members_is_marked() {
    let model = load_ok(&["tests/fixtures/valid/example.xml"]);
    let recursive: Vec<&str> = model
        .avps
        .values()
        .filter(|avp| avp.recursive)
        .map(|avp| avp.name.as_str())
        .collect();
    assert_eq!(recursive, ["Self", "Match"]);
    assert!(model
        .avps
        .values()
        .filter(|avp| avp.recursive)
        .all(|avp| avp.ty == AvpType::Grouped));
}

#[test]
fn missing_root_is_an_io_error() {
    let error = load(&["tests/fixtures/no-such-file.xml"]).err();
    match error {
        Some(diameter_codegen::Error::Io { path, .. }) => {
            assert_eq!(path, Path::new("tests/fixtures/no-such-file.xml"));
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
}
