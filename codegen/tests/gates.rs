//! Cargo features that compile what they reach (`emit/gates.rs`): an application's feature
//! compiles the AVPs of other modules its grammars reach, item by item, and declares their
//! module; the rest of that module stays behind its own feature.

use diameter_codegen::{Builder, Layout};

fn generate() -> Vec<diameter_codegen::GeneratedFile> {
    Builder::new()
        .dictionary("tests/fixtures/valid/gates/hss.xml")
        .layout(Layout::Crate {
            always_on: Vec::new(),
        })
        .generate()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn file(files: &[diameter_codegen::GeneratedFile], name: &str) -> String {
    files
        .iter()
        .find(|f| f.path == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .contents
        .clone()
}

/// The `#[cfg(..)]` just above `item` in `src` (`""` when its doc comment comes first).
fn gate<'a>(src: &'a str, item: &str) -> &'a str {
    let at = src
        .find(item)
        .unwrap_or_else(|| panic!("no {item} in\n{src}"));
    let before = &src[..at];
    let line_start = |i: usize| before[..i].rfind('\n').map_or(0, |n| n + 1);
    // Walk up over the item's doc comment and derives to the attribute, if any.
    let mut end = line_start(at);
    while end > 0 {
        let start = line_start(end - 1);
        let line = before[start..end].trim();
        if line.starts_with("#[cfg(") {
            return line;
        }
        if !(line.starts_with("///") || line.starts_with("#[")) {
            break;
        }
        end = start;
    }
    ""
}

#[test]
fn a_feature_compiles_the_items_it_reaches_in_other_modules() {
    let files = generate();
    let lib = file(&files, "lib.rs");
    assert_eq!(
        gate(&lib, "pub mod charging;"),
        r#"#[cfg(any(feature = "charging", feature = "hss"))]"#
    );
    assert_eq!(gate(&lib, "pub mod hss;"), r#"#[cfg(feature = "hss")]"#);
    let charging = file(&files, "charging.rs");
    // Reached by hss: compiled by either feature, which the module's own attribute says.
    assert_eq!(gate(&charging, "pub struct CsgInfo"), "");
    assert_eq!(gate(&charging, "pub static CSG_ID: AvpDef"), "");
    // Not reached by hss: its module's feature only.
    assert_eq!(
        gate(&charging, "pub struct ServiceInfo"),
        r#"#[cfg(feature = "charging")]"#
    );
    assert_eq!(
        gate(&charging, "pub static RATE: AvpDef"),
        r#"#[cfg(feature = "charging")]"#
    );
    // No feature enables another.
    let features = Builder::new()
        .dictionary("tests/fixtures/valid/gates/hss.xml")
        .layout(Layout::Crate {
            always_on: Vec::new(),
        })
        .cargo_features()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(features["hss"], Vec::<String>::new());
    assert_eq!(features["full"], ["charging", "hss"]);
}
