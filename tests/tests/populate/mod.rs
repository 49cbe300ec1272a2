//! Fully populated messages, built from the dictionary model (`diameter_codegen::load`, as
//! `codegen/tests/all_dictionaries.rs` loads it) rather than through hand-written typed code:
//! every rule of a grammar the model holds gets an AVP of the right type and value, so the
//! coverage follows the dictionaries as they grow. The typed API is then exercised on the
//! bytes (typed decode into the struct, typed encode back to the same bytes). Filling the
//! structs by code instead would take hand-written fillers for some 950 AVPs, always behind
//! the dictionaries, or a generated test-only constructor in every user's build of
//! diameter-messages (ARCHITECTURE.md, "Fully populated test messages").
//!
//! What "fully populated" means here:
//! - every optional rule present; a repeated rule (`*[ X ]`, `1*{ X }`) twice, `N*` rules at
//!   least N times; `0*0` rules (excluded by an occurrence table) absent; of an
//!   `<exactly-one>` choice one member, another in the next message;
//! - a Grouped AVP is filled in full the first time it occurs in a message and minimally
//!   (required members only) every other time, also when it is its own ancestor: every
//!   grouped AVP is expanded once to its deepest level and the message stays linear in the
//!   size of the dictionary (the Service-Information tree would otherwise double at each
//!   repeated level);
//! - values valid for their type (Address AVPs alternately IPv4 and IPv6); enumerated AVPs take the first value of their dictionary
//!   list, `Unsigned32` AVPs with named values their first named value; a few OctetStrings
//!   whose content another specification structures (PLMN identities, TBCD numbers, 3GPP
//!   location and time-zone octets) carry contents of that structure, see [`octets`].

#![allow(dead_code)] // each test file uses part of it

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use diameter_codegen::{AvpKey, AvpType, FlagRule, Grammar, GrammarHeader, Model, RuleKind};

/// The model of the roots `diameter-messages` is generated from, with their imports.
pub fn model() -> Model {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dictionaries");
    let roots: Vec<_> = xtask::DICTIONARIES.iter().map(|f| dir.join(f)).collect();
    diameter_codegen::load(&roots).unwrap_or_else(|e| panic!("dictionaries: {e}"))
}

/// One built message.
pub struct Built {
    /// e.g. `s6a ULR`.
    pub label: String,
    /// `Some("3gpp")` for the commands of a profile.
    pub profile: Option<&'static str>,
    /// The wire bytes.
    pub bytes: Vec<u8>,
    /// How many AVP lists hold AVPs written for a wildcard (see [`Builder::wildcard_lists`]).
    pub wildcard_lists: usize,
}

/// Every command of every application and profile the model holds, request and answer.
pub fn all_messages(model: &Model) -> (Vec<Built>, BTreeSet<AvpKey>) {
    let mut out = Vec::new();
    let mut exercised = BTreeSet::new();
    let apps = model
        .applications
        .values()
        .map(|a| (a, None))
        .chain(model.profiles.values().map(|a| (a, Some("3gpp"))));
    for (app, profile) in apps {
        for cmd in app.commands.values() {
            for (abbrev, grammar) in [
                (&cmd.request_abbrev, &cmd.request),
                (&cmd.answer_abbrev, &cmd.answer),
            ] {
                let mut b = Builder::new(model, out.len());
                let bytes = b.message(app.id, grammar);
                exercised.extend(b.exercised);
                out.push(Built {
                    label: format!("{}/{abbrev}", app.module),
                    profile,
                    bytes,
                    wildcard_lists: b.wildcard_lists,
                });
            }
        }
    }
    (out, exercised)
}

/// Builds one message; remembers which AVPs it wrote.
pub struct Builder<'m> {
    model: &'m Model,
    turn: usize,
    /// Grouped AVPs already filled in full in this message.
    expanded: HashSet<AvpKey>,
    /// Every AVP written.
    pub exercised: BTreeSet<AvpKey>,
    /// AVPs written for a wildcard (`N*[ AVP ]`): the typed struct keeps them raw.
    pub wildcard_lists: usize,
    /// Address AVPs written so far.
    addresses: usize,
}

impl<'m> Builder<'m> {
    /// A builder over `model`; `turn` (the message's index) picks the member of each
    /// `<exactly-one>` choice written.
    pub fn new(model: &'m Model, turn: usize) -> Self {
        Builder {
            model,
            turn,
            expanded: HashSet::new(),
            exercised: BTreeSet::new(),
            wildcard_lists: 0,
            addresses: 0,
        }
    }

