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
    // rfc4006.xml imports rfc7155.xml (for Filter-Id) besides rfc6733.xml.
    let files: Vec<&str> = model
        .files
        .iter()
        .filter_map(|f| f.path.file_name()?.to_str())
        .collect();
    assert_eq!(files, ["rfc6733.xml", "rfc4006.xml", "rfc7155.xml"]);
}

/// The names a grammar excludes (`0*0`), which the occurrence tables add.
fn excluded(grammar: &diameter_codegen::Grammar) -> Vec<&str> {
    grammar
        .rules
        .iter()
        .filter(|rule| rule.max == Some(0))
        .map(|rule| rule.name.as_str())
        .collect()
}

/// RFC 6733 section 10 and RFC 4006 section 10: the AVPs marked `0` are excluded.
#[test]
fn occurrence_tables_exclude_what_the_rfcs_mark_0() {
    let model = load_both();
    let base = &model.applications[&0];
    for code in [257, 282, 280] {
        let command = &base.commands[&code];
        for grammar in [&command.request, &command.answer] {
            assert!(
                excluded(grammar).contains(&"Session-Id"),
                "{}",
                command.name
            );
        }
    }
    // The applications of RFC 6733 and RFC 4006 (rfc4006.xml also brings RFC 7155's).
    for app in [0, 4].map(|id| &model.applications[&id]) {
        for command in app.commands.values() {
            // Result-Code is `0` in every request of both RFCs' tables.
            assert!(
                excluded(&command.request).contains(&"Result-Code"),
                "{} in application {}",
                command.request_abbrev,
                app.id
            );
            assert!(!excluded(&command.answer).contains(&"Result-Code"));
        }
    }
    // The one deviation: CER and CEA list Inband-Security-Id, so it is not excluded there.
    let cer = &base.commands[&257];
    assert!(!excluded(&cer.request).contains(&"Inband-Security-Id"));
    assert!(excluded(&base.commands[&280].request).contains(&"Inband-Security-Id"));
    // RFC 4006: Service-Context-Id is `0` in CCA; Granted-Service-Unit in CCR.
    let ccr = &model.applications[&4].commands[&272];
    assert!(excluded(&ccr.answer).contains(&"Service-Context-Id"));
    assert!(excluded(&ccr.request).contains(&"Granted-Service-Unit"));
    // The credit-control RAR carries RFC 6733's RAR column too.
    let rar = &model.applications[&4].commands[&258];
    assert_eq!(
        excluded(&rar.request),
        excluded(&base.commands[&258].request)
    );
    // Counts, row for row: RFC 6733 10.1 has 39 rows; its CER column has 12 non-zero cells
    // (with Inband-Security-Id), DWR's 3; 10.2's ACR and ACA 5 zeros each; RFC 4006 10.1's
    // CCR and CCA 13 each.
    assert_eq!(excluded(&cer.request).len(), 39 - 12);
    assert_eq!(excluded(&base.commands[&280].request).len(), 39 - 3);
    let acr = &model.applications[&3].commands[&271];
    assert_eq!(
        (excluded(&acr.request).len(), excluded(&acr.answer).len()),
        (5, 5)
    );
    assert_eq!(
        (excluded(&ccr.request).len(), excluded(&ccr.answer).len()),
        (13, 13)
    );
}

/// RFC 6733 6.11: exactly one of Auth- and Acct-Application-Id in a VSAI.
#[test]
fn vendor_specific_application_id_has_one_choice() {
    let model = load_both();
    let grammar = avp(&model, "Vendor-Specific-Application-Id")
        .grammar
        .as_ref()
        .unwrap_or_else(|| panic!("VSAI is grouped"));
    let names: Vec<Vec<&str>> = grammar
        .one_of
        .iter()
        .map(|choice| {
            choice
                .iter()
                .map(|&i| grammar.rules[i].name.as_str())
                .collect()
        })
        .collect();
    assert_eq!(names, [["Auth-Application-Id", "Acct-Application-Id"]]);
}

/// Result-Code values: RFC 6733 7.1 in rfc6733.xml, RFC 4006 9 in rfc4006.xml.
#[test]
fn result_code_values_come_from_both_files() {
    let model = load_both();
    let counts: Vec<(usize, &str)> = model
        .values
        .iter()
        .map(|v| {
            let file = v
                .span
                .file
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or("");
            (v.values.len(), file)
        })
        .collect();
    assert_eq!(counts, [(33, "rfc6733.xml"), (5, "rfc4006.xml")]);
}
