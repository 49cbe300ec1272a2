//! `cargo xtask probe [--out DIR]`: a synthetic dictionary of 3GPP size, and a crate that
//! compiles it, kept as a benchmark of the emitter (generated lines, build times).
//!
//! The dictionary has the shape of TS 29.272 + 29.329 + 32.299 and what they import: 1,540
//! AVPs of which 340 Grouped, 20 commands, about 4,000 grammar rules, the larger groups
//! holding smaller ones (a DAG, as in the specs) and a tail of large `*-Information` groups
//! holding many optional groups. It is generated from a fixed seed, so every run writes the
//! same files. The crate (`DIR/Cargo.toml`, outside the workspace) depends on the workspace's
//! runtime, messages and codegen by path; its build.rs compiles `dict/probe.xml` with the
//! `Builder`, and its `decode` decodes with the generated `Message` and `MessageView`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// AVPs in the dictionary.
pub const AVPS: usize = 1540;
/// Grouped AVPs among them.
pub const GROUPED: usize = 340;
/// Commands (each a request and an answer grammar).
pub const COMMANDS: usize = 20;
/// The last groups, each holding many optional groups: the `*-Information` of 32.299.
const INFORMATION: usize = 30;
const VENDOR: u32 = 99_998;

/// A small deterministic generator (a 64-bit LCG): the same dictionary on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// What was written: the dictionary's rule count, for the report.
#[derive(Debug)]
pub struct Probe {
    /// The crate's directory.
    pub dir: PathBuf,
    /// Grammar rules in the dictionary.
    pub rules: usize,
}

/// The scalar types, in the proportions of the 3GPP dictionaries (roughly).
const SCALARS: &[&str] = &[
    "Unsigned32",
    "Unsigned32",
    "Unsigned32",
    "Enumerated",
    "Enumerated",
    "Enumerated",
    "UTF8String",
    "UTF8String",
    "OctetString",
    "OctetString",
    "Unsigned64",
    "Integer32",
    "Time",
    "DiameterIdentity",
    "Address",
];

fn name(i: usize, grouped: bool, info: bool) -> String {
    match (grouped, info) {
        (true, true) => format!("Probe-{i}-Information"),
        (true, false) => format!("Probe-Group-{i}"),
        _ => format!("Probe-Avp-{i}"),
    }
}

/// One grammar rule line naming `avp`, in a random shape.
fn rule(rng: &mut Lcg, avp: &str) -> String {
    match rng.below(20) {
        0..=1 => format!("{{ {avp} }}"),
        2..=13 => format!("[ {avp} ]"),
        14..=18 => format!("* [ {avp} ]"),
        _ => format!("0*4 [ {avp} ]"),
    }
}

