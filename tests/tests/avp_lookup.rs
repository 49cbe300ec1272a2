//! `diameter_messages::avp_def` (per-vendor tables plus a short `match`, see the codegen's
//! `emit/lookup.rs`) agrees with the modules' own dictionary tables.

use diameter_messages::{avp_def, dictionaries};

#[test]
fn every_enabled_avp_is_found_as_its_own_definition() {
    let mut checked = 0;
    for dict in dictionaries() {
        for &def in dict.avps {
            let found = avp_def(def.code, def.vendor_id).unwrap_or_else(|| {
                panic!("{} ({}, {}) not found", def.name, def.code, def.vendor_id)
            });
            // The same static, not merely an equal one: one definition per AVP.
            assert!(
                std::ptr::eq(found, def),
                "{} ({}, {}) found as {}",
                def.name,
                def.code,
                def.vendor_id,
                found.name
            );
            checked += 1;
        }
    }
    // Every module (the default features of this crate enable them all).
    assert!(checked > 1000, "only {checked} AVPs checked");
}

#[test]
fn keys_no_dictionary_defines_are_not_found() {
    let defined =
        |code: u32, vendor: u32| dictionaries().iter().any(|d| d.avp(code, vendor).is_some());
    // Holes and edges of the vendor 0 and 10415 tables, beyond them, and other vendors.
    for (code, vendor) in [
        (0, 0),
        (3, 0),
        (652, 0),
        (653, 0),
        (100_000, 0),
        (u32::MAX, 0),
        (0, 10415),
        (4413, 10415),
        (4414, 10415),
        (u32::MAX, 10415),
        (263, 10415),
        (263, 9),
        (9010, 5535),
        (9011, 5535),
        (302, 13019),
        (303, 13019),
    ] {
        assert_eq!(
            avp_def(code, vendor).is_some(),
            defined(code, vendor),
            "({code}, {vendor})"
        );
    }
}
