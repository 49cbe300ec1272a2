//! The items of one module: dictionary statics, enums, groups and commands.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::names;
use super::plan::Plan;
use crate::model::{Avp, AvpKey, AvpType, Command, EnumExtension, FlagRule, Grammar, Model};

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

fn flag(rt: &TokenStream, f: FlagRule) -> TokenStream {
    match f {
        FlagRule::Must => quote!(#rt::dictionary::FlagRule::Must),
        FlagRule::May => quote!(#rt::dictionary::FlagRule::May),
        FlagRule::ShouldNot => quote!(#rt::dictionary::FlagRule::ShouldNot),
        FlagRule::MustNot => quote!(#rt::dictionary::FlagRule::MustNot),
    }
}

fn avp_type(rt: &TokenStream, t: AvpType) -> TokenStream {
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
    quote!(#rt::types::AvpType::#v)
}

/// The Rust type of an AVP's value, as named from module `from`.
fn value_type(model: &Model, plan: &Plan, from: &str, avp: &Avp, rt: &TokenStream) -> TokenStream {
    match avp.ty {
        AvpType::OctetString => quote!(#rt::types::OctetString<'a>),
        AvpType::Integer32 => quote!(i32),
        AvpType::Integer64 => quote!(i64),
        AvpType::Unsigned32 => quote!(u32),
        AvpType::Unsigned64 => quote!(u64),
        AvpType::Float32 => quote!(f32),
        AvpType::Float64 => quote!(f64),
        AvpType::Address => quote!(#rt::types::Address),
        AvpType::Time => quote!(#rt::types::Time),
        AvpType::Utf8String => quote!(#rt::types::Utf8String<'a>),
        AvpType::DiameterIdentity => quote!(#rt::types::DiameterIdentity<'a>),
        AvpType::DiameterUri => quote!(#rt::types::DiameterUri),
        AvpType::IpFilterRule => quote!(#rt::types::IpFilterRule<'a>),
        AvpType::QosFilterRule => quote!(#rt::types::QosFilterRule<'a>),
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
pub fn module(model: &Model, plan: &Plan, m: &str, rt: &TokenStream) -> TokenStream {
    let avps: Vec<&Avp> = model
        .avps
        .values()
        .filter(|a| plan.avp_module(model, &a.key) == m)
        .collect();
    let apps: Vec<_> = model
        .applications
        .values()
        .filter(|a| a.module == m)
        .collect();

    let mut defs = Vec::new();
    for avp in &avps {
        defs.push(avp_def(model, plan, m, avp, rt));
    }
    for app in &apps {
        for cmd in app.commands.values() {
            for (g, suffix) in [(&cmd.request, "REQUEST"), (&cmd.answer, "ANSWER")] {
                let name = format_ident!("{}_{suffix}_GRAMMAR", names::def_name(&cmd.name));
                let body = grammar_def(model, plan, m, g, rt);
                let doc = format!("Grammar of {}-{}.", cmd.name, suffix.to_lowercase());
                let doc_docs = docs(&doc);
                defs.push(
                    quote! { #doc_docs pub static #name: #rt::dictionary::GrammarDef = #body; },
                );
            }
        }
    }
    let mut sorted: Vec<&&Avp> = avps.iter().collect();
    sorted.sort_by_key(|a| a.key);
    let dict_avps = sorted.iter().map(|a| {
        let n = format_ident!("{}", names::def_name(&a.name));
        quote!(&defs::#n)
    });
    let dict_apps = apps.iter().map(|app| {
        let id = app.id;
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
            #rt::dictionary::ApplicationDef { id: #id, name: #name, spec: #spec, vendor_id: #vendor, commands: &[#(#cmds),*] }
        }
    });

    let mut items = Vec::new();
    for avp in &avps {
        match avp.ty {
            AvpType::Enumerated => items.push(enum_type(model, avp, rt)),
            AvpType::Grouped => items.push(group_type(model, plan, m, avp, rt)),
            _ => {}
        }
    }
    for app in &apps {
        for cmd in app.commands.values() {
            items.push(command_type(model, plan, m, app.id, cmd, true, rt));
            items.push(command_type(model, plan, m, app.id, cmd, false, rt));
        }
    }
    items.extend(enum_extensions(model, plan, m));
    items.push(super::rules::value_names(model, plan, m));
    let specs: BTreeSet<&str> = avps
        .iter()
        .map(|a| a.spec.as_str())
        .chain(apps.iter().map(|a| a.spec.as_str()))
        .collect();
    let mut doc = format!(
        "Types generated from {}.",
        specs.into_iter().collect::<Vec<_>>().join(", ")
    );
    for app in &apps {
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
    let defs_doc = format!(
        " Dictionary statics: one [`AvpDef`]({}::dictionary::AvpDef) per AVP, and the grammars.",
        rt.to_string().replace(' ', "")
    );
    quote! {
        #(#inner_doc)*
        // Generated code is formatted by the generator (prettyplease); `cargo fmt` leaves it be,
        // so that the freshness check compares like with like.
        #![cfg_attr(rustfmt, rustfmt::skip)]
        #![allow(clippy::too_many_arguments, clippy::match_single_binding)]

        #[doc = #defs_doc]
        pub mod defs {
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
    let code = avp.key.code;
    let vendor = avp.key.vendor_id;
    let ty = avp_type(rt, avp.ty);
    let (fm, fv, fp) = (
        flag(rt, avp.flags.m),
        flag(rt, avp.flags.v),
        flag(rt, avp.flags.p),
    );
    let enums = avp.enums.iter().map(|e| {
        let (n, v) = (&e.name, e.value);
        quote!((#n, #v))
    });
    let spec = &avp.spec;
    let doc_docs = docs(&doc_avp(avp, model));
    let mut out = TokenStream::new();
    let grouped = match &avp.grammar {
        Some(g) => {
            let gname = format_ident!("{}_GRAMMAR", names::def_name(&avp.name));
            let body = grammar_def(model, plan, m, g, rt);
            let gdoc = format!("Member grammar of `{}`.", avp.name);
            let gdoc_docs = docs(&gdoc);
            out.extend(
                quote! { #gdoc_docs pub static #gname: #rt::dictionary::GrammarDef = #body; },
            );
            quote!(Some(&#gname))
        }
        None => quote!(None),
    };
    out.extend(quote! {
        #doc_docs
        pub static #name_id: #rt::dictionary::AvpDef = #rt::dictionary::AvpDef {
            name: #name, code: #code, vendor_id: #vendor, ty: #ty, m: #fm, v: #fv, p: #fp,
            enums: &[#(#enums),*], grouped: #grouped, spec: #spec,
        };
    });
    out
}

fn grammar_def(model: &Model, plan: &Plan, m: &str, g: &Grammar, rt: &TokenStream) -> TokenStream {
    let rules = g.rules.iter().map(|r| {
        let d = def_ref(model, plan, m, &r.avp, true);
        let fixed = r.kind == crate::model::RuleKind::Fixed;
        let min = r.min;
        let max = match r.max {
            Some(x) => quote!(Some(#x)),
            None => quote!(None),
        };
        quote!(#rt::dictionary::RuleDef { avp: &#d, fixed: #fixed, min: #min, max: #max })
    });
    let ext = g.extensible;
    let one_of = super::rules::one_of_def(g);
    quote!(#rt::dictionary::GrammarDef { rules: &[#(#rules),*], extensible: #ext, #one_of })
}

fn enum_type(model: &Model, avp: &Avp, rt: &TokenStream) -> TokenStream {
    let ty = format_ident!("{}", names::type_name(&avp.name));
    let doc = format!(
        "{}\n\nOpen: values the dictionary does not list decode and re-encode unchanged.",
        doc_avp(avp, model)
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
    let unlisted = format!("{}({{}})", avp.name);
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

        impl ::core::fmt::Debug for #ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({})", n, self.0),
                    None => write!(f, #unlisted, self.0),
                }
            }
        }

        impl From<i32> for #ty {
            fn from(v: i32) -> Self { Self(v) }
        }

        impl From<#ty> for i32 {
            fn from(v: #ty) -> i32 { v.0 }
        }

        impl<'a> #rt::types::AvpValue<'a> for #ty {
            const TYPE: #rt::types::AvpType = #rt::types::AvpType::Enumerated;
            #[inline]
            fn decode(data: &'a [u8]) -> Result<Self, #rt::ValueError> {
                <i32 as #rt::types::AvpValue<'a>>::decode(data).map(Self)
            }
            fn encoded_len(&self) -> usize { 4 }
            #[inline]
            fn encode_to(&self, out: &mut [u8]) {
                <i32 as #rt::types::AvpValue<'a>>::encode_to(&self.0, out)
            }
            #[inline]
            fn wire(&self) -> #rt::types::Wire<'_> {
                #rt::types::Wire::copied(&self.0.to_be_bytes())
            }
        }

        impl #rt::types::IntoOwned for #ty {
            type Owned = #ty;
            fn into_owned(self) -> #ty { self }
        }
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
    /// Boxed in the struct (a recursive group).
    pub(super) boxed: bool,
    /// The group's view type, for Grouped fields.
    pub(super) view: Option<TokenStream>,
    pub(super) shape: Shape,
    pub(super) grouped: bool,
    pub(super) index: usize,
    pub(super) fixed_at: Option<usize>,
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
    // Members whose type can contain itself are boxed, unless a Vec already gives indirection.
    let boxed = |k: &AvpKey| model.avps.get(k).is_some_and(|a| a.recursive);
    let mut out = Vec::new();
    let mut fixed_at = 0usize;
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
        let is_boxed = grouped && shape != Shape::Many && boxed(&r.avp);
        if is_boxed {
            vt = quote!(Box<#vt>);
        }
        let view = grouped.then(|| view_type(plan, m, model, avp));
        let ty = match (shape, inline_capacity(avp.ty)) {
            (Shape::One, _) => vt.clone(),
            (Shape::Optional, _) => quote!(Option<#vt>),
            (Shape::Many, Some(n)) => quote!(#rt::smallvec::SmallVec<[#vt; #n]>),
            (Shape::Many | Shape::Forbidden, _) => quote!(Vec<#vt>),
        };
        let bounds = match (r.min, r.max) {
            (a, Some(b)) => format!("{a} to {b}"),
            (a, None) => format!("at least {a}"),
        };
        let kind = match r.kind {
            crate::model::RuleKind::Fixed => "fixed position, ",
            _ => "",
        };
        let doc = format!("{}\n\nOccurs {kind}{bounds} times.", doc_avp(avp, model));
        let fa = (r.kind == crate::model::RuleKind::Fixed).then(|| {
            fixed_at += 1;
            fixed_at - 1
        });
        out.push(Field {
            name: format_ident!("{}", fname.trim_start_matches("r#")),
            ty,
            value,
            boxed: is_boxed,
            view,
            shape,
            grouped,
            index,
            fixed_at: fa,
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

/// Struct fields, decode, encode and `into_owned` bodies shared by groups and commands.
struct Body {
    decls: TokenStream,
    decode: TokenStream,
    encode: TokenStream,
    encoded_len: TokenStream,
    /// Field lists of `into_owned` and `into_shared`.
    into_owned: (TokenStream, TokenStream),
    /// `<'a>` when the struct borrows the decoded buffer, else nothing.
    lifetime: TokenStream,
    /// The fields, for the view.
    fields: Vec<Field>,
}

fn body(
    model: &Model,
    plan: &Plan,
    m: &str,
    g: &Grammar,
    grammar: TokenStream,
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

    // decode, in place: `self` starts as `Default`; counts are locals.
    let n = fs.len();
    // Excluded AVPs (`0*0`) get no arm: `ctx.other` finds their rule (see `emit::rules`).
    let arms = fs.iter().filter(|f| super::rules::has_arm(f)).map(|f| {
        let i = f.index;
        let n = field_ident(&f.name);
        let (code, _, vendor) = f.wire;
        let o = occurs(model, g, f, rt);
        let r = quote!(&G.rules[#i]);
        let call = match (f.shape, f.grouped) {
            (Shape::Forbidden, _) => quote!(ctx.forbidden(#r, #o, a, &mut counts[#i], index)),
            (Shape::One, false) => quote!(ctx.one(#r, #o, a, &mut self.#n, &mut counts[#i], index)),
            (Shape::One, true) => {
                quote!(ctx.one_group(#r, #o, a, &mut self.#n, &mut counts[#i], index))
            }
            (Shape::Optional, false) => {
                quote!(ctx.opt(#r, #o, a, &mut self.#n, &mut counts[#i], index))
            }
            (Shape::Optional, true) => {
                quote!(ctx.opt_group(#r, #o, a, &mut self.#n, &mut counts[#i], index))
            }
            (Shape::Many, true) => {
                quote!(ctx.many_group(#r, #o, a, &mut self.#n, &mut counts[#i], index))
            }
            (Shape::Many, false) => {
                quote!(ctx.many(#r, #o, a, &mut self.#n, &mut counts[#i], index))
            }
        };
        quote!((#code, #vendor) => #call,)
    });
    let other_arm = if g.extensible {
        quote!(_ => ctx.other(G, a, Some(&mut self.other_avps)),)
    } else {
        quote!(_ => ctx.other(G, a, None),)
    };
    let missing = missing_checks(g, &fs, None);
    let one_of = super::rules::one_of_check(g, quote!(counts));
    let counts_decl = counts_decl(n);
    let decode = quote! {
        let G: &'static #rt::dictionary::GrammarDef = &#grammar;
        #counts_decl
        ctx.walk(data, |ctx, a, index| match (a.header.code, a.header.vendor()) {
            #(#arms)*
            #other_arm
        });
        #missing
        #one_of
    };

    // into_owned / into_shared: every field made 'static; the field lists are empty (the
    // value itself is returned) when nothing borrows.
    let borrows = plan.borrows(model, g);
    let lifetime = if borrows { quote!(<'a>) } else { quote!() };
    let into_owned = if borrows {
        let mut names: Vec<TokenStream> = keep.iter().map(|f| field_ident(&f.name)).collect();
        if g.extensible {
            names.push(quote!(other_avps));
        }
        let owned = names
            .iter()
            .map(|n| quote!(#n: #rt::types::IntoOwned::into_owned(self.#n),));
        let shared = names
            .iter()
            .map(|n| quote!(#n: #rt::types::IntoOwned::into_shared(self.#n, owner),));
        (quote!(#(#owned)*), quote!(#(#shared)*))
    } else {
        (quote!(), quote!())
    };

    // encode, in grammar order, and the length it takes: the writer writes in one pass (a
    // Grouped AVP's header after its children) and asks the length only when the buffer's
    // spare capacity is too small (see `enc::message`).
    let mut encs = Vec::new();
    let mut lens = Vec::new();
    for f in &keep {
        let n = field_ident(&f.name);
        let (code, flags, vendor) = f.wire;
        let flags = Literal::u8_unsuffixed(flags);
        let (put, size) = if f.grouped {
            (
                quote!(#rt::typed::put_group(w, v);),
                quote!(#rt::typed::group_len(v)),
            )
        } else {
            (
                quote!(#rt::enc::scalar(w, #code, #flags, #vendor, v);),
                quote!(#rt::enc::scalar_len(#vendor, v)),
            )
        };
        match f.shape {
            Shape::One => {
                encs.push(quote!({ let v = &self.#n; #put }));
                lens.push(quote!({ let v = &self.#n; n += #size; }));
            }
            Shape::Optional => {
                encs.push(quote!(if let Some(v) = &self.#n { #put }));
                lens.push(quote!(if let Some(v) = &self.#n { n += #size; }));
            }
            Shape::Many | Shape::Forbidden => {
                encs.push(quote!(for v in self.#n.iter() { #put }));
                lens.push(quote!(for v in self.#n.iter() { n += #size; }));
            }
        }
    }
    if g.extensible {
        encs.push(
            quote!(if !self.other_avps.is_empty() { #rt::raw::put_raw(w, &self.other_avps); }),
        );
        lens.push(
            quote!(if !self.other_avps.is_empty() { n += #rt::raw::raw_len(&self.other_avps); }),
        );
    }
    let encode = quote!(#(#encs)*);
    let encoded_len = quote! {
        let mut n = 0usize;
        #(#lens)*
        n
    };
    Body {
        decls,
        decode,
        encode,
        encoded_len,
        into_owned,
        lifetime,
        fields: fs,
    }
}

/// The `Occurs` literal of field `f`: what the decoder checks against immediates.
pub(super) fn occurs(model: &Model, g: &Grammar, f: &Field, rt: &TokenStream) -> TokenStream {
    let rule = &g.rules[f.index];
    let avp = &model.avps[&rule.avp];
    let max = match rule.max {
        Some(m) => quote!(#m),
        None => quote!(u32::MAX),
    };
    let fixed_at = match f.fixed_at {
        Some(fa) => quote!(#fa),
        None => quote!(usize::MAX),
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
    quote!(#rt::typed::Occurs { max: #max, fixed_at: #fixed_at, flag_mask: #mask, flag_bits: #bits })
}

/// `let mut counts = [0u32; n];`
pub(super) fn counts_decl(n: usize) -> TokenStream {
    if n == 0 {
        quote!(let mut counts = [0u32; 0];)
    } else {
        quote!(let mut counts = [0u32; #n];)
    }
}

/// After the walk: only rules with a minimum can be missing; check those, inline. A view
/// passes its offsets array (`offsets`): a single field's offset is its count, 0 when missing.
pub(super) fn missing_checks(
    g: &Grammar,
    fs: &[Field],
    offsets: Option<&TokenStream>,
) -> TokenStream {
    let checks = fs.iter().filter(|f| g.rules[f.index].min > 0).map(|f| {
        let (i, min) = (f.index, g.rules[f.index].min);
        match offsets {
            Some(at) if matches!(f.shape, Shape::One | Shape::Optional) => {
                quote!(if #at[#i] == 0 { ctx.missing(&G.rules[#i], 0); })
            }
            _ => quote!(if counts[#i] < #min { ctx.missing(&G.rules[#i], counts[#i]); }),
        }
    });
    quote!(#(#checks)*)
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

fn group_type(model: &Model, plan: &Plan, m: &str, avp: &Avp, rt: &TokenStream) -> TokenStream {
    let ty = format_ident!("{}", names::type_name(&avp.name));
    let Some(g) = &avp.grammar else {
        return quote!();
    };
    let gname = format_ident!("{}_GRAMMAR", names::def_name(&avp.name));
    let dname = format_ident!("{}", names::def_name(&avp.name));
    let b = body(model, plan, m, g, quote!(defs::#gname), rt);
    let (decls, decode, encode) = (b.decls, b.decode, b.encode);
    let ctors = super::builders::constructors(
        model,
        g,
        &b.fields,
        &super::builders::Target {
            ty: &ty,
            lifetime: &b.lifetime,
            name: &avp.name,
            what: "group",
            command: false,
            grammar: quote!(defs::#gname),
        },
        rt,
    );
    let encoded_len = b.encoded_len;
    let owned = owned_impl(&ty, &b.lifetime, &b.into_owned, rt);
    let lt = b.lifetime;
    let view = super::views::view(
        model,
        g,
        &b.fields,
        &quote!(defs::#gname),
        &ty,
        &lt,
        super::views::Target::Group { def: &dname },
        rt,
    );
    let doc_docs = docs(&doc_avp(avp, model));
    quote! {
        #doc_docs
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #ty #lt { #decls }

        #ctors

        impl<'a> #rt::typed::Group<'a> for #ty #lt {
            const DEF: &'static #rt::dictionary::AvpDef = &defs::#dname;
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn decode_group(&mut self, data: &'a [u8], ctx: &mut #rt::typed::DecodeCtx<'_>) {
                #decode
            }
            fn encoded_len(&self) -> usize {
                #encoded_len
            }
            fn encode_group(&self, w: &mut #rt::enc::Writer<'_>) {
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
    (owned, shared): &(TokenStream, TokenStream),
    rt: &TokenStream,
) -> TokenStream {
    if lifetime.is_empty() {
        quote! {
            impl #rt::types::IntoOwned for #ty {
                type Owned = #ty;
                fn into_owned(self) -> #ty { self }
            }
        }
    } else {
        quote! {
            impl #rt::types::IntoOwned for #ty<'_> {
                type Owned = #ty<'static>;
                fn into_owned(self) -> #ty<'static> { #ty { #owned } }
                fn into_shared(self, owner: &#rt::bytes::Bytes) -> #ty<'static> { #ty { #shared } }
            }
        }
    }
}

fn command_type(
    model: &Model,
    plan: &Plan,
    m: &str,
    app_id: u32,
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
    let gname = format_ident!(
        "{}_{}_GRAMMAR",
        names::def_name(&cmd.name),
        suffix.to_uppercase()
    );
    let b = body(model, plan, m, g, quote!(defs::#gname), rt);
    let (decls, decode, encode) = (b.decls, b.decode, b.encode);
    let ctors = super::builders::constructors(
        model,
        g,
        &b.fields,
        &super::builders::Target {
            ty: &ty,
            lifetime: &b.lifetime,
            name: &full,
            what: "message",
            command: true,
            grammar: quote!(defs::#gname),
        },
        rt,
    );
    let encoded_len = b.encoded_len;
    let owned = owned_impl(&ty, &b.lifetime, &b.into_owned, rt);
    let lt = b.lifetime;
    let view = super::views::view(
        model,
        g,
        &b.fields,
        &quote!(defs::#gname),
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
    let spec = model
        .applications
        .get(&app_id)
        .map(|a| a.spec.as_str())
        .unwrap_or("");
    let mut doc = format!("{full} ({abbrev}): command code {code}, application {app_id}; {spec}");
    if let Some(s) = &cmd.section {
        doc.push_str(&format!(" section {s}"));
    }
    doc.push('.');
    let doc_docs = docs(&doc);
    quote! {
        #doc_docs
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct #ty #lt { #decls }

        #ctors

        impl<'a> #rt::typed::Command<'a> for #ty #lt {
            const CODE: u32 = #code;
            const APPLICATION_ID: u32 = #app_id;
            const IS_REQUEST: bool = #request;
            const PROXIABLE: bool = #pxy;
            const NAME: &'static str = #full;
            const ABBREV: &'static str = #abbrev;
            fn known_avp(code: u32, vendor_id: u32) -> Option<&'static #rt::dictionary::AvpDef> {
                super::avp_def(code, vendor_id)
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn decode_body(&mut self, data: &'a [u8], ctx: &mut #rt::typed::DecodeCtx<'_>) {
                #decode
            }
            fn body_len(&self) -> usize {
                #encoded_len
            }
            fn encode_body(&self, w: &mut #rt::enc::Writer<'_>) {
                #encode
            }
        }

        #owned

        #view
    }
}
