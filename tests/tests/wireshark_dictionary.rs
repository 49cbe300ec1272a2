//! Every AVP of every dictionary in `dictionaries/` is cross-checked against Wireshark's own
//! Diameter dictionary (`shared/oracles/wireshark-dict-dump.py --check`): code, vendor, name,
//! type and M/V flag rules agree, or the difference is listed in
//! `dictionaries/wireshark-differences.md` with the specification clause that settles it.
//!
//! The list is checked both ways: a difference Wireshark reports that is not listed fails, and
//! so does a listed one Wireshark no longer reports (a stale row).
//!
//! Skipped when Wireshark's dictionary or the oracle scripts are missing, unless
//! `DIAMETER_REQUIRE_ORACLES=1` (set by `.ci/run`).

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use diameter_codegen::{AvpKey, FlagRule, Model};
use diameter_tests::oracle;

/// Where tshark keeps the dictionary the script reads.
const WIRESHARK_DIR: &str = "/usr/share/wireshark/diameter";

/// One kind of difference the script reports.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    /// Wireshark has no AVP with this (vendor, code).
    Missing,
    /// Another name (case-insensitive).
    Name,
    /// Another type of another family (e.g. Unsigned32 vs Enumerated).
    Type,
    /// Another type of the same family (e.g. UTF8String vs OctetString).
    TypeSoft,
    /// Another M-bit rule.
    MFlag,
    /// Another V-bit rule.
    VFlag,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Missing,
        Kind::Name,
        Kind::Type,
        Kind::TypeSoft,
        Kind::MFlag,
        Kind::VFlag,
    ];

    /// The word the script starts a difference with, and the differences file uses.
    fn word(self) -> &'static str {
        match self {
            Kind::Missing => "MISSING",
            Kind::Name => "NAME",
            Kind::Type => "TYPE",
            Kind::TypeSoft => "TYPE~",
            Kind::MFlag => "MFLAG",
            Kind::VFlag => "VFLAG",
        }
    }

    fn from_word(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.word() == word)
    }
}

/// (vendor, code, kind): what a row of the differences file names.
type Difference = (u32, u32, Kind);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `dictionaries/*.xml`, loaded together (imports followed).
fn load_all() -> (Model, usize) {
    let dir = workspace().join("dictionaries");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let model = diameter_codegen::load(&files).unwrap_or_else(|e| panic!("{e}"));
    (model, files.len())
}

/// The script's spelling of a flag rule.
fn flag(rule: FlagRule) -> &'static str {
    match rule {
        FlagRule::Must => "must",
        FlagRule::May => "may",
        FlagRule::ShouldNot => "shouldnot",
        FlagRule::MustNot => "mustnot",
    }
}

/// The `--check` input: `vendor code name type M V`, one line per AVP.
fn check_input(model: &Model) -> String {
    let mut tsv = String::new();
    for avp in model.avps.values() {
        let AvpKey { code, vendor_id } = avp.key;
        writeln!(
            tsv,
            "{vendor_id}\t{code}\t{}\t{}\t{}\t{}",
            avp.name,
            avp.ty,
            flag(avp.flags.m),
            flag(avp.flags.v)
        )
        .unwrap();
    }
    tsv
}

/// Our side of a difference of `kind`, for the failure message.
fn ours(avp: &diameter_codegen::Avp, kind: Kind) -> String {
    match kind {
        Kind::Missing | Kind::Name => avp.name.clone(),
        Kind::Type | Kind::TypeSoft => avp.ty.to_string(),
        Kind::MFlag => flag(avp.flags.m).to_string(),
        Kind::VFlag => flag(avp.flags.v).to_string(),
    }
}

/// One report line of the script: the AVP and the differences found for it.
struct Reported {
    vendor: u32,
    code: u32,
    name: String,
    kinds: Vec<(Kind, String)>,
}

