//! Dictionary look-ups shared by the subcommands, and `diameter dict`: the applications,
//! commands with their grammars, and AVPs of every enabled dictionary, as JSON (the shape of
//! CLI-JSON.md) or as a listing for people.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::OnceLock;

use diameter_runtime::dictionary::{
    ApplicationDef, AvpDef, BitNames, CommandDef, Dictionaries, Dictionary, GrammarDef, RuleDef,
    ValueNames,
};
use serde::Serialize;

/// Every enabled dictionary, searched in the order `diameter_messages::avp_def` uses.
pub fn all() -> Dictionaries {
    static DICTS: OnceLock<Vec<&'static Dictionary>> = OnceLock::new();
    Dictionaries(
        DICTS
            .get_or_init(diameter_messages::dictionaries)
            .as_slice(),
    )
}

/// The command (application, code), with the application 0 fallback of RFC 6733.
pub fn command(
    application_id: u32,
    code: u32,
) -> Option<(&'static ApplicationDef, &'static CommandDef)> {
    all().command(application_id, code)
}

/// Every application, by id and then profile: an application's own grammars first, then
/// each profile's that redefines some of its commands (TS 32.299's CCR and ACR under
/// `3gpp`). The first dictionary defining an (id, profile) wins.
pub fn applications() -> Vec<&'static ApplicationDef> {
    let mut by_id: BTreeMap<(u32, Option<&'static str>), &'static ApplicationDef> = BTreeMap::new();
    for a in all().applications() {
        by_id.entry((a.id, a.profile)).or_insert(a);
    }
    by_id.into_values().collect()
}

/// Every AVP, by (code, vendor); where several dictionaries define one, the definition
/// `avp_def` returns.
pub fn avps() -> Vec<&'static AvpDef> {
    let mut by_key: BTreeMap<(u32, u32), &'static AvpDef> = BTreeMap::new();
    for a in all().avps() {
        if let Some(d) = diameter_messages::avp_def(a.code, a.vendor_id) {
            by_key.entry((a.code, a.vendor_id)).or_insert(d);
        }
    }
    by_key.into_values().collect()
}

/// The AVP named `name` (exactly, else ignoring case).
pub fn avp_by_name(name: &str) -> Option<&'static AvpDef> {
    all().avp_by_name(name).or_else(|| {
        avps()
            .into_iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    })
}

/// A command found by name: `Credit-Control`, `Credit-Control-Request`, `CCR`, or a code. The
/// `Option<bool>` says whether the name picked the request (`Some(true)`) or answer.
pub fn find_command(
    query: &str,
) -> Vec<(&'static ApplicationDef, &'static CommandDef, Option<bool>)> {
    let q = query.trim();
    let mut out = Vec::new();
    for app in applications() {
        for c in app.commands {
            let request_name = format!("{}-Request", c.name);
            let answer_name = format!("{}-Answer", c.name);
            let side = if q.eq_ignore_ascii_case(c.request_abbrev)
                || q.eq_ignore_ascii_case(&request_name)
            {
                Some(Some(true))
            } else if q.eq_ignore_ascii_case(c.answer_abbrev)
                || q.eq_ignore_ascii_case(&answer_name)
            {
                Some(Some(false))
            } else if q.eq_ignore_ascii_case(c.name) || q.parse::<u32>().ok() == Some(c.code) {
                Some(None)
            } else {
                None
            };
            if let Some(side) = side {
                out.push((app, c, side));
            }
        }
    }
    out
}

/// What `diameter dict` shows.
pub struct Selection {
    /// Applications, each with the commands shown.
    pub applications: Vec<(&'static ApplicationDef, Vec<&'static CommandDef>)>,
    /// AVPs shown.
    pub avps: Vec<&'static AvpDef>,
}

