//! Which cargo features compile each item of a crate laid out by `Layout::Crate`.
//!
//! Each module has a feature of its name. Feature `f` compiles what `f` reaches: every item
//! of module `f` (its commands, its AVPs, its `<enum-extension>`s) and every AVP those reach
//! through grammars, wherever it is defined. So an AVP item carries
//! `#[cfg(any(feature = ..))]` naming each feature that reaches it, and a module is declared
//! when any feature reaching one of its AVPs is on. Enabling `s6a` thus compiles the few
//! TS 32.299 AVPs S6a names (User-CSG-Information and what it holds), not the charging
//! module around them; features need no edges between them.
//!
//! An attribute is written only where it says more than the module's own: an item every
//! feature of its module's declaration reaches carries none. Always-on modules, what they
//! reach, and the single-file layout (no features) carry none at all.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use super::plan::{all_applications, Plan};
use crate::model::{AvpKey, Model};

/// The features compiling each AVP and each module; `None`: always compiled.
#[derive(Debug, Default)]
pub struct Gates {
    avps: BTreeMap<AvpKey, Option<BTreeSet<String>>>,
    modules: BTreeMap<String, Option<BTreeSet<String>>>,
    /// Modules with a feature (not always on).
    featured: BTreeSet<String>,
}

impl Gates {
    /// The gates of `plan`'s local items; `always_on` is `None` when features are not used.
    pub fn new(model: &Model, plan: &Plan, always_on: Option<&[String]>) -> Gates {
        let Some(always_on) = always_on else {
            return Gates::default();
        };
        let mut avps: BTreeMap<AvpKey, Option<BTreeSet<String>>> = BTreeMap::new();
        for (feature, reached) in reach(model, plan) {
            let always = always_on.contains(&feature);
            for key in reached {
                let gate = avps.entry(key).or_insert_with(|| Some(BTreeSet::new()));
                match gate {
                    Some(set) if !always => {
                        set.insert(name(&feature));
                    }
                    _ => *gate = None,
                }
            }
        }
        let mut modules = BTreeMap::new();
        for m in plan.local_modules() {
            let gate = if always_on.contains(m) {
                None
            } else {
                let mut set = BTreeSet::from([name(m)]);
                let mut always = false;
                for (key, gate) in &avps {
                    if plan.avp_module(model, key) != m {
                        continue;
                    }
                    match gate {
                        Some(g) => set.extend(g.iter().cloned()),
                        None => always = true,
                    }
                }
                (!always).then_some(set)
            };
            modules.insert(m.clone(), gate);
        }
        let featured = plan
            .local_modules()
            .filter(|m| !always_on.contains(m))
            .cloned()
            .collect();
        Gates {
            avps,
            modules,
            featured,
        }
    }

    /// The attribute declaring module `m` (and naming its items from the root).
    pub fn module(&self, m: &str) -> TokenStream {
        cfg(self.modules.get(m).and_then(Option::as_ref))
    }

    /// The attribute of AVP `key`'s entry in the root's look-ups.
    pub fn avp(&self, key: &AvpKey) -> TokenStream {
        cfg(self.avp_features(key))
    }

    /// The features compiling AVP `key`, `None` when it is always compiled.
    pub fn avp_features(&self, key: &AvpKey) -> Option<&BTreeSet<String>> {
        self.avps.get(key).and_then(Option::as_ref)
    }

    /// The attribute of AVP `key`'s items inside module `m`: none when the module's own says
    /// as much.
    pub fn avp_in(&self, key: &AvpKey, m: &str) -> TokenStream {
        let gate = self.avps.get(key).and_then(Option::as_ref);
        if gate == self.modules.get(m).and_then(Option::as_ref) {
            quote!()
        } else {
            cfg(gate)
        }
    }

    /// The attribute of what only module `m`'s own feature compiles (its commands and
    /// enum extensions): none when `m` is always on or nothing else declares the module.
    pub fn own_in(&self, m: &str) -> TokenStream {
        let own = BTreeSet::from([name(m)]);
        if !self.featured.contains(m) || self.modules.get(m).and_then(Option::as_ref) == Some(&own)
        {
            quote!()
        } else {
            cfg(Some(&own))
        }
    }
}

/// `attr` added to every item of `items` (a struct, its `impl`s, statics, ...): Rust has no
/// attribute on a group of items short of a module, which would change their paths.
pub fn gate(attr: &TokenStream, items: TokenStream) -> TokenStream {
    if attr.is_empty() {
        return items;
    }
    let Ok(mut file) = syn::parse2::<syn::File>(items.clone()) else {
        // Not items: left as they are, for the formatter to show.
        return items;
    };
    let Ok(attrs) = syn::parse::Parser::parse2(syn::Attribute::parse_outer, attr.clone()) else {
        return items;
    };
    for item in &mut file.items {
        if let Some(a) = item_attrs(item) {
            a.splice(0..0, attrs.iter().cloned());
        }
    }
    quote!(#file)
}

fn item_attrs(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    use syn::Item;
    Some(match item {
        Item::Const(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Struct(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

pub(super) fn cfg(gate: Option<&BTreeSet<String>>) -> TokenStream {
    match gate {
        None => quote!(),
        Some(set) if set.len() == 1 => {
            let f = set.iter();
            quote!(#[cfg(#(feature = #f)*)])
        }
        Some(set) => {
            let f = set.iter();
            quote!(#[cfg(any(#(feature = #f),*))])
        }
    }
}

fn name(m: &str) -> String {
    m.trim_start_matches("r#").to_string()
}

/// Per local module (its feature), every local AVP it reaches: its own AVPs, those its
/// commands and enum extensions name, and all they hold, transitively.
fn reach(model: &Model, plan: &Plan) -> BTreeMap<String, BTreeSet<AvpKey>> {
    let mut out = BTreeMap::new();
    for m in plan.local_modules() {
        let mut todo: Vec<AvpKey> = model
            .avps
            .keys()
            .filter(|k| plan.avp_module(model, k) == m)
            .copied()
            .collect();
        for (app, _) in all_applications(model).filter(|(a, _)| &a.module == m) {
            for cmd in app.commands.values() {
                todo.extend(cmd.request.rules.iter().map(|r| r.avp));
                todo.extend(cmd.answer.rules.iter().map(|r| r.avp));
            }
        }
        for ext in &model.enum_extensions {
            if plan.file_module.get(&ext.span.file) == Some(m) {
                todo.push(ext.avp);
            }
        }
        let mut seen = BTreeSet::new();
        while let Some(key) = todo.pop() {
            if !plan.is_local(plan.avp_module(model, &key)) || !seen.insert(key) {
                continue;
            }
            if let Some(g) = model.avps.get(&key).and_then(|a| a.grammar.as_ref()) {
                todo.extend(g.rules.iter().map(|r| r.avp));
            }
        }
        out.insert(m.clone(), seen);
    }
    out
}