    /// The whole message of command grammar `g` in application `app`.
    pub fn message(&mut self, app: u32, g: &Grammar) -> Vec<u8> {
        let GrammarHeader::Command {
            code,
            request,
            proxiable,
            error,
            ..
        } = g.header
        else {
            panic!("not a command grammar");
        };
        let body = self.body(g, true);
        let mut m = Vec::with_capacity(20 + body.len());
        let flags = u8::from(request) << 7 | u8::from(proxiable) << 6 | u8::from(error) << 5;
        let len = u32::try_from(20 + body.len()).expect("message length");
        m.extend_from_slice(&(len | 1 << 24).to_be_bytes());
        m.extend_from_slice(&(code | u32::from(flags) << 24).to_be_bytes());
        m.extend_from_slice(&app.to_be_bytes());
        m.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        m.extend_from_slice(&0x9abc_def0u32.to_be_bytes());
        m.extend_from_slice(&body);
        m
    }

    /// The AVPs of grammar `g`: every rule (`full`) or the required ones only.
    fn body(&mut self, g: &Grammar, full: bool) -> Vec<u8> {
        // Of each <exactly-one> choice one member is written, in turn from message to message.
        let chosen: HashSet<usize> = g
            .one_of
            .iter()
            .map(|choice| choice[self.turn % choice.len()])
            .collect();
        let skipped: HashSet<usize> = g
            .one_of
            .iter()
            .flatten()
            .copied()
            .filter(|i| !chosen.contains(i))
            .collect();
        let mut out = Vec::new();
        for (i, rule) in g.rules.iter().enumerate() {
            if rule.max == Some(0) || skipped.contains(&i) {
                continue;
            }
            let count = if full {
                let want = rule.min.max(2);
                rule.max.map_or(want, |max| want.min(max))
            } else if chosen.contains(&i) {
                rule.min.max(1)
            } else {
                rule.min
            };
            debug_assert!(rule.kind != RuleKind::Optional || rule.min == 0);
            for _ in 0..count {
                self.avp(rule.avp, &mut out);
            }
        }
        // A minimal instance with no required member would be an empty Grouped AVP: legal,
        // but Wireshark warns "Data is empty"; it gets its first non-grouped member instead
        // (or, when all are grouped, its first member, minimal in turn).
        if out.is_empty() && !full {
            let allowed = |(i, r): &(usize, &diameter_codegen::Rule)| {
                r.max != Some(0) && !skipped.contains(i)
            };
            let is_grouped =
                |r: &diameter_codegen::Rule| self.model.avps[&r.avp].ty == AvpType::Grouped;
            let mut eligible = g.rules.iter().enumerate().filter(allowed);
            let first = eligible
                .clone()
                .find(|(_, r)| !is_grouped(r))
                .or_else(|| eligible.next());
            if let Some((_, rule)) = first {
                self.avp(rule.avp, &mut out);
            }
        }
        // `N*[ AVP ]` (Failed-AVP's `1* { AVP }`): N copies of a base AVP any peer knows.
        self.wildcard_lists += usize::from(g.any_min > 0);
        for _ in 0..g.any_min {
            let origin_host = AvpKey {
                code: 264,
                vendor_id: 0,
            };
            self.avp(origin_host, &mut out);
        }
        out
    }