/// Picks what to show: everything, or one AVP, or one command (with the AVPs its grammars
/// name), or both.
pub fn select(avp: Option<&str>, command: Option<&str>) -> Result<Selection, String> {
    let mut sel = Selection {
        applications: Vec::new(),
        avps: Vec::new(),
    };
    if avp.is_none() && command.is_none() {
        sel.applications = applications()
            .into_iter()
            .map(|a| (a, a.commands.iter().collect()))
            .collect();
        sel.avps = avps();
        return Ok(sel);
    }
    if let Some(q) = command {
        let found = find_command(q);
        if found.is_empty() {
            return Err(format!("no command named {q:?} in the dictionaries"));
        }
        let mut names: BTreeMap<(u32, u32), &'static AvpDef> = BTreeMap::new();
        for (app, c, _) in found {
            let same = |a: &&ApplicationDef| a.id == app.id && a.profile == app.profile;
            match sel.applications.iter_mut().find(|(a, _)| same(a)) {
                Some((_, cmds)) => cmds.push(c),
                None => sel.applications.push((app, vec![c])),
            }
            for g in [c.request, c.answer] {
                for r in g.rules {
                    names.insert((r.avp.code, r.avp.vendor_id), r.avp);
                }
            }
        }
        if avp.is_none() {
            sel.avps = names.into_values().collect();
        }
    }
    if let Some(q) = avp {
        let q = q.trim();
        let by_code = match q.split_once(':') {
            Some((c, v)) => c.parse::<u32>().ok().zip(v.parse::<u32>().ok()),
            None => q.parse::<u32>().ok().map(|c| (c, 0)),
        };
        let found: Vec<_> = match by_code {
            Some((code, vendor)) => diameter_messages::avp_def(code, vendor)
                .into_iter()
                .collect(),
            None => avp_by_name(q).into_iter().collect(),
        };
        if found.is_empty() {
            return Err(format!("no AVP {q:?} in the dictionaries"));
        }
        sel.avps = found;
    }
    Ok(sel)
}

// JSON shapes of CLI-JSON.md, fields in its order.

/// The `dict --format json` document.
#[derive(Serialize)]
pub struct DictJson {
    applications: Vec<AppJson>,
    avps: Vec<AvpJson>,
}

#[derive(Serialize)]
struct AppJson {
    id: u32,
    name: &'static str,
    spec: &'static str,
    vendor_id: u32,
    /// The profile these grammars belong to (`"3gpp"`), null for the application's own.
    profile: Option<&'static str>,
    commands: Vec<CommandJson>,
}

#[derive(Serialize)]
struct CommandJson {
    code: u32,
    name: &'static str,
    request_abbrev: &'static str,
    answer_abbrev: &'static str,
    proxiable: bool,
    request: GrammarJson,
    answer: GrammarJson,
}

#[derive(Serialize)]
struct GrammarJson {
    rules: Vec<RuleJson>,
    extensible: bool,
}

#[derive(Serialize)]
struct RuleJson {
    avp: &'static str,
    code: u32,
    vendor_id: u32,
    fixed: bool,
    min: u32,
    max: Option<u32>,
}

#[derive(Serialize)]
struct AvpJson {
    name: &'static str,
    code: u32,
    vendor_id: u32,
    #[serde(rename = "type")]
    ty: &'static str,
    flags: FlagsJson,
    spec: &'static str,
    #[serde(rename = "enum")]
    enums: Vec<EnumJson>,
    /// Names of Unsigned32 values (`<values>`), the vendor-scoped ones with their vendor.
    values: Vec<ValueJson>,
    /// Names of the bits of a bit-mask Unsigned32 AVP (`<bits>`), with where they hold.
    bits: Vec<BitJson>,
    grouped: Option<GrammarJson>,
}

#[derive(Serialize)]
struct ValueJson {
    name: &'static str,
    value: u32,
    /// The Vendor-Id that must be beside the AVP (Experimental-Result's), null if none.
    scope_vendor: Option<u32>,
}

#[derive(Serialize)]
struct BitJson {
    name: &'static str,
    /// Bit number, 0 for the mask value 1.
    bit: u32,
    mask: u32,
    scope: ScopeJson,
}

#[derive(Serialize)]
struct ScopeJson {
    vendor: Option<u32>,
    application: Option<u32>,
    list_id: Option<u32>,
}

