//! Which module each generated item goes in, and how one module names another's items.
//!
//! AVP types (enums, groups, dictionary statics) go in the module of the file that defines the
//! AVP: the module of that file's first application, or the file's stem when it declares
//! none. Commands go in their application's module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use heck::ToSnakeCase;

use crate::model::{Application, AvpKey, AvpType, Grammar, Model};

/// The module layout of one generation.
#[derive(Debug)]
pub struct Plan {
    /// Module of each dictionary file.
    pub file_module: BTreeMap<PathBuf, String>,
    /// Every module, with the modules its items refer to.
    pub modules: BTreeMap<String, BTreeSet<String>>,
    /// Modules supplied by another crate: module name -> Rust path.
    pub externs: BTreeMap<String, String>,
    /// Grouped AVPs whose type borrows the decoded buffer (has a lifetime `'a`).
    pub borrowing: BTreeSet<AvpKey>,
    /// Grouped AVPs boxed where they are an optional field (large, or named to be boxed).
    pub boxed: BTreeSet<AvpKey>,
    /// Grouped AVPs boxed wherever they are a single field (named to be boxed).
    pub boxed_required: BTreeSet<AvpKey>,
    /// The cargo features compiling each item (none until `emit` sets them for a crate).
    pub gates: super::gates::Gates,
}

impl Plan {
    /// Lays out `model`; modules named in `externs` are referred to, not emitted.
    pub fn new(model: &Model, externs: &BTreeMap<String, String>) -> Plan {
        let mut file_module = BTreeMap::new();
        for app in model.applications.values() {
            file_module
                .entry(app.span.file.clone())
                .or_insert_with(|| app.module.clone());
        }
        for f in &model.files {
            file_module
                .entry(f.path.clone())
                .or_insert_with(|| stem_module(&f.path));
        }
        let mut plan = Plan {
            file_module,
            modules: BTreeMap::new(),
            externs: externs.clone(),
            borrowing: BTreeSet::new(),
            boxed: BTreeSet::new(),
            boxed_required: BTreeSet::new(),
            gates: Default::default(),
        };
        // A type borrows when a field does: text, octets, kept AVPs, or a borrowing group.
        // Iterate to a fixed point, as groups may contain each other.
        loop {
            let more: Vec<AvpKey> = model
                .avps
                .values()
                .filter(|a| !plan.borrowing.contains(&a.key))
                .filter(|a| a.grammar.as_ref().is_some_and(|g| plan.borrows(model, g)))
                .map(|a| a.key)
                .collect();
            if more.is_empty() {
                break;
            }
            plan.borrowing.extend(more);
        }
        let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for m in plan.file_module.values() {
            modules.entry(m.clone()).or_default();
        }
        for (app, _) in all_applications(model) {
            modules.entry(app.module.clone()).or_default();
        }
        let mut uses = |from: &str, key: &AvpKey| {
            let to = plan.avp_module(model, key).to_string();
            if to != from {
                modules.entry(from.to_string()).or_default().insert(to);
            }
        };
        for (app, _) in all_applications(model) {
            for cmd in app.commands.values() {
                for rule in cmd.request.rules.iter().chain(&cmd.answer.rules) {
                    uses(&app.module, &rule.avp);
                }
            }
        }
        for avp in model.avps.values() {
            let from = plan.avp_module(model, &avp.key).to_string();
            for rule in avp.grammar.iter().flat_map(|g| &g.rules) {
                uses(&from, &rule.avp);
            }
        }
        // An `<enum-extension>` names the extended enum's type from its file's module.
        for ext in &model.enum_extensions {
            if let Some(from) = plan.file_module.get(&ext.span.file).cloned() {
                uses(&from, &ext.avp);
            }
        }
        plan.modules = modules;
        plan
    }

    /// The module holding the AVP `key`'s items.
    pub fn avp_module<'a>(&'a self, model: &Model, key: &AvpKey) -> &'a str {
        model
            .avps
            .get(key)
            .and_then(|a| self.file_module.get(&a.span.file))
            .map(String::as_str)
            .unwrap_or("unknown")
    }

    /// Does the type of AVP `key`'s values borrow the decoded buffer?
    pub fn avp_borrows(&self, model: &Model, key: &AvpKey) -> bool {
        match model.avps.get(key).map(|a| a.ty) {
            Some(AvpType::Grouped) => self.borrowing.contains(key),
            Some(t) => matches!(
                t,
                AvpType::OctetString
                    | AvpType::Utf8String
                    | AvpType::DiameterIdentity
                    | AvpType::IpFilterRule
                    | AvpType::QosFilterRule
            ),
            None => false,
        }
    }

    /// Does the struct generated from grammar `g` borrow the decoded buffer?
    pub fn borrows(&self, model: &Model, g: &Grammar) -> bool {
        g.extensible
            || g.rules
                .iter()
                .any(|r| r.max != Some(0) && self.avp_borrows(model, &r.avp))
    }

    /// Is Grouped AVP `key` boxed even where it is a required field?
    pub fn boxed_always(&self, key: &AvpKey) -> bool {
        self.boxed_required.contains(key)
    }

    /// Is `module` emitted by this generation?
    pub fn is_local(&self, module: &str) -> bool {
        !self.externs.contains_key(module)
    }

    /// The modules this generation emits.
    pub fn local_modules(&self) -> impl Iterator<Item = &String> {
        self.modules.keys().filter(|m| self.is_local(m))
    }

    /// The path, as seen from inside module `from`, of module `to`'s items (`""` when the
    /// same module). Generated modules are siblings, so `super::` reaches any of them.
    pub fn path_from(&self, from: &str, to: &str) -> String {
        if let Some(p) = self.externs.get(to) {
            format!("{p}::")
        } else if from == to {
            String::new()
        } else {
            format!("super::{to}::")
        }
    }
}

/// Every application whose commands are emitted: the profile-less ones by id, then the
/// profiles (`Model::profiles`) by (id, profile), each with its profile name. A profile is an
/// application of its own to the emitter: its module holds its command types.
pub fn all_applications(model: &Model) -> impl Iterator<Item = (&Application, Option<&str>)> {
    model.applications.values().map(|a| (a, None)).chain(
        model
            .profiles
            .iter()
            .map(|(k, a)| (a, Some(k.profile.as_str()))),
    )
}

fn stem_module(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_snake_case())
        .unwrap_or_default();
    super::names::field_name(&stem)
}