/// The dictionary XML; `rfc6733` is the path of the shipped base dictionary it imports.
pub fn dictionary(rfc6733: &Path) -> (String, usize) {
    let mut rng = Lcg(0x5eed_d1a3_e7e5);
    let scalars = AVPS - GROUPED;
    // AVP i (1-based code) is a scalar for i <= scalars, else a group.
    let names: Vec<String> = (1..=AVPS)
        .map(|i| {
            let g = i > scalars;
            name(i, g, g && i > AVPS - INFORMATION)
        })
        .collect();
    let mut rules = 0;
    let mut x = String::new();
    let _ = writeln!(x, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        x,
        r#"<dictionary spec="Probe" release="1" title="Synthetic dictionary of 3GPP size">"#
    );
    let _ = writeln!(x, r#"  <import file="{}"/>"#, rfc6733.display());
    let _ = writeln!(x, r#"  <vendor id="{VENDOR}" name="Probe"/>"#);
    let _ = writeln!(
        x,
        r#"  <application id="16777990" name="Probe" type="auth" vendor="Probe" module="probe">"#
    );
    for c in 0..COMMANDS {
        let code = 8_388_900 + c;
        let _ = writeln!(
            x,
            r#"    <command code="{code}" name="Probe-{c}" request-abbrev="P{c}R" answer-abbrev="P{c}A">"#
        );
        for (tag, req) in [("request", true), ("answer", false)] {
            let abbrev = format!("P{c}{}", if req { "R" } else { "A" });
            let flags = if req { ", REQ, PXY" } else { ", PXY" };
            let mut body =
                format!("<{abbrev}> ::= < Diameter Header: {code}{flags} >\n< Session-Id >\n");
            let fixed = if req {
                "{ Auth-Application-Id }\n{ Origin-Host }\n{ Origin-Realm }\n{ Destination-Realm }\n"
            } else {
                "{ Result-Code }\n{ Origin-Host }\n{ Origin-Realm }\n"
            };
            body.push_str(fixed);
            rules += if req { 5 } else { 4 };
            // About twenty rules: some scalars, some groups, an Information group or two.
            let mut used = std::collections::BTreeSet::new();
            for _ in 0..16 {
                let i = if rng.below(3) == 0 {
                    scalars + rng.below(GROUPED)
                } else {
                    rng.below(scalars)
                };
                if used.insert(i) {
                    body.push_str(&rule(&mut rng, &names[i]));
                    body.push('\n');
                    rules += 1;
                }
            }
            body.push_str("*[ AVP ]\n");
            let _ = writeln!(x, "      <{tag}><![CDATA[\n{body}      ]]></{tag}>");
        }
        let _ = writeln!(x, "    </command>");
    }
    let _ = writeln!(x, "  </application>");
    for (k, n) in names.iter().enumerate() {
        let code = k + 1;
        let m = if rng.below(4) == 0 { "may" } else { "must" };
        if code <= scalars {
            let ty = SCALARS[rng.below(SCALARS.len())];
            let _ = write!(
                x,
                r#"  <avp name="{n}" code="{code}" vendor="Probe" type="{ty}" m="{m}" v="must" p="may">"#
            );
            if ty == "Enumerated" {
                for v in 0..rng.below(6) + 2 {
                    let _ = write!(x, r#"<enum name="VALUE_{v}" value="{v}"/>"#);
                }
            } else {
                let _ = write!(x, "Synthetic AVP {code}.");
            }
            let _ = writeln!(x, "</avp>");
            continue;
        }
        // A group: members drawn from the scalars and from groups before it (no cycles); the
        // Information groups hold many groups.
        let info = code > AVPS - INFORMATION;
        let (members, groups) = if info { (28, 20) } else { (8, 2) };
        let mut body = format!("{n} ::= < AVP Header: {code} {VENDOR} >\n");
        let mut used = std::collections::BTreeSet::new();
        for j in 0..members {
            let first_group = scalars;
            let i = if j < groups && k > first_group {
                first_group + rng.below(k - first_group)
            } else {
                rng.below(scalars)
            };
            if used.insert(i) {
                body.push_str(&rule(&mut rng, &names[i]));
                body.push('\n');
                rules += 1;
            }
        }
        if rng.below(2) == 0 {
            body.push_str("*[ AVP ]\n");
        }
        let _ = writeln!(
            x,
            r#"  <avp name="{n}" code="{code}" vendor="Probe" type="Grouped" m="{m}" v="must" p="may">
    <grammar><![CDATA[
{body}    ]]></grammar>
  </avp>"#
        );
    }
    let _ = writeln!(x, "</dictionary>");
    (x, rules)
}

/// Writes the dictionary and the crate into `dir`.
pub fn write(dir: &Path, workspace: &Path) -> std::io::Result<Probe> {
    let (xml, rules) = dictionary(&workspace.join("dictionaries/rfc6733.xml"));
    std::fs::create_dir_all(dir.join("dict"))?;
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(dir.join("dict/probe.xml"), xml)?;
    let ws = workspace.display();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            r#"# Written by `cargo xtask probe`: a benchmark of the emitter, not a workspace member.
[package]
name = "diameter-probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
diameter-runtime = {{ path = "{ws}/diameter-runtime" }}
diameter-messages = {{ path = "{ws}/diameter-messages" }}

[build-dependencies]
diameter-codegen = {{ path = "{ws}/codegen" }}

[workspace]
"#
        ),
    )?;
    std::fs::write(
        dir.join("build.rs"),
        r#"fn main() {
    let result = diameter_codegen::Builder::new()
        .dictionary("dict/probe.xml")
        .extern_path("base", "::diameter_messages::base")
        .extern_path("accounting", "::diameter_messages::accounting")
        .compile();
    if let Err(error) = result {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
"#,
    )?;
    std::fs::write(
        dir.join("src/lib.rs"),
        r#"//! The probe dictionary, compiled by build.rs.

/// The generated code.
#[allow(clippy::all, missing_docs, unused_imports)]
pub mod probe {
    include!(concat!(env!("OUT_DIR"), "/diameter_dictionary.rs"));
}

/// Decodes `bytes` as the struct and as the view; the violations found by each.
pub fn decode(bytes: &[u8]) -> (usize, usize) {
    let message = probe::Message::decode(bytes).map_or(0, |d| d.violations.len());
    let view = probe::MessageView::decode(bytes).map_or(0, |d| d.violations.len());
    (message, view)
}
"#
        .to_string()
            + &sizes_test(),
    )?;
    Ok(Probe {
        dir: dir.to_path_buf(),
        rules,
    })
}

/// A test printing the size of every command struct and `*-Information` group (`cargo test
/// -- --nocapture` in the probe crate): what boxing large optional groups changes.
fn sizes_test() -> String {
    let mut t =
        String::from("\n#[test]\nfn sizes() {\n    use std::mem::size_of;\n    let sizes = [\n");
    for c in 0..COMMANDS {
        let _ = writeln!(
            t,
            "        (\"Probe{c}Request\", size_of::<probe::probe::Probe{c}Request>()),"
        );
    }
    for i in AVPS - INFORMATION + 1..=AVPS {
        let _ = writeln!(
            t,
            "        (\"Probe{i}Information\", size_of::<probe::probe::Probe{i}Information>()),"
        );
    }
    t.push_str(
        "    ];\n    let max = sizes.iter().max_by_key(|s| s.1).unwrap();\n    \
         println!(\"largest: {} {} bytes; Probe0Request {} bytes\", max.0, max.1, sizes[0].1);\n}\n",
    );
    t
}