#[derive(Serialize)]
struct FlagsJson {
    mandatory: &'static str,
    protected: &'static str,
    vendor: &'static str,
}

#[derive(Serialize)]
struct EnumJson {
    name: &'static str,
    value: i32,
}

fn values_json(a: &AvpDef, sets: &[&'static ValueNames]) -> Vec<ValueJson> {
    sets.iter()
        .filter(|s| s.code == a.code && s.vendor_id == a.vendor_id)
        .flat_map(|s| {
            s.values.iter().map(|&(value, name)| ValueJson {
                name,
                value,
                scope_vendor: s.scope_vendor,
            })
        })
        .collect()
}

fn bits_json(a: &AvpDef, sets: &[&'static BitNames]) -> Vec<BitJson> {
    sets.iter()
        .filter(|s| s.code == a.code && s.vendor_id == a.vendor_id)
        .flat_map(|s| {
            s.bits.iter().map(|&(bit, name)| BitJson {
                name,
                bit,
                mask: 1u32.checked_shl(bit).unwrap_or(0),
                scope: ScopeJson {
                    vendor: s.scope.vendor,
                    application: s.scope.application,
                    list_id: s.scope.list_id,
                },
            })
        })
        .collect()
}

fn grammar_json(g: &GrammarDef) -> GrammarJson {
    GrammarJson {
        rules: g
            .rules
            .iter()
            .map(|r| RuleJson {
                avp: r.avp.name,
                code: r.avp.code,
                vendor_id: r.avp.vendor_id,
                fixed: r.fixed,
                min: r.min,
                max: r.max,
            })
            .collect(),
        extensible: g.extensible,
    }
}

impl Selection {
    /// The JSON document.
    pub fn to_json(&self) -> DictJson {
        let (value_sets, bit_sets) = (
            diameter_messages::value_sets(),
            diameter_messages::bit_sets(),
        );
        DictJson {
            applications: self
                .applications
                .iter()
                .map(|(a, cmds)| AppJson {
                    id: a.id,
                    name: a.name,
                    spec: a.spec,
                    vendor_id: a.vendor_id,
                    profile: a.profile,
                    commands: cmds
                        .iter()
                        .map(|c| CommandJson {
                            code: c.code,
                            name: c.name,
                            request_abbrev: c.request_abbrev,
                            answer_abbrev: c.answer_abbrev,
                            proxiable: c.proxiable,
                            request: grammar_json(c.request),
                            answer: grammar_json(c.answer),
                        })
                        .collect(),
                })
                .collect(),
            avps: self
                .avps
                .iter()
                .map(|a| AvpJson {
                    name: a.name,
                    code: a.code,
                    vendor_id: a.vendor_id,
                    ty: a.ty.as_str(),
                    flags: FlagsJson {
                        mandatory: a.m.as_str(),
                        protected: a.p.as_str(),
                        vendor: a.v.as_str(),
                    },
                    spec: a.spec,
                    enums: a
                        .enums
                        .iter()
                        .map(|&(name, value)| EnumJson { name, value })
                        .collect(),
                    values: values_json(a, &value_sets),
                    bits: bits_json(a, &bit_sets),
                    grouped: a.grouped.map(grammar_json),
                })
                .collect(),
        }
    }

    /// The listing for people.
    pub fn to_text(&self) -> String {
        let (value_sets, bit_sets) = (
            diameter_messages::value_sets(),
            diameter_messages::bit_sets(),
        );
        let mut s = String::new();
        for (a, cmds) in &self.applications {
            let profile = a
                .profile
                .map(|p| format!(", profile {p}"))
                .unwrap_or_default();
            let _ = writeln!(s, "Application {} {} ({}{profile})", a.id, a.name, a.spec);
            for c in cmds {
                let _ = writeln!(
                    s,
                    "  {} {} ({}/{}){}",
                    c.code,
                    c.name,
                    c.request_abbrev,
                    c.answer_abbrev,
                    if c.proxiable { ", proxiable" } else { "" }
                );
                for (side, g) in [("Request", c.request), ("Answer", c.answer)] {
                    let _ = writeln!(
                        s,
                        "    <{}-{}> ::= < Diameter Header: {} >",
                        c.name, side, c.code
                    );
                    grammar_text(g, "        ", &mut s);
                }
            }
            s.push('\n');
        }
        if !self.avps.is_empty() {
            let _ = writeln!(s, "AVPs");
        }
        for a in &self.avps {
            let vendor = if a.vendor_id != 0 {
                format!(", vendor {}", a.vendor_id)
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  {} ({}{}) {}  M {}, V {}, P {}  [{}]",
                a.name,
                a.code,
                vendor,
                a.ty,
                a.m.as_str(),
                a.v.as_str(),
                a.p.as_str(),
                a.spec
            );
            for (name, value) in a.enums {
                let _ = writeln!(s, "      {value:>4} {name}");
            }
            for v in values_json(a, &value_sets) {
                let scope = v
                    .scope_vendor
                    .map(|x| format!("  (vendor {x})"))
                    .unwrap_or_default();
                let _ = writeln!(s, "      {:>4} {}{scope}", v.value, v.name);
            }
            for b in bits_json(a, &bit_sets) {
                let _ = writeln!(
                    s,
                    "      bit {:>2} {}{}",
                    b.bit,
                    b.name,
                    scope_text(&b.scope)
                );
            }
            if let Some(g) = a.grouped {
                grammar_text(g, "      ", &mut s);
            }
        }
        s
    }
}

/// One grammar rule in RFC 6733 section 3.2 notation: `< X >`, `{ X }`, `[ X ]`, `1*{ X }`.
pub fn rule_text(r: &RuleDef) -> String {
    let name = r.avp.name;
    if r.fixed && r.min == 1 && r.max == Some(1) {
        return format!("< {name} >");
    }
    let (open, close) = if r.min > 0 { ("{", "}") } else { ("[", "]") };
    let qualifier = match (r.min, r.max) {
        (0 | 1, Some(1)) => String::new(),
        (min, max) => {
            let lo = if min > 0 {
                min.to_string()
            } else {
                String::new()
            };
            let hi = max.map(|m| m.to_string()).unwrap_or_default();
            format!("{lo}*{hi}")
        }
    };
    format!("{qualifier}{open} {name} {close}")
}

/// Where a bit's name holds, for people: `  (list 1, application 16777251)`.
fn scope_text(scope: &ScopeJson) -> String {
    let parts: Vec<String> = [
        scope.list_id.map(|l| format!("list {l}")),
        scope.application.map(|a| format!("application {a}")),
        scope.vendor.map(|v| format!("vendor {v}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("  ({})", parts.join(", "))
    }
}

fn grammar_text(g: &GrammarDef, indent: &str, s: &mut String) {
    for r in g.rules {
        let _ = writeln!(s, "{indent}{}", rule_text(r));
    }
    if g.extensible {
        let _ = writeln!(s, "{indent}*[ AVP ]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_commands_and_avps() {
        // RFC 4006's CCR first, then TS 32.299's (profile 3gpp) when `ro` is compiled in.
        let ccr = find_command("CCR");
        assert_eq!((ccr[0].0.id, ccr[0].1.code, ccr[0].2), (4, 272, Some(true)));
        assert_eq!(ccr[0].0.profile, None);
        assert!(ccr[1..]
            .iter()
            .all(|(a, c, _)| (a.id, c.code) == (4, 272) && a.profile.is_some()));
        assert_eq!(find_command("credit-control-answer")[0].2, Some(false));
        assert_eq!(avp_by_name("cc-request-type").map(|a| a.code), Some(416));
        assert!(command(4, 272).is_some());
    }

    #[test]
    fn rule_notation() {
        let g = command(4, 272).map(|(_, c)| c.request).unwrap();
        let texts: Vec<String> = g.rules.iter().map(rule_text).collect();
        assert_eq!(texts[0], "< Session-Id >");
        assert!(texts.contains(&"{ CC-Request-Type }".to_string()));
        assert!(texts.iter().any(|t| t.starts_with("*[ ")));
    }
}
