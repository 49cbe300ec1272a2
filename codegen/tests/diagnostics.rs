//! Loading broken dictionaries: one fixture per kind of diagnostic, each with a snapshot of
//! everything reported.
//!
//! A fixture is `fixtures/broken/NAME.xml`, or a directory `fixtures/broken/NAME/` whose
//! `main.xml` and then every other file are given as roots.

use std::fs;
use std::path::{Path, PathBuf};

const BROKEN: &str = "tests/fixtures/broken";

/// The roots of fixture `name`, relative to the crate so that spans are machine independent.
fn roots(name: &str) -> Vec<PathBuf> {
    let dir = Path::new(BROKEN).join(name);
    if !dir.is_dir() {
        return vec![Path::new(BROKEN).join(format!("{name}.xml"))];
    }
    let mut others: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    others.retain(|path| path.file_name().is_some_and(|n| n != "main.xml"));
    others.sort();
    let mut roots = vec![dir.join("main.xml")];
    roots.extend(others);
    roots
}

/// Every diagnostic of fixture `name`, one per line.
fn diagnostics(name: &str) -> String {
    match diameter_codegen::load(&roots(name)) {
        Ok(_) => panic!("fixture {name} loaded without errors"),
        Err(error @ diameter_codegen::Error::Io { .. }) => panic!("fixture {name}: {error}"),
        Err(error) => {
            assert!(!error.diagnostics().is_empty());
            error.to_string()
        }
    }
}

macro_rules! broken {
    ($($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(diagnostics(stringify!($name)));
            }
        )*

        /// Every fixture in the directory has a test above.
        #[test]
        fn every_fixture_is_tested() {
            let tested = [$(stringify!($name)),*];
            let mut found: Vec<String> = fs::read_dir(BROKEN)
                .unwrap_or_else(|error| panic!("{BROKEN}: {error}"))
                .filter_map(|entry| {
                    let path = entry.ok()?.path();
                    Some(path.file_stem()?.to_str()?.to_string())
                })
                .collect();
            found.sort();
            let untested: Vec<&String> =
                found.iter().filter(|name| !tested.contains(&name.as_str())).collect();
            assert!(untested.is_empty(), "fixtures without a test: {untested:?}");
        }
    };
}

broken! {
    // XML shape (parse/xml.rs)
    malformed_xml,
    wrong_root,
    unknown_element,
    unknown_attribute,
    missing_attribute,
    bad_number,
    unexpected_text,
    command_children,
    avp_children,
    // Loading files
    import_missing,
    import_broken,
    cycle_clash,
    cycle_recursion,
    // Grammars (parse/abnf.rs)
    abnf_syntax,
    abnf_header,
    min_greater_than_max,
    fixed_not_first,
    duplicate_rule,
    wildcard_misuse,
    bad_bounds,
    // Vendors
    vendor_conflict,
    unknown_vendor,
    vendor_not_imported,
    // AVPs
    duplicate_avp,
    invalid_avp_name,
    unknown_type,
    bad_flag_rule,
    vendor_flag,
    enum_not_enumerated,
    enumerated_without_enums,
    duplicate_enum,
    grammar_misplaced,
    grammar_header_mismatch,
    unknown_avp,
    avp_not_imported,
    required_recursion,
    // Enum extensions
    enum_extension_shape,
    enum_extension_target,
    enum_extension_clash,
    // Rules outside the ABNF (lower/rules.rs)
    occurrence_table,
    exactly_one,
    values,
    values_vendor,
    bits,
    bits_shape,
    // Commands
    command_header_mismatch,
    command_flags,
    command_name_mismatch,
    duplicate_command,
    // Applications
    application_conflict,
    application_type,
    bad_module,
}
