//! Every dictionary in `dictionaries/` loads on its own, with everything it imports: no AVP
//! referenced and undefined, none defined twice with different facts, every grammar resolved.
//! Prints per specification the counts of applications, commands, grouped AVPs, AVPs and enum
//! values (`cargo test -p diameter-codegen --test all_dictionaries -- --nocapture`).
//!
//! `DICT=ts29272.xml` limits the run to one file (for whoever is writing it).

use std::path::{Path, PathBuf};

use diameter_codegen::{load, AvpType, Model};

fn dictionaries() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dictionaries");
    let only = std::env::var("DICT").ok();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .filter(|p| match only.as_deref() {
            Some(o) => p.file_name().is_some_and(|n| n == o),
            None => true,
        })
        .collect();
    files.sort();
    files
}

/// Counts of what `file` itself defines (not what it imports).
fn counts(model: &Model, file: &Path) -> [usize; 5] {
    let own = |span_file: &Path| span_file.file_name() == file.file_name();
    // Profile-less applications and profiles (`<application ... profile="3gpp">`) alike.
    let apps: Vec<_> = model
        .applications
        .values()
        .chain(model.profiles.values())
        .filter(|a| own(&a.span.file))
        .collect();
    let commands = apps.iter().map(|a| a.commands.len()).sum();
    let avps: Vec<_> = model.avps.values().filter(|a| own(&a.span.file)).collect();
    let grouped = avps.iter().filter(|a| a.ty == AvpType::Grouped).count();
    let enums = avps.iter().map(|a| a.enums.len()).sum();
    [apps.len(), commands, grouped, avps.len(), enums]
}

#[test]
fn every_dictionary_loads_with_its_imports() {
    let files = dictionaries();
    assert!(!files.is_empty(), "no dictionary found");
    let mut failures = Vec::new();
    println!("file\tapplications\tcommands\tgrouped\tavps\tenum values");
    for file in &files {
        match load(&[file]) {
            Ok(model) => {
                let [a, c, g, n, e] = counts(&model, file);
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                println!("{name}\t{a}\t{c}\t{g}\t{n}\t{e}");
            }
            Err(error) => failures.push(format!("{}:\n{error}", file.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