    /// Appends AVP `key` with a valid value.
    fn avp(&mut self, key: AvpKey, out: &mut Vec<u8>) {
        let model = self.model;
        let avp = &model.avps[&key];
        self.exercised.insert(key);
        let data = match avp.ty {
            AvpType::Grouped => {
                let g = avp.grammar.as_ref().expect("a Grouped AVP has a grammar");
                let full = self.expanded.insert(key);
                self.body(g, full)
            }
            // Address AVPs alternate between IPv4 and IPv6 (RFC 6733 4.3.1 families 1 and 2).
            AvpType::Address if octets(key).is_none() => {
                self.addresses += 1;
                if self.addresses % 2 == 1 {
                    vec![0, 1, 127, 0, 0, 1]
                } else {
                    let mut v = vec![0, 2];
                    v.extend(std::net::Ipv6Addr::LOCALHOST.octets());
                    v
                }
            }
            ty => value(model, &avp.name, key, ty, &avp.enums),
        };
        let vendor = key.vendor_id != 0;
        let mut flags = 0u8;
        if vendor {
            flags |= 0x80;
        }
        if avp.flags.m == FlagRule::Must {
            flags |= 0x40;
        }
        let header_len = if vendor { 12 } else { 8 };
        let len = u32::try_from(header_len + data.len()).expect("AVP length");
        out.extend_from_slice(&key.code.to_be_bytes());
        out.extend_from_slice(&(len | u32::from(flags) << 24).to_be_bytes());
        if vendor {
            out.extend_from_slice(&key.vendor_id.to_be_bytes());
        }
        out.extend_from_slice(&data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
}

/// A valid value of a non-grouped AVP.
fn value(
    model: &Model,
    name: &str,
    key: AvpKey,
    ty: AvpType,
    enums: &[diameter_codegen::EnumValue],
) -> Vec<u8> {
    if let Some(v) = octets(key) {
        return v;
    }
    match ty {
        AvpType::OctetString => b"\x01\x02\x03\x04\x05".to_vec(),
        AvpType::Integer32 => 1i32.to_be_bytes().to_vec(),
        AvpType::Integer64 => 1i64.to_be_bytes().to_vec(),
        AvpType::Unsigned32 => {
            let named = model
                .values
                .iter()
                .find(|v| v.avp == key && v.scope_vendor.is_none())
                .and_then(|v| v.values.first())
                .map(|v| v.value);
            named.unwrap_or(1).to_be_bytes().to_vec()
        }
        AvpType::Unsigned64 => 1u64.to_be_bytes().to_vec(),
        AvpType::Float32 => 1.5f32.to_be_bytes().to_vec(),
        AvpType::Float64 => 1.5f64.to_be_bytes().to_vec(),
        AvpType::Enumerated => enums.first().map_or(0, |e| e.value).to_be_bytes().to_vec(),
        AvpType::Address => unreachable!("addresses are written by Builder::avp"),
        // 2024-01-01 00:00:00 UTC in NTP seconds.
        AvpType::Time => 3_913_056_000u32.to_be_bytes().to_vec(),
        AvpType::Utf8String => format!("{name} value").into_bytes(),
        AvpType::DiameterIdentity => b"node.test.local".to_vec(),
        AvpType::DiameterUri => b"aaa://node.test.local:3868;transport=tcp".to_vec(),
        AvpType::IpFilterRule | AvpType::QosFilterRule => {
            b"permit out ip from 10.0.0.1 to any".to_vec()
        }
        AvpType::Grouped => unreachable!("grouped AVPs are built by Builder::avp"),
    }
}

/// Contents of OctetString (and a few other) AVPs whose octets another specification
/// structures, and which Wireshark dissects further: a generic value would be a malformed
/// instance of that structure. Keyed by (vendor, code).
fn octets(key: AvpKey) -> Option<Vec<u8>> {
    // MCC 123, MNC 45 as TS 24.008 10.5.1.13 packs a PLMN identity.
    const PLMN: [u8; 3] = [0x21, 0xf3, 0x54];
    let v: Vec<u8> = match (key.vendor_id, key.code) {
        // RFC 7155 4.4.10.5.1, 4.4.10.5.2, 4.4.11.1: four octets of an IPv4 address.
        (0, 8 | 9 | 14) => vec![127, 0, 0, 1],
        // RFC 4006 8.50 with User-Equipment-Info-Type IMEISV (the first value): the IMEISV
        // (TS 23.003 6.2.2, 16 digits) in 8 TBCD octets.
        (0, 460) => vec![0x53, 0x61, 0x20, 0x00, 0x91, 0x78, 0x84, 0x00],
        // TS 29.272 7.3.9 Visited-PLMN-Id, 7.3.190 Group-PLMN-Id: a PLMN identity.
        (10415, 1407 | 1677) => PLMN.to_vec(),
        // TS 29.061 16.4.7.2 3GPP-User-Location-Info, Geographic Location Type 130: TAI
        // (PLMN, TAC) and ECGI (PLMN, ECI), as TS 29.274 8.21.4 and 8.21.5 code them.
        (10415, 22) => [&[130u8][..], &PLMN, &[0, 1], &PLMN, &[0, 0, 0, 1]].concat(),
        // TS 29.212 5.3.109 Presence-Reporting-Area-Elements-List: octets 9 onwards of TS
        // 29.274 8.108, here with every count zero.
        (10415, 2820) => vec![0; 7],
        // TS 29.061 17.7.2 TMGI: MBMS Service ID (3 octets) and a PLMN identity.
        (10415, 900) => [&[0u8, 0, 1][..], &PLMN].concat(),
        _ => return None,
    };
    Some(v)
}

/// Every AVP a command grammar of `model` reaches, through grouped AVPs, by a rule that
/// allows it (`0*0` rules excluded).
pub fn reachable(model: &Model) -> BTreeSet<AvpKey> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<&Grammar> = model
        .applications
        .values()
        .chain(model.profiles.values())
        .flat_map(|a| a.commands.values())
        .flat_map(|c| [&c.request, &c.answer])
        .collect();
    while let Some(g) = todo.pop() {
        for rule in g.rules.iter().filter(|r| r.max != Some(0)) {
            if seen.insert(rule.avp) {
                todo.extend(model.avps[&rule.avp].grammar.as_ref());
            }
        }
    }
    seen
}