/// Parses `OK|DIFF <TAB> vendor <TAB> code <TAB> name <TAB> type <TAB> msg; msg...`.
fn parse_report(stdout: &str) -> Vec<Reported> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert!(f.len() >= 5, "unexpected report line: {line}");
            let kinds = f
                .get(5)
                .filter(|m| !m.is_empty())
                .map(|msgs| {
                    msgs.split("; ")
                        .map(|msg| {
                            let word = msg.split(' ').next().unwrap_or_default();
                            let kind = Kind::from_word(word)
                                .unwrap_or_else(|| panic!("unknown difference {msg:?} in {line}"));
                            (kind, msg.to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            Reported {
                vendor: f[1].parse().unwrap(),
                code: f[2].parse().unwrap(),
                name: f[3].to_string(),
                kinds,
            }
        })
        .collect()
}

/// A row of the differences file, for one (vendor, code, kind).
struct Listed {
    /// 1-based line in the file.
    line: usize,
    /// The "ours" cell.
    ours: String,
    /// The "Wireshark" cell.
    wireshark: String,
}

/// The differences listed in the file: every table row whose second cell is a list of kinds
/// (`TYPE`, `MFLAG, VFLAG`, ...) names the `vendor:code` keys in backquotes in its first cell,
/// then our value and Wireshark's.
fn parse_listed(text: &str) -> BTreeMap<Difference, Listed> {
    let mut listed = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 2 {
            continue;
        }
        let kinds: Option<Vec<Kind>> = cells[1]
            .split(',')
            .map(|w| Kind::from_word(w.trim().trim_matches('`')))
            .collect();
        let Some(kinds) = kinds else { continue };
        assert!(
            cells.len() >= 4,
            "line {}: a row of kinds needs the cells AVP | kind | ours | Wireshark",
            n + 1
        );
        let keys: Vec<(u32, u32)> = cells[0]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(|key| {
                let (v, c) = key
                    .split_once(':')
                    .unwrap_or_else(|| panic!("line {}: `{key}` is not vendor:code", n + 1));
                (v.parse().unwrap(), c.parse().unwrap())
            })
            .collect();
        assert!(
            !keys.is_empty(),
            "line {}: a row of kinds names no `vendor:code`",
            n + 1
        );
        for (v, c) in keys {
            for &k in &kinds {
                let row = Listed {
                    line: n + 1,
                    ours: cells[2].to_string(),
                    wireshark: cells[3].to_string(),
                };
                let dup = listed.insert((v, c, k), row);
                assert!(dup.is_none(), "line {}: {v}:{c} {k:?} listed twice", n + 1);
            }
        }
    }
    listed
}

/// A value as the file or the script writes it, reduced for comparison: no backquotes or
/// quotes, `(may by default)` read as `may`, flag rules without hyphens, case ignored.
fn norm(kind: Kind, value: &str) -> String {
    let mut v = value.trim().trim_matches('`').trim_matches('\'').trim();
    if let Some(inner) = v
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(" by default)"))
    {
        v = inner;
    }
    let v = v.trim().to_lowercase();
    match kind {
        Kind::MFlag | Kind::VFlag => v.replace('-', ""),
        _ => v,
    }
}

/// What the script reported for one difference.
struct Found {
    /// One line for the failure message.
    text: String,
    /// Our value.
    ours: String,
    /// Wireshark's value (empty for `MISSING`).
    wireshark: String,
}

