//! The captured 3GPP messages of `tests/vectors/captured/` (what real equipment and independent
//! stacks sent; sources in the README there) through the built `diameter decode`: each is
//! named as its file says, no AVP is left without a name, and the Result-Code is the one its
//! file expects. `tests/tests/captured.rs` checks the same files through the library.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn captured_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/captured")
}

/// `diameter ARGS`: its exit status and stdout.
fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_diameter"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// The paths of every captured message file, sorted.
fn files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(captured_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hex"))
        .collect();
    v.sort();
    v
}

/// The value of the `# key` comment line of a captured file.
fn field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("# ")?.strip_prefix(key))
        .unwrap_or_else(|| panic!("no `# {key}` line"))
        .trim()
        .to_string()
}

/// The `(code, vendor_id)` of every AVP object below `avps` that has no name.
fn unnamed(avps: &Value, out: &mut Vec<(u64, u64)>) {
    for a in avps.as_array().unwrap() {
        if a["name"].is_null() {
            out.push((
                a["code"].as_u64().unwrap(),
                a["vendor_id"].as_u64().unwrap(),
            ));
        }
        if a["type"] == "Grouped" {
            unnamed(&a["value"], out);
        }
    }
}

#[test]
fn captured_messages_are_named_through_the_cli() {
    let files = files();
    assert!(files.len() >= 14, "{} captured files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let (command, expect) = (field(&text, "command:"), field(&text, "expect:"));
        let want_rc: u64 = match expect.as_str() {
            "valid" => 2001,
            v => v.split(':').next().unwrap().parse().unwrap(),
        };
        let p = path.to_str().unwrap();
        let (code, out) = run(&["decode", "--format", "json", p]);
        assert_eq!(code, 0, "{file}");
        let m: Value = serde_json::from_str(out.trim()).unwrap();
        if m["command"] != command.as_str() {
            failures.push(format!("{file}: command {}", m["command"]));
        }
        let mut missing = Vec::new();
        unnamed(&m["avps"], &mut missing);
        if !missing.is_empty() {
            failures.push(format!("{file}: AVPs without a name: {missing:?}"));
        }
        if m["result_code"] != want_rc {
            failures.push(format!(
                "{file}: result {} (want {want_rc}): {}",
                m["result_code"], m["violations"]
            ));
        }
        // The text tree names everything too.
        let (_, tree) = run(&["decode", p]);
        if tree.contains("Unknown-AVP") || tree.contains("unknown command") {
            failures.push(format!("{file}: the text tree has unknowns:\n{tree}"));
        }
        if !tree.contains(&format!("{command} (")) {
            failures.push(format!("{file}: the text tree does not name {command}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The roaming MME's ULR shows its Feature-List and ULR-Flags bits by name, in JSON and text.
#[test]
fn captured_ulr_shows_named_bits() {
    let p = captured_dir().join("s6a-ulr-mme-mcc228.hex");
    let (_, out) = run(&["decode", "--format", "json", p.to_str().unwrap()]);
    let m: Value = serde_json::from_str(out.trim()).unwrap();
    let avps = m["avps"].as_array().unwrap();
    let flags = avps.iter().find(|a| a["name"] == "ULR-Flags").unwrap();
    assert_eq!(
        flags["names"],
        serde_json::json!(["Single-Registration-Indication", "S6a/S6d-Indicator"])
    );
    let lists: Vec<&Value> = avps
        .iter()
        .filter(|a| a["name"] == "Supported-Features")
        .map(|sf| {
            sf["value"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == "Feature-List")
                .unwrap()
        })
        .collect();
    // TS 29.272 table 7.3.10/1 (list 1) and /2 (list 2), in S6a.
    let first = lists[0]["names"].as_array().unwrap();
    assert!(first.contains(&Value::from("ODB-all-APN")) && first.contains(&Value::from("RegSub")));
    assert_eq!(
        lists[1]["names"],
        serde_json::json!(["P-CSCF Restoration", "NR as Secondary RAT"])
    );
    let (_, tree) = run(&["decode", p.to_str().unwrap()]);
    assert!(
        tree.contains("ULR-Flags (1405, vendor 10415) [VM] = 3 (Single-Registration-Indication | S6a/S6d-Indicator)"),
        "{tree}"
    );
}
