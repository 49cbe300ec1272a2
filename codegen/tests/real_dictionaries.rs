//! The project's own dictionaries (`dictionaries/`) load and say what the RFCs say.

use diameter_codegen::{load, AppKind, AvpKey, AvpType, GrammarHeader, Model, RuleKind};

const RFC6733: &str = "../dictionaries/rfc6733.xml";
const RFC4006: &str = "../dictionaries/rfc4006.xml";

fn load_both() -> Model {
    load(&[RFC6733, RFC4006]).unwrap_or_else(|error| panic!("dictionaries must load:\n{error}"))
}

/// The AVP called `name`.
fn avp<'m>(model: &'m Model, name: &str) -> &'m diameter_codegen::Avp {
    model
        .avps
        .values()
        .find(|avp| avp.name == name)
        .unwrap_or_else(|| panic!("no AVP {name}"))
}

#[test]
fn credit_control_request_starts_with_session_id() {
    let model = load_both();
    let app = &model.applications[&4];
    assert_eq!(app.kind, AppKind::Auth);
    assert_eq!(app.module, "credit_control");
    let ccr = &app.commands[&272];
    assert_eq!(
        (ccr.request_abbrev.as_str(), ccr.answer_abbrev.as_str()),
        ("CCR", "CCA")
    );
    assert_eq!(
        ccr.request.header,
        GrammarHeader::Command {
            code: 272,
            request: true,
            proxiable: true,
            error: false,
            application_id: None,
        }
    );
    let first = &ccr.request.rules[0];
    assert_eq!(first.name, "Session-Id");
    assert_eq!(first.kind, RuleKind::Fixed);
    assert_eq!(
        first.avp,
        AvpKey {
            code: 263,
            vendor_id: 0
        }
    );
    assert!(ccr.request.extensible);
    let mscc = ccr
        .request
        .rules
        .iter()
        .find(|rule| rule.name == "Multiple-Services-Credit-Control")
        .unwrap_or_else(|| panic!("CCR names MSCC"));
    assert_eq!(
        (mscc.kind, mscc.min, mscc.max),
        (RuleKind::Optional, 0, None)
    );
}

#[test]
fn rfc4006_avps() {
    let model = load_both();
    let mscc = avp(&model, "Multiple-Services-Credit-Control");
    assert_eq!(
        mscc.key,
        AvpKey {
            code: 456,
            vendor_id: 0
        }
    );
    assert_eq!(mscc.ty, AvpType::Grouped);
    assert!(mscc.grammar.is_some());
    assert_eq!(mscc.spec, "RFC 4006");

    let request_type = avp(&model, "CC-Request-Type");
    assert_eq!(request_type.ty, AvpType::Enumerated);
    let values: Vec<(&str, i32)> = request_type
        .enums
        .iter()
        .map(|e| (e.name.as_str(), e.value))
        .collect();
    assert_eq!(
        values,
        [
            ("INITIAL_REQUEST", 1),
            ("UPDATE_REQUEST", 2),
            ("TERMINATION_REQUEST", 3),
            ("EVENT_REQUEST", 4),
        ]
    );
    // RFC 4006 section 12.3: codes 411..=461, every one used, all vendor 0.
    let in_range = model
        .avps
        .values()
        .filter(|avp| avp.spec == "RFC 4006" && (411..=461).contains(&avp.key.code))
        .inspect(|avp| assert_eq!(avp.key.vendor_id, 0, "{}", avp.name))
        .count();
    assert_eq!(in_range, 51);
}

#[test]
fn rfc6733_base_application() {
    let model = load_both();
    let base = &model.applications[&0];
    assert_eq!(base.kind, AppKind::Base);
    let cer = &base.commands[&257];
    assert_eq!(cer.request_abbrev, "CER");
    let origin_host = avp(&model, "Origin-Host");
    assert_eq!(
        origin_host.key,
        AvpKey {
            code: 264,
            vendor_id: 0
        }
    );
    assert_eq!(origin_host.ty, AvpType::DiameterIdentity);
    assert_eq!(model.files.len(), 2);
}