#[test]
fn every_avp_agrees_with_wireshark_or_the_difference_is_listed() {
    let (model, n_files) = load_all();
    let available = Path::new(WIRESHARK_DIR).join("dictionary.xml").exists();
    let Some(dir) = oracle::require("Wireshark's Diameter dictionary", available) else {
        return;
    };
    let input = std::env::temp_dir().join(format!("diameter-wsdict-{}.tsv", std::process::id()));
    std::fs::write(&input, check_input(&model)).unwrap();
    let out = std::process::Command::new("python3")
        .arg(dir.join("wireshark-dict-dump.py"))
        .arg("--dir")
        .arg(WIRESHARK_DIR)
        .arg("--check")
        .arg(&input)
        .output()
        .expect("run python3");
    let _ = std::fs::remove_file(&input);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit 1 only says that hard differences exist; they are judged against the list below.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "wireshark-dict-dump.py failed:\n{stderr}"
    );
    let report = parse_report(&stdout);
    assert_eq!(report.len(), model.avps.len(), "one report line per AVP");

    let mut reported: BTreeMap<Difference, Found> = BTreeMap::new();
    let mut by_kind: BTreeMap<Kind, usize> = BTreeMap::new();
    let mut by_file: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &report {
        let key = AvpKey {
            code: r.code,
            vendor_id: r.vendor,
        };
        let avp = &model.avps[&key];
        let file = avp.span.file.file_name().unwrap().to_string_lossy();
        let stats = by_file.entry(file.to_string()).or_default();
        stats.0 += 1;
        if r.kinds.is_empty() {
            stats.1 += 1;
        }
        for (kind, msg) in &r.kinds {
            *by_kind.entry(*kind).or_default() += 1;
            let wireshark = msg.split_once("wireshark=").map_or("", |(_, w)| w);
            let found = Found {
                text: format!(
                    "{file} `{}:{}` {} {msg}, ours={}",
                    r.vendor,
                    r.code,
                    r.name,
                    ours(avp, *kind)
                ),
                ours: ours(avp, *kind),
                wireshark: wireshark.to_string(),
            };
            reported.insert((r.vendor, r.code, *kind), found);
        }
    }
    let agreeing = report.iter().filter(|r| r.kinds.is_empty()).count();
    println!(
        "{n_files} dictionaries, {} AVPs checked against Wireshark, {agreeing} agree",
        report.len()
    );
    for kind in Kind::ALL {
        println!(
            "  {:8}{}",
            kind.word(),
            by_kind.get(&kind).copied().unwrap_or(0)
        );
    }
    for (file, (n, ok)) in &by_file {
        println!("  {file}: {n} AVPs, {ok} agree");
    }

    let path = workspace().join("dictionaries/wireshark-differences.md");
    let listed = parse_listed(&std::fs::read_to_string(&path).unwrap());
    let unlisted: Vec<&str> = reported
        .iter()
        .filter(|(d, _)| !listed.contains_key(d))
        .map(|(_, f)| f.text.as_str())
        .collect();
    let stale: Vec<String> = listed
        .iter()
        .filter(|(d, _)| !reported.contains_key(d))
        .map(|((v, c, k), row)| format!("line {}: {v}:{c} {}", row.line, k.word()))
        .collect();
    // A listed difference whose values moved (our file or Wireshark changed) is stale too:
    // its reason may no longer hold.
    let changed: Vec<String> = listed
        .iter()
        .filter_map(|(d, row)| Some((d, row, reported.get(d)?)))
        .filter(|((_, _, k), row, f)| {
            *k != Kind::Missing
                && (norm(*k, &row.ours) != norm(*k, &f.ours)
                    || norm(*k, &row.wireshark) != norm(*k, &f.wireshark))
        })
        .map(|(_, row, f)| {
            format!(
                "line {}: row says ours={} wireshark={}; now {}",
                row.line, row.ours, row.wireshark, f.text
            )
        })
        .collect();
    assert!(
        unlisted.is_empty() && stale.is_empty() && changed.is_empty(),
        "dictionaries/wireshark-differences.md is out of date.\n\
         Reported by Wireshark but not listed ({}):\n  {}\n\
         Listed but no longer reported ({}):\n  {}\n\
         Listed with other values ({}):\n  {}",
        unlisted.len(),
        unlisted.join("\n  "),
        stale.len(),
        stale.join("\n  "),
        changed.len(),
        changed.join("\n  ")
    );
}
