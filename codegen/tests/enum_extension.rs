//! `<enum-extension>`: the model it lowers to and the module it is emitted as.

use diameter_codegen::model::EnumExtension;
use diameter_codegen::{AvpKey, Builder, EnumValue, Span};

const VENDOR: &str = "tests/fixtures/valid/extension/vendor.xml";

fn value(name: &str, value: i32) -> EnumValue {
    EnumValue {
        name: name.into(),
        value,
    }
}

#[test]
fn model_keeps_extensions_apart_from_the_avp() {
    let model = diameter_codegen::load(&[VENDOR]).unwrap_or_else(|e| panic!("{e}"));
    let cause = AvpKey {
        code: 1,
        vendor_id: 0,
    };
    // The AVP's own values are unchanged.
    assert_eq!(model.avps[&cause].enums, [value("ONE", 1), value("TWO", 2)]);
    assert_eq!(
        model.enum_extensions,
        [
            EnumExtension {
                avp: cause,
                values: vec![value("VENDOR-GONE", 100), value("VENDOR_GONE", -7)],
                doc: "Causes our gateways report.".into(),
                span: Span::new(VENDOR, 4),
            },
            EnumExtension {
                avp: cause,
                values: vec![value("VENDOR_BACK", 101)],
                doc: String::new(),
                span: Span::new(VENDOR, 9),
            },
        ]
    );
}

/// The generated `vendor::cause_ext` module, formatted.
fn ext_module(builder: Builder) -> String {
    let files = builder
        .dictionary(VENDOR)
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(files.len(), 1);
    let file: syn::File =
        syn::parse_str(&files[0].contents).unwrap_or_else(|e| panic!("generated code parses: {e}"));
    let find = |items: &[syn::Item], name: &str| -> Option<syn::ItemMod> {
        items.iter().find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == name => Some(m.clone()),
            _ => None,
        })
    };
    let vendor = find(&file.items, "vendor").unwrap_or_else(|| panic!("no module vendor"));
    let items = vendor.content.map(|(_, items)| items).unwrap_or_default();
    let ext = find(&items, "cause_ext").unwrap_or_else(|| panic!("no module cause_ext"));
    prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![syn::Item::Mod(ext)],
    })
}

#[test]
fn emitted_next_to_a_local_enum() {
    // Both modules generated: the enum is a sibling of the extension's module.
    insta::assert_snapshot!(ext_module(Builder::new()));
}

#[test]
fn emitted_against_an_extern_enum() {
    insta::assert_snapshot!(ext_module(
        Builder::new().extern_path("base", "::shipped::base")
    ));
}

#[test]
fn extending_module_compiles_the_enum_it_extends() {
    // Crate layout, `base` behind a feature too: `vendor` uses base's enum only through its
    // extension, so feature `vendor` alone declares `base` and compiles that enum.
    let files = Builder::new()
        .dictionary(VENDOR)
        .layout(diameter_codegen::Layout::Crate {
            always_on: Vec::new(),
        })
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
    let file = |name: &str| {
        files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap_or_else(|| panic!("no {name}"))
            .contents
            .clone()
    };
    let lib = file("lib.rs");
    assert!(
        lib.contains("#[cfg(any(feature = \"base\", feature = \"vendor\"))]\npub mod base;"),
        "{lib}"
    );
    // Every feature reaching the enum compiles it; base's module attribute says so already.
    let base = file("base.rs");
    let at = base
        .find("pub struct Cause")
        .unwrap_or_else(|| panic!("{base}"));
    assert!(!base[..at].contains("#[cfg("), "{base}");
}
