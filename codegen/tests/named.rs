//! Names that serve people: vendor-scoped `<values>` (Experimental-Result-Code) and `<bits>`.

use diameter_codegen::{load, BitScope, Model};

fn load_ok(roots: &[&str]) -> Model {
    load(roots).unwrap_or_else(|error| panic!("fixtures must load:\n{error}"))
}

/// (scope vendor, value, name) of every named value of AVP `code`.
fn named(model: &Model, code: u32) -> Vec<(Option<u32>, u32, &str)> {
    model
        .values
        .iter()
        .filter(|v| v.avp.code == code)
        .flat_map(|v| {
            v.values
                .iter()
                .map(move |n| (v.scope_vendor, n.value, n.name.as_str()))
        })
        .collect()
}

#[test]
fn values_are_scoped_by_the_vendor_beside_them() {
    let model = load_ok(&["tests/fixtures/valid/values_vendor/main.xml"]);
    assert_eq!(
        named(&model, 298),
        [
            (Some(10415), 5001, "DIAMETER_ERROR_USER_UNKNOWN"),
            (Some(10415), 5002, "DIAMETER_ERROR_IDENTITIES_DONT_MATCH"),
            (Some(32473), 5001, "EXAMPLE_BUSY"),
            (None, 5001, "ANY_VENDOR_5001"),
        ]
    );
    // The AVP itself stays vendor 0: the scope is the sibling Vendor-Id, not the AVP's key.
    assert!(model.values.iter().all(|v| v.avp.vendor_id == 0));
}

#[test]
fn the_3gpp_experimental_result_register_compiles_scoped() {
    let model = load_ok(&["../dictionaries/ts29230.xml"]);
    let names = named(&model, 298);
    assert!(names.len() > 100, "{}", names.len());
    assert!(names.iter().all(|(scope, _, _)| *scope == Some(10415)));
    assert!(names.contains(&(Some(10415), 5001, "DIAMETER_ERROR_USER_UNKNOWN")));
    // RFC 6733's Result-Code 5001 keeps its own, unscoped name.
    let result_codes = named(&model, 268);
    assert!(result_codes.contains(&(None, 5001, "DIAMETER_AVP_UNSUPPORTED")));
}

#[test]
fn bits_are_named_per_avp_and_per_feature_list() {
    let model = load_ok(&["tests/fixtures/valid/bits/main.xml"]);
    let flags: Vec<(u32, &str, &str)> = model
        .bits
        .iter()
        .filter(|b| b.avp.code == 1405)
        .flat_map(|b| &b.bits)
        .map(|b| (b.bit, b.name.as_str(), b.doc.as_str()))
        .collect();
    assert_eq!(
        flags,
        [
            (0, "Single-Registration-Indication", ""),
            (
                1,
                "S6a/S6d-Indicator",
                "Set by an MME (S6a), clear from an SGSN (S6d)."
            ),
            (8, "Dual-Registration-5G-Indicator", ""),
        ]
    );
    let ulr_flags = &model.bits[0];
    assert_eq!(ulr_flags.scope, BitScope::default());

    // Feature-List bit 0 and 27: one meaning per list of S6a.
    let lists: Vec<(BitScope, Vec<(u32, &str)>)> = model
        .bits
        .iter()
        .filter(|b| b.avp.code == 630)
        .map(|b| {
            let bits = b.bits.iter().map(|x| (x.bit, x.name.as_str())).collect();
            (b.scope, bits)
        })
        .collect();
    let scope = |list_id| BitScope {
        vendor: Some(10415),
        application: Some(16_777_251),
        list_id: Some(list_id),
    };
    assert_eq!(
        lists,
        [
            (
                scope(1),
                vec![(0, "ODB-all-APN"), (27, "T-ADS Data Retrieval")]
            ),
            (
                scope(2),
                vec![(0, "SMS in MME"), (27, "Dedicated Core Networks")]
            ),
        ]
    );
}
