//! The items of one module: dictionary statics, enums, groups and commands.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::names;
use super::plan::Plan;
use crate::model::{
    Application, Avp, AvpKey, AvpType, Command, EnumExtension, FlagRule, Grammar, Model,
};

/// One `#[doc]` attribute per line, so that the output reads as `///` comments.
pub(super) fn docs(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| {
        let l = if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        };
        quote!(#[doc = #l])
    });
    quote!(#(#lines)*)
}

fn ident(s: &str) -> TokenStream {
    s.parse().unwrap_or_default()
}

fn path(prefix: &str, name: &str) -> TokenStream {
    ident(&format!("{prefix}{name}"))
}

/// A flag rule as named inside `defs` (which imports `FlagRule`'s variants).
fn flag(f: FlagRule) -> TokenStream {
    match f {
        FlagRule::Must => quote!(Must),
        FlagRule::May => quote!(May),
        FlagRule::ShouldNot => quote!(ShouldNot),
        FlagRule::MustNot => quote!(MustNot),
    }
}

/// An AVP type as named inside `defs` (which imports `AvpType`'s variants).
fn avp_type(t: AvpType) -> TokenStream {
    let v = format_ident!(
        "{}",
        match t {
            AvpType::OctetString => "OctetString",
            AvpType::Integer32 => "Integer32",
            AvpType::Integer64 => "Integer64",
            AvpType::Unsigned32 => "Unsigned32",
            AvpType::Unsigned64 => "Unsigned64",
            AvpType::Float32 => "Float32",
            AvpType::Float64 => "Float64",
            AvpType::Grouped => "Grouped",
            AvpType::Address => "Address",
            AvpType::Time => "Time",
            AvpType::Utf8String => "Utf8String",
            AvpType::DiameterIdentity => "DiameterIdentity",
            AvpType::DiameterUri => "DiameterUri",
            AvpType::Enumerated => "Enumerated",
            AvpType::IpFilterRule => "IpFilterRule",
            AvpType::QosFilterRule => "QosFilterRule",
        }
    );
    quote!(#v)
}

/// The Rust type of an AVP's value, as named from module `from`.
fn value_type(model: &Model, plan: &Plan, from: &str, avp: &Avp, rt: &TokenStream) -> TokenStream {
    match avp.ty {
        AvpType::OctetString => quote!(#rt::OctetString<'a>),
        AvpType::Integer32 => quote!(i32),
        AvpType::Integer64 => quote!(i64),
        AvpType::Unsigned32 => quote!(u32),
        AvpType::Unsigned64 => quote!(u64),
        AvpType::Float32 => quote!(f32),
        AvpType::Float64 => quote!(f64),
        AvpType::Address => quote!(#rt::Address),
        AvpType::Time => quote!(#rt::Time),
        AvpType::Utf8String => quote!(#rt::Utf8String<'a>),
        AvpType::DiameterIdentity => quote!(#rt::DiameterIdentity<'a>),
        AvpType::DiameterUri => quote!(#rt::DiameterUri),
        AvpType::IpFilterRule => quote!(#rt::IpFilterRule<'a>),
        AvpType::QosFilterRule => quote!(#rt::QosFilterRule<'a>),
        AvpType::Enumerated | AvpType::Grouped => {
            let prefix = plan.path_from(from, plan.avp_module(model, &avp.key));
            let p = path(&prefix, &names::type_name(&avp.name));
            if plan.avp_borrows(model, &avp.key) {
                quote!(#p<'a>)
            } else {
                p
            }
        }
    }
}

/// `defs::X` as named from module `from` (at module level; `inside_defs` from its `defs`).
fn def_ref(model: &Model, plan: &Plan, from: &str, key: &AvpKey, inside_defs: bool) -> TokenStream {
    let avp = &model.avps[key];
    let to = plan.avp_module(model, key);
    let name = names::def_name(&avp.name);
    let p = if to == from {
        if inside_defs {
            name
        } else {
            format!("defs::{name}")
        }
    } else {
        let prefix = plan.path_from(from, to);
        let up = if inside_defs && plan.is_local(to) {
            "super::"
        } else {
            ""
        };
        format!("{up}{prefix}defs::{name}")
    };
    ident(&p)
}

fn doc_avp(avp: &Avp, model: &Model) -> String {
    let mut d = format!("`{}` (AVP code {}", avp.name, avp.key.code);
    if avp.key.vendor_id != 0 {
        let vendor = model
            .vendors
            .get(&avp.key.vendor_id)
            .map(|v| v.name.as_str())
            .unwrap_or("");
        d.push_str(&format!(", vendor {} {vendor}", avp.key.vendor_id));
    }
    d.push_str(&format!(
        "), {}; flags M {}, V {}, P {}; {}",
        avp.ty, avp.flags.m, avp.flags.v, avp.flags.p, avp.spec
    ));
    if let Some(s) = &avp.section {
        d.push_str(&format!(" section {s}"));
    }
    d.push('.');
    let text = avp.doc.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text.is_empty() {
        d = format!("{text}\n\n{d}");
    }
    d
}

/// One module's tokens.
pub fn module(
    model: &Model,
    plan: &Plan,
    m: &str,
    rt: &TokenStream,
    runtime: &TokenStream,
) -> TokenStream {
    let avps: Vec<&Avp> = model
        .avps
        .values()
        .filter(|a| plan.avp_module(model, &a.key) == m)
        .collect();
    let apps: Vec<_> = super::plan::all_applications(model)
        .filter(|(a, _)| a.module == m)
        .collect();

    use super::gates::gate;
    let own = plan.gates.own_in(m);
    let mut defs = Vec::new();
    for avp in &avps {
        let attr = plan.gates.avp_in(&avp.key, m);
        defs.push(gate(&attr, avp_def(model, plan, m, avp, rt)));
    }
    for (app, _) in &apps {
        for cmd in app.commands.values() {
            for (g, suffix) in [(&cmd.request, "REQUEST"), (&cmd.answer, "ANSWER")] {
                let name = format_ident!("{}_{suffix}_GRAMMAR", names::def_name(&cmd.name));
                let body = grammar_def(model, plan, m, g);
                let doc = format!("Grammar of {}-{}.", cmd.name, suffix.to_lowercase());
                let doc_docs = docs(&doc);
                defs.push(quote! { #own #doc_docs pub static #name: GrammarDef = #body; });
                let oname = format_ident!("{}_{suffix}_OCCURS", names::def_name(&cmd.name));
                defs.push(gate(&own, occurs_table(model, g, &oname, rt)));
            }
        }
    }
    let mut sorted: Vec<&&Avp> = avps.iter().collect();
    sorted.sort_by_key(|a| a.key);
    let dict_avps = sorted.iter().map(|a| {
        let n = format_ident!("{}", names::def_name(&a.name));
        let attr = plan.gates.avp_in(&a.key, m);
        quote!(#attr &defs::#n)
    });
    let dict_apps = apps.iter().map(|(app, profile)| {
        let id = app.id;
        let profile = match profile {
            Some(p) => quote!(Some(#p)),
            None => quote!(None),
        };
        let name = &app.name;
        let spec = &app.spec;
        let vendor = app.vendor_id.unwrap_or(0);
        let cmds = app.commands.values().map(|c| {
            let code = c.code;
            let cname = &c.name;
            let (ra, aa) = (&c.request_abbrev, &c.answer_abbrev);
            let rq = format_ident!("{}_REQUEST_GRAMMAR", names::def_name(&c.name));
            let an = format_ident!("{}_ANSWER_GRAMMAR", names::def_name(&c.name));
            let pxy = matches!(c.request.header, crate::model::GrammarHeader::Command { proxiable: true, .. });
            quote! {
                #rt::dictionary::CommandDef { code: #code, name: #cname, request_abbrev: #ra, answer_abbrev: #aa,
                    request: &defs::#rq, answer: &defs::#an, proxiable: #pxy }
            }
        });
        quote! {
            #own #rt::dictionary::ApplicationDef { id: #id, name: #name, spec: #spec, vendor_id: #vendor, profile: #profile, commands: &[#(#cmds),*] }
        }
    });

    let mut items = Vec::new();
    for avp in &avps {
        let attr = plan.gates.avp_in(&avp.key, m);
        match avp.ty {
            AvpType::Enumerated => items.push(gate(&attr, enum_type(avp, rt))),
            AvpType::Grouped => items.push(gate(&attr, group_type(model, plan, m, avp, rt))),
            _ => {}
        }
    }
    for (app, _) in &apps {
        for cmd in app.commands.values() {
            for request in [true, false] {
                let t = command_type(model, plan, m, app, cmd, request, rt);
                items.push(gate(&own, t));
            }
        }
    }
    items.extend(
        enum_extensions(model, plan, m)
            .into_iter()
            .map(|t| gate(&own, t)),
    );
    items.push(super::rules::value_names(model, plan, m));
    items.push(super::bits::module_items(model, plan, m));
    let specs: BTreeSet<&str> = avps
        .iter()
        .map(|a| a.spec.as_str())
        .chain(apps.iter().map(|(a, _)| a.spec.as_str()))
        .collect();
    let mut doc = format!(
        "Types generated from {}.",
        specs.into_iter().collect::<Vec<_>>().join(", ")
    );
    for (app, _) in &apps {
        doc.push_str(&format!(
            "\n\nApplication {} ({}): {}.",
            app.id, app.kind, app.name
        ));
    }
    let inner_doc = doc.lines().map(|l| {
        let l = if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        };
        quote!(#![doc = #l])
    });
    let defs_doc =
        " Dictionary statics: one [`AvpDef`](rt::AvpDef) per AVP (its documentation), the \
         grammars, and per grammar the `Occurs` table its decoders check against.";
    quote! {
        #(#inner_doc)*
        // Generated code is formatted by the generator (prettyplease); `cargo fmt` leaves it be,
        // so that the freshness check compares like with like.
        #![cfg_attr(rustfmt, rustfmt::skip)]
        #![allow(clippy::too_many_arguments, clippy::match_single_binding)]
        #[allow(unused_imports)]
        use #runtime::__private as rt;

        #[doc = #defs_doc]
        pub mod defs {
            #![allow(unused_imports)]
            use super::rt::{self, AvpDef, GrammarDef};
            use super::rt::{AvpType::*, FlagRule::*};
            #(#defs)*
        }

        /// The AVPs and applications this module defines.
        pub static DICTIONARY: #rt::dictionary::Dictionary = #rt::dictionary::Dictionary {
            avps: &[#(#dict_avps),*],
            applications: &[#(#dict_apps),*],
        };

        #(#items)*
    }
}

fn avp_def(model: &Model, plan: &Plan, m: &str, avp: &Avp, rt: &TokenStream) -> TokenStream {
    let name_id = format_ident!("{}", names::def_name(&avp.name));
    let name = &avp.name;
    let code = Literal::u32_unsuffixed(avp.key.code);
    let vendor = Literal::u32_unsuffixed(avp.key.vendor_id);
    let ty = avp_type(avp.ty);
    let (fm, fv, fp) = (flag(avp.flags.m), flag(avp.flags.v), flag(avp.flags.p));
    let enums = avp.enums.iter().map(|e| {
        let (n, v) = (&e.name, Literal::i32_unsuffixed(e.value));
        quote!((#n, #v))
    });
    let spec = &avp.spec;
    let doc_docs = docs(&doc_avp(avp, model));
    let mut out = TokenStream::new();
    let grouped = match &avp.grammar {
        Some(g) => {
            let gname = format_ident!("{}_GRAMMAR", names::def_name(&avp.name));
            let body = grammar_def(model, plan, m, g);
            let gdoc = format!("Member grammar of `{}`.", avp.name);
            let gdoc_docs = docs(&gdoc);
            out.extend(quote! { #gdoc_docs pub static #gname: GrammarDef = #body; });
            let oname = format_ident!("{}_OCCURS", names::def_name(&avp.name));
            out.extend(occurs_table(model, g, &oname, rt));
            quote!(Some(&#gname))
        }
        None => quote!(None),
    };
    out.extend(quote! {
        #doc_docs
        pub static #name_id: AvpDef = AvpDef {
            name: #name, code: #code, vendor_id: #vendor, ty: #ty, m: #fm, v: #fv, p: #fp,
            enums: &[#(#enums),*], grouped: #grouped, spec: #spec,
        };
    });
    out
}

fn grammar_def(model: &Model, plan: &Plan, m: &str, g: &Grammar) -> TokenStream {
    let rules = g.rules.iter().map(|r| {
        let d = def_ref(model, plan, m, &r.avp, true);
        let fixed = r.kind == crate::model::RuleKind::Fixed;
        let min = Literal::u32_unsuffixed(r.min);
        let max = match r.max {
            Some(x) => {
                let x = Literal::u32_unsuffixed(x);
                quote!(Some(#x))
            }
            None => quote!(None),
        };
        quote!(rt::rule(&#d, #fixed, #min, #max))
    });
    let ext = g.extensible;
    let one_of = super::rules::one_of_def(model, g);
    quote!(GrammarDef { rules: &[#(#rules),*], extensible: #ext, #one_of })
}

fn enum_type(avp: &Avp, rt: &TokenStream) -> TokenStream {
    let ty = format_ident!("{}", names::type_name(&avp.name));
    let doc = format!(
        "The Enumerated AVP [`{}`](defs::{}); open: values the dictionary does not list \
         decode and re-encode unchanged.",
        avp.name,
        names::def_name(&avp.name)
    );
    let doc_docs = docs(&doc);
    let mut used = BTreeSet::new();
    let consts: Vec<(proc_macro2::Ident, &str, i32)> = avp
        .enums
        .iter()
        .map(|e| {
            let mut c = names::const_name(&e.name);
            if !used.insert(c.clone()) {
                c = format!("{c}_{}", e.value.unsigned_abs());
                used.insert(c.clone());
            }
            (
                format_ident!("{}", c.trim_start_matches("r#")),
                e.name.as_str(),
                e.value,
            )
        })
        .collect();
    let const_items = consts.iter().map(|(c, n, v)| {
        let d_docs = docs(&format!("`{n}` ({v})."));
        let v = Literal::i32_unsuffixed(*v);
        quote!(#d_docs pub const #c: Self = Self(#v);)
    });
    let arms = consts.iter().map(|(_, n, v)| {
        let v = Literal::i32_unsuffixed(*v);
        quote!(#v => Some(#n),)
    });
    let avp_name = &avp.name;
    quote! {
        #doc_docs
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct #ty(pub i32);

        impl #ty {
            #(#const_items)*

            /// The dictionary name of this value, or `None` when unlisted.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    #(#arms)*
                    _ => None,
                }
            }
        }

        #rt::enumerated!(#ty, #avp_name);
    }
}

/// One `pub mod <avp>_ext` per Enumerated AVP that the dictionaries of module `m` extend
/// (`<enum-extension>`): the added values as constants of the AVP's own enum type, which lives
/// in another module or in another crate (`extern_path`), and a `name` lookup covering them.
fn enum_extensions(model: &Model, plan: &Plan, m: &str) -> Vec<TokenStream> {
    let mut by_avp: BTreeMap<AvpKey, Vec<&EnumExtension>> = BTreeMap::new();
    for ext in &model.enum_extensions {
        if plan.file_module.get(&ext.span.file).map(String::as_str) == Some(m) {
            by_avp.entry(ext.avp).or_default().push(ext);
        }
    }
    let mut out = Vec::new();
    for (key, exts) in by_avp {
        let Some(avp) = model.avps.get(&key) else {
            continue;
        };
        // The enum type as named from inside the `_ext` module, one level below `m`.
        let to = plan.avp_module(model, &key);
        let up = if plan.is_local(to) { "super::" } else { "" };
        let prefix = format!("{up}{}", plan.path_from(m, to));
        let type_name = names::type_name(&avp.name);
        let ty = path(&prefix, &type_name);
        let field = names::field_name(&avp.name);
        let module = format_ident!("{}_ext", field.trim_start_matches("r#"));

        let mut doc = String::new();
        for ext in &exts {
            let text = ext.doc.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty() {
                doc.push_str(&text);
                doc.push_str("\n\n");
            }
        }
        let places = exts
            .iter()
            .map(|e| e.span.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let home = if plan.is_local(to) {
            format!("`{type_name}` of module `{to}`")
        } else {
            format!("`{prefix}{type_name}`")
        };
        doc.push_str(&format!(
            "Values added to `{}` (AVP code {}) by `<enum-extension>` at {places}, as constants \
             of its enum type {home}. Like every value the AVP's dictionary does not list, they \
             decode and re-encode unchanged; these names make them readable.",
            avp.name, avp.key.code
        ));
        let module_docs = docs(&doc);

        let mut used = BTreeSet::new();
        let mut consts = Vec::new();
        let mut arms = Vec::new();
        for value in exts.iter().flat_map(|e| &e.values) {
            let mut c = names::const_name(&value.name);
            if !used.insert(c.clone()) {
                c = format!("{c}_{}", value.value.unsigned_abs());
                used.insert(c.clone());
            }
            let c = format_ident!("{}", c.trim_start_matches("r#"));
            let (n, v) = (&value.name, Literal::i32_unsuffixed(value.value));
            let d_docs = docs(&format!("`{n}` ({}).", value.value));
            consts.push(quote!(#d_docs pub const #c: #ty = #ty(#v);));
            arms.push(quote!(#v => Some(#n),));
        }
        out.push(quote! {
            #module_docs
            pub mod #module {
                #(#consts)*

                /// The dictionary name of `value`: one of the values above, or one the AVP's
                /// own dictionary lists; `None` when neither lists it.
                pub fn name(value: #ty) -> Option<&'static str> {
                    match value.0 {
                        #(#arms)*
                        _ => value.name(),
                    }
                }
            }
        });
    }
    out
}

/// A field of a generated struct, derived from one grammar rule.
pub(super) struct Field {
    pub(super) name: proc_macro2::Ident,
    pub(super) ty: TokenStream,
    /// The type of one value (a group's struct unboxed).
    pub(super) value: TokenStream,
    /// Boxed in the struct (a recursive group, or a large optional one).
    pub(super) boxed: bool,
    /// The group's view type, for Grouped fields.
    pub(super) view: Option<TokenStream>,
    pub(super) shape: Shape,
    pub(super) grouped: bool,
    pub(super) index: usize,
    /// One line: the AVP (linked to its `defs` entry, which holds its documentation) and how
    /// often it occurs.
    pub(super) doc: String,
    pub(super) dict_name: String,
    /// Code, flags a sender sets (M when the rule is must) and Vendor-Id (0 for none).
    pub(super) wire: (u32, u8, u32),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    One,
    Optional,
    Many,
    Forbidden,
}

pub(super) fn fields(
    model: &Model,
    plan: &Plan,
    m: &str,
    g: &Grammar,
    rt: &TokenStream,
) -> Vec<Field> {
    let mut out = Vec::new();
    let mut used = BTreeSet::new();
    for (index, r) in g.rules.iter().enumerate() {
        let avp = &model.avps[&r.avp];
        let shape = match (r.min, r.max) {
            (_, Some(0)) => Shape::Forbidden,
            (1, Some(1)) => Shape::One,
            (0, Some(1)) => Shape::Optional,
            _ => Shape::Many,
        };
        let mut fname = names::field_name(&avp.name);
        while !used.insert(fname.clone()) || fname == "other_avps" {
            fname.push('_');
        }
        let value = value_type(model, plan, m, avp, rt);
        let mut vt = value.clone();
        let grouped = avp.ty == AvpType::Grouped;
        // Members whose type can contain itself are boxed, unless a Vec already gives
        // indirection; so are large optional groups (see `Plan::boxed`).
        let is_boxed = grouped
            && match shape {
                Shape::One => avp.recursive || plan.boxed_always(&r.avp),
                Shape::Optional => avp.recursive || plan.boxed.contains(&r.avp),
                Shape::Many | Shape::Forbidden => false,
            };
        if is_boxed {
            vt = quote!(Box<#vt>);
        }
        let view = grouped.then(|| view_type(plan, m, model, avp));
        let ty = match (shape, inline_capacity(avp.ty)) {
            (Shape::One, _) => vt.clone(),
            (Shape::Optional, _) => quote!(Option<#vt>),
            (Shape::Many, Some(n)) => quote!(#rt::SmallVec<[#vt; #n]>),
            (Shape::Many | Shape::Forbidden, _) => quote!(Vec<#vt>),
        };
        let how = match (r.min, r.max, r.kind == crate::model::RuleKind::Fixed) {
            (1, Some(1), true) => "required, at its fixed position".to_string(),
            (1, Some(1), false) => "required".to_string(),
            (0, Some(1), _) => "optional".to_string(),
            (a, Some(b), _) => format!("{a} to {b} times"),
            (a, None, _) => format!("at least {a} times"),
        };
        let def = def_ref(model, plan, m, &r.avp, false)
            .to_string()
            .replace(' ', "");
        let doc = format!("[`{}`]({def}), {how}.", avp.name);
        out.push(Field {
            name: format_ident!("{}", fname.trim_start_matches("r#")),
            ty,
            value,
            boxed: is_boxed,
            view,
            shape,
            grouped,
            index,
            doc,
            dict_name: avp.name.clone(),
            wire: (
                avp.key.code,
                if avp.flags.m == FlagRule::Must {
                    0x40
                } else {
                    0
                },
                avp.key.vendor_id,
            ),
        });
    }
    out
}

/// How many values a repeated field of this type keeps inline (no allocation): as many as
/// fit in 16 bytes, at least one. `None` (a `Vec`) for groups, whose structs are large, for
/// DiameterURI, and for types that borrow: `SmallVec` is invariant in its item type, which
/// would stop a `Foo<'static>` from being used as a `Foo<'a>`.
fn inline_capacity(t: AvpType) -> Option<usize> {
    match t {
        AvpType::Integer32
        | AvpType::Unsigned32
        | AvpType::Float32
        | AvpType::Enumerated
        | AvpType::Time => Some(4),
        AvpType::Integer64 | AvpType::Unsigned64 | AvpType::Float64 => Some(2),
        AvpType::Address => Some(1),
        AvpType::OctetString
        | AvpType::Utf8String
        | AvpType::DiameterIdentity
        | AvpType::IpFilterRule
        | AvpType::QosFilterRule
        | AvpType::Grouped
        | AvpType::DiameterUri => None,
    }
}

/// Struct fields, decode, encode and `into_owned` bodies shared by groups and commands
/// (constructors and builders: `emit::builders`).
struct Body {
    decls: TokenStream,
    decode: TokenStream,
    encode: TokenStream,
    /// Field list of `into_owned_in`.
    into_owned: TokenStream,
    /// `<'a>` when the struct borrows the decoded buffer, else nothing.
    lifetime: TokenStream,
    /// The fields, for the view.
    fields: Vec<Field>,
}

/// `defs::<NAME>_GRAMMAR` and `defs::<NAME>_OCCURS` of one grammar.
pub(super) struct GrammarRefs {
    pub(super) grammar: proc_macro2::Ident,
    pub(super) occurs: proc_macro2::Ident,
}

/// `ctx.fields(&defs::X_GRAMMAR, &defs::X_OCCURS)`: the walk state of one AVP list.
fn fields_start(refs: &GrammarRefs) -> TokenStream {
    let (g, o) = (&refs.grammar, &refs.occurs);
    quote!(let mut s = ctx.fields(&defs::#g, &defs::#o);)
}

/// The walk of one AVP list, shared by the struct's decoder and the view's check: each AVP
/// matched on (code, vendor) to its field's `arms` or else `other_arm`, then `after` (the
/// checks of required rules and choices).
pub(super) fn walk(
    refs: &GrammarRefs,
    arms: impl Iterator<Item = TokenStream>,
    other_arm: TokenStream,
    after: TokenStream,
) -> TokenStream {
    let start = fields_start(refs);
    quote! {
        #start
        while let Some(a) = s.next(data) {
            match (a.header.code, a.header.vendor()) {
                #(#arms)*
                #other_arm
            }
        }
        #after
    }
}

/// `(code, vendor)` of a match arm, as unsuffixed literals.
pub(super) fn key_pattern(f: &Field) -> TokenStream {
    let (code, _, vendor) = f.wire;
    let (code, vendor) = (
        Literal::u32_unsuffixed(code),
        Literal::u32_unsuffixed(vendor),
    );
    quote!((#code, #vendor))
}

fn body(
    model: &Model,
    plan: &Plan,
    m: &str,
    g: &Grammar,
    refs: &GrammarRefs,
    rt: &TokenStream,
) -> Body {
    let fs = fields(model, plan, m, g, rt);
    let keep: Vec<&Field> = fs.iter().filter(|f| f.shape != Shape::Forbidden).collect();
    let decl_items = keep.iter().map(|f| {
        let (n, t, d_docs) = (field_ident(&f.name), &f.ty, docs(&f.doc));
        quote!(#d_docs pub #n: #t,)
    });
    let other = if g.extensible {
        quote!(
            /// AVPs the grammar does not name (`*[ AVP ]`), kept as received.
            pub other_avps: Vec<#rt::RawAvp<'a>>,
        )
    } else {
        quote!()
    };
    let decls = quote!(#(#decl_items)* #other);

    // decode, in place: `self` starts as `Default`; counts live in the walk state `s`.
    // Excluded AVPs (`0*0`) get no arm: `s.other` finds their rule (see `emit::rules`).
    let arms = fs.iter().filter(|f| super::rules::has_arm(f)).map(|f| {
        let k = Literal::usize_unsuffixed(f.index);
        let n = field_ident(&f.name);
        let call = match (f.shape, f.grouped) {
            (Shape::Forbidden, _) => unreachable!("rules::has_arm leaves excluded rules out"),
            (Shape::One, false) => quote!(s.one(#k, &a, &mut self.#n)),
            (Shape::One, true) => quote!(s.one_group(#k, &a, &mut self.#n)),
            (Shape::Optional, false) => quote!(s.opt(#k, &a, &mut self.#n)),
            (Shape::Optional, true) => quote!(s.opt_group(#k, &a, &mut self.#n)),
            (Shape::Many, true) => quote!(s.many_group(#k, &a, &mut self.#n)),
            (Shape::Many, false) => quote!(s.many(#k, &a, &mut self.#n)),
        };
        let key = key_pattern(f);
        quote!(#key => #call,)
    });
    let other_arm = if g.extensible {
        quote!(_ => s.other(&a, Some(&mut self.other_avps)),)
    } else {
        quote!(_ => s.other(&a, None),)
    };
    let needs = fs.iter().filter(|f| g.rules[f.index].min > 0).map(|f| {
        let k = Literal::usize_unsuffixed(f.index);
        quote!(s.need(#k);)
    });
    let one_of = super::rules::one_of_check(g, None);
    let decode = walk(refs, arms, other_arm, quote!(#(#needs)* #one_of));

    // into_owned_in: every field made 'static; empty (the value itself is returned) when
    // nothing borrows.
    let borrows = plan.borrows(model, g);
    let lifetime = if borrows { quote!(<'a>) } else { quote!() };
    let into_owned = if borrows {
        let mut names: Vec<TokenStream> = keep.iter().map(|f| field_ident(&f.name)).collect();
        if g.extensible {
            names.push(quote!(other_avps));
        }
        let owned = names
            .iter()
            .map(|n| quote!(#n: self.#n.into_owned_in(owner),));
        quote!(#(#owned)*)
    } else {
        quote!()
    };

    // encode, in grammar order; each AVP written once (a group's header after its children).
    let mut encs = Vec::new();
    for f in &keep {
        let n = field_ident(&f.name);
        let (code, flags, vendor) = f.wire;
        let (code, flags, vendor) = (
            Literal::u32_unsuffixed(code),
            Literal::u8_unsuffixed(flags),
            Literal::u32_unsuffixed(vendor),
        );
        encs.push(match (f.shape, f.grouped) {
            (Shape::One, true) => quote!(#rt::put_group(w, &self.#n);),
            (Shape::Optional, true) => quote!(#rt::put_opt_group(w, &self.#n);),
            (_, true) => quote!(#rt::put_groups(w, &self.#n);),
            (Shape::One, false) => quote!(#rt::put(w, #code, #flags, #vendor, &self.#n);),
            (Shape::Optional, false) => quote!(#rt::put_opt(w, #code, #flags, #vendor, &self.#n);),
            (_, false) => quote!(#rt::put_all(w, #code, #flags, #vendor, &self.#n);),
        });
    }
    if g.extensible {
        encs.push(quote!(#rt::put_raw(w, &self.other_avps);));
    }
    let encode = quote!(#(#encs)*);
    Body {
        decls,
        decode,
        encode,
        into_owned,
        lifetime,
        fields: fs,
    }
}

/// `pub const <NAME>_OCCURS`: one `Occurs` per rule of `g`, what the decoders of the struct
/// and of the view check each AVP against (immediates, once inlined).
fn occurs_table(
    model: &Model,
    g: &Grammar,
    name: &proc_macro2::Ident,
    rt: &TokenStream,
) -> TokenStream {
    let mut fixed_at = 0usize;
    let counted = super::rules::counted(g);
    let entries = g.rules[..counted].iter().map(|rule| {
        let avp = &model.avps[&rule.avp];
        let max = match rule.max {
            Some(m) => {
                let m = Literal::u32_unsuffixed(m);
                quote!(#m)
            }
            None => quote!(u32::MAX),
        };
        let fixed = if rule.kind == crate::model::RuleKind::Fixed {
            fixed_at += 1;
            let f = Literal::usize_unsuffixed(fixed_at - 1);
            quote!(#f)
        } else {
            quote!(usize::MAX)
        };
        let (mut mask, mut bits) = (0u8, 0u8);
        for (rule, bit) in [(avp.flags.m, 0x40u8), (avp.flags.p, 0x20)] {
            match rule {
                FlagRule::Must => (mask, bits) = (mask | bit, bits | bit),
                FlagRule::MustNot => mask |= bit,
                FlagRule::May | FlagRule::ShouldNot => {}
            }
        }
        let (mask, bits) = (Literal::u8_unsuffixed(mask), Literal::u8_unsuffixed(bits));
        let min = Literal::u32_unsuffixed(rule.min);
        quote!(#rt::Occurs::new(#min, #max, #fixed, #mask, #bits))
    });
    let n = Literal::usize_unsuffixed(counted);
    quote! {
        #[doc(hidden)]
        pub const #name: [#rt::Occurs; #n] = [#(#entries),*];
    }
}

/// The view type of Grouped AVP `avp`, as named from module `from`.
fn view_type(plan: &Plan, from: &str, model: &Model, avp: &Avp) -> TokenStream {
    let prefix = plan.path_from(from, plan.avp_module(model, &avp.key));
    let p = path(&prefix, &format!("{}View", names::type_name(&avp.name)));
    quote!(#p<'a>)
}

pub(super) fn field_ident(n: &proc_macro2::Ident) -> TokenStream {
    let s = n.to_string();
    if syn::parse_str::<syn::Ident>(&s).is_ok() {
        quote!(#n)
    } else {
        ident(&format!("r#{s}"))
    }
}

/// `new` and the builder of the group or command `ty`, named `name` (see `emit::builders`).
fn constructors(
    model: &Model,
    g: &Grammar,
    b: &Body,
    refs: &GrammarRefs,
    ty: &proc_macro2::Ident,
    name: &str,
    rt: &TokenStream,
) -> TokenStream {
    let grammar = &refs.grammar;
    let command = matches!(g.header, crate::model::GrammarHeader::Command { .. });
    let target = super::builders::Target {
        ty,
        lifetime: &b.lifetime,
        name,
        what: if command { "message" } else { "group" },
        command,
        grammar: quote!(defs::#grammar),
    };
    super::builders::constructors(model, g, &b.fields, &target, rt)
}

fn group_type(model: &Model, plan: &Plan, m: &str, avp: &Avp, rt: &TokenStream) -> TokenStream {
    let ty = format_ident!("{}", names::type_name(&avp.name));
    let Some(g) = &avp.grammar else {
        return quote!();
    };
    let refs = GrammarRefs {
        grammar: format_ident!("{}_GRAMMAR", names::def_name(&avp.name)),
        occurs: format_ident!("{}_OCCURS", names::def_name(&avp.name)),
    };
    let dname = format_ident!("{}", names::def_name(&avp.name));
    let b = body(model, plan, m, g, &refs, rt);
    let ctors = constructors(model, g, &b, &refs, &ty, &avp.name, rt);
    let (decls, decode, encode) = (b.decls, b.decode, b.encode);
    let owned = owned_impl(&ty, &b.lifetime, &b.into_owned, rt);
    let lt = b.lifetime;
    let view = super::views::view(
        g,
        &b.fields,
        &refs,
        &ty,
        &lt,
        super::views::Target::Group { def: &dname },
        rt,
    );
    let doc_docs = docs(&format!("The Grouped AVP [`{}`](defs::{dname}).", avp.name));
    quote! {
        #doc_docs
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #ty #lt { #decls }

        #ctors

        impl<'a> #rt::Group<'a> for #ty #lt {
            const DEF: &'static #rt::AvpDef = &defs::#dname;
            fn decode_group(&mut self, data: &'a [u8], ctx: &mut #rt::DecodeCtx<'_>) {
                #decode
            }
            fn encode_group(&self, w: &mut #rt::Writer<'_>) {
                #encode
            }
        }

        #owned

        #view
    }
}

/// `impl IntoOwned`: the same type with `'static` for a borrowing one, itself otherwise.
fn owned_impl(
    ty: &proc_macro2::Ident,
    lifetime: &TokenStream,
    owned: &TokenStream,
    rt: &TokenStream,
) -> TokenStream {
    if lifetime.is_empty() {
        quote! {
            impl #rt::IntoOwned for #ty {
                type Owned = #ty;
                fn into_owned_in(self, _: Option<&#rt::Bytes>) -> #ty { self }
            }
        }
    } else {
        quote! {
            impl #rt::IntoOwned for #ty<'_> {
                type Owned = #ty<'static>;
                fn into_owned_in(self, owner: Option<&#rt::Bytes>) -> #ty<'static> {
                    #ty { #owned }
                }
            }
        }
    }
}

fn command_type(
    model: &Model,
    plan: &Plan,
    m: &str,
    app: &Application,
    cmd: &Command,
    request: bool,
    rt: &TokenStream,
) -> TokenStream {
    let (g, suffix, abbrev) = if request {
        (&cmd.request, "Request", &cmd.request_abbrev)
    } else {
        (&cmd.answer, "Answer", &cmd.answer_abbrev)
    };
    let full = format!("{}-{suffix}", cmd.name);
    let ty = format_ident!("{}", names::type_name(&full));
    let upper = suffix.to_uppercase();
    let refs = GrammarRefs {
        grammar: format_ident!("{}_{upper}_GRAMMAR", names::def_name(&cmd.name)),
        occurs: format_ident!("{}_{upper}_OCCURS", names::def_name(&cmd.name)),
    };
    let b = body(model, plan, m, g, &refs, rt);
    let ctors = constructors(model, g, &b, &refs, &ty, &full, rt);
    let (decls, decode, encode) = (b.decls, b.decode, b.encode);
    let owned = owned_impl(&ty, &b.lifetime, &b.into_owned, rt);
    let lt = b.lifetime;
    let view = super::views::view(
        g,
        &b.fields,
        &refs,
        &ty,
        &lt,
        super::views::Target::Command,
        rt,
    );
    let code = cmd.code;
    let pxy = matches!(
        cmd.request.header,
        crate::model::GrammarHeader::Command {
            proxiable: true,
            ..
        }
    );
    let (app_id, spec) = (app.id, app.spec.as_str());
    let mut doc = format!("{full} ({abbrev}): command code {code}, application {app_id}; {spec}");
    if let Some(s) = &cmd.section {
        doc.push_str(&format!(" section {s}"));
    }
    doc.push('.');
    let doc_docs = docs(&doc);
    // A request names its answer's grammar, whose required AVPs an error answer copies
    // (`answer::error_answer_with`); its view and the `Message` enums ask through it.
    let answer_grammar = if request {
        let an = format_ident!("{}_ANSWER_GRAMMAR", names::def_name(&cmd.name));
        quote!(const ANSWER_GRAMMAR: Option<&'static #rt::GrammarDef> = Some(&defs::#an);)
    } else {
        quote!()
    };
    let vty = format_ident!("{ty}View");
    quote! {
        #doc_docs
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #ty #lt { #decls }

        #ctors

        impl<'a> #rt::answer::AnswerGrammar for #vty<'a> {
            fn answer_grammar(&self) -> Option<&'static #rt::GrammarDef> {
                <#ty #lt as #rt::Command<'a>>::ANSWER_GRAMMAR
            }
        }

        impl<'a> #rt::Command<'a> for #ty #lt {
            #answer_grammar
            const CODE: u32 = #code;
            const APPLICATION_ID: u32 = #app_id;
            const IS_REQUEST: bool = #request;
            const PROXIABLE: bool = #pxy;
            const NAME: &'static str = #full;
            const ABBREV: &'static str = #abbrev;
            fn known_avp(code: u32, vendor_id: u32) -> Option<&'static #rt::AvpDef> {
                super::avp_def(code, vendor_id)
            }
            fn decode_body(&mut self, data: &'a [u8], ctx: &mut #rt::DecodeCtx<'_>) {
                #decode
            }
            fn encode_body(&self, w: &mut #rt::Writer<'_>) {
                #encode
            }
        }

        #owned

        #view
    }
}
