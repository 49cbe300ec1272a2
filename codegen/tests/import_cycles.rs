//! Files that import each other (3GPP specifications name each other's AVPs): each file is
//! loaded once and sees the AVPs of every file reachable through its imports, cycles included.

use std::fmt::Write;
use std::path::Path;

use diameter_codegen::{load, Model};

fn load_ok(roots: &[&str]) -> Model {
    load(roots).unwrap_or_else(|error| panic!("fixtures must load:\n{error}"))
}

/// Files in load order, then each AVP with its file and resolved members, each command's
/// members: what the cycle changes, without the rest of the model.
fn summary(model: &Model) -> String {
    let mut out = String::new();
    for file in &model.files {
        let _ = writeln!(out, "file {} ({})", file.path.display(), file.spec);
    }
    let name = |key| model.avps.get(key).map_or("?", |a| a.name.as_str());
    for avp in model.avps.values() {
        let _ = write!(out, "avp {} [{}] {}", avp.name, avp.key, avp.span);
        if let Some(grammar) = &avp.grammar {
            let members: Vec<&str> = grammar.rules.iter().map(|r| name(&r.avp)).collect();
            let _ = write!(out, ": {}", members.join(", "));
        }
        if avp.recursive {
            out.push_str(" (recursive)");
        }
        out.push('\n');
    }
    for app in model.applications.values() {
        for command in app.commands.values() {
            for grammar in [&command.request, &command.answer] {
                let members: Vec<&str> = grammar.rules.iter().map(|r| name(&r.avp)).collect();
                let _ = writeln!(
                    out,
                    "command {} {}: {}",
                    app.id,
                    command.code,
                    members.join(", ")
                );
            }
        }
    }
    out
}

#[test]
fn two_files_importing_each_other_use_each_others_avps() {
    let model = load_ok(&["tests/fixtures/valid/import_cycle/main.xml"]);
    insta::assert_snapshot!(summary(&model));
}

#[test]
fn each_file_of_a_cycle_is_loaded_once_whichever_is_the_root() {
    for root in ["a.xml", "b.xml"] {
        let path = format!("tests/fixtures/valid/import_cycle/{root}");
        let model = load_ok(&[path.as_str()]);
        let mut files: Vec<&Path> = model.files.iter().map(|f| f.path.as_path()).collect();
        assert_eq!(files.len(), 2, "{files:?}");
        files.sort();
        files.dedup();
        assert_eq!(files.len(), 2, "a file loaded twice");
        assert_eq!(model.avps.len(), 4);
    }
    // Every file given as a root, some of them twice: still each once.
    let model = load_ok(&[
        "tests/fixtures/valid/import_cycle/b.xml",
        "tests/fixtures/valid/import_cycle/main.xml",
        "tests/fixtures/valid/import_cycle/a.xml",
        "tests/fixtures/valid/import_cycle/b.xml",
    ]);
    assert_eq!(model.files.len(), 3);
}

#[test]
fn a_three_file_cycle_sees_every_file() {
    let model = load_ok(&["tests/fixtures/valid/three_cycle/x.xml"]);
    let summary = summary(&model);
    // x.xml names Z-Value and Z-Group, which it reaches only through y.xml.
    assert!(
        summary.contains("avp X-Group [code 22] tests/fixtures/valid/three_cycle/x.xml:7: Y-Value, Z-Value, Z-Group (recursive)"),
        "{summary}"
    );
    // z.xml names y.xml's Y-Value, reached through x.xml.
    assert!(
        summary.contains("avp Z-Group [code 42] tests/fixtures/valid/three_cycle/z.xml:5: X-Value, Y-Value, X-Group (recursive)"),
        "{summary}"
    );
    // y.xml names values of z.xml's AVP.
    assert_eq!(model.values.len(), 1);
    assert_eq!(model.values[0].avp.code, 41);
    assert_eq!(model.files.len(), 3);
}
