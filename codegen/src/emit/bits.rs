//! What the emitter writes for `<bits>` (named bits of bit-mask Unsigned32 AVPs) and for
//! `<values>` (names of Unsigned32 values, the vendor-scoped Experimental-Result-Code names
//! among them): constants and tables per module, and the root's look-ups over every enabled
//! module.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::names;
use super::plan::Plan;
use crate::model::{Model, NamedBits};

fn opt(v: Option<u32>) -> TokenStream {
    match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

/// The name of the constants module of one `<bits>`: the AVP's field name, with the
/// Feature-List-ID (`feature_list_1`) or else the application (`feature_list_app_16777251`) or
/// the vendor (`feature_list_vendor_10415`) of a scoped one.
fn bits_module(model: &Model, b: &NamedBits) -> String {
    let avp = model.avps.get(&b.avp).map_or("bits", |a| a.name.as_str());
    let base = names::field_name(avp).trim_start_matches("r#").to_string();
    let name = match (b.scope.list_id, b.scope.application, b.scope.vendor) {
        (Some(l), _, _) => format!("{base}_{l}"),
        (None, Some(a), _) => format!("{base}_app_{a}"),
        (None, None, Some(v)) => format!("{base}_vendor_{v}"),
        (None, None, None) => base,
    };
    names::field_name(&name)
}

/// Module `m`'s bit constants (`pub mod ulr_flags { pub const SINGLE_REGISTRATION_INDICATION:
/// u32 = 1 << 0; }`), its `BITS` table, and its `scoped_value_name`.
pub(super) fn module_items(model: &Model, plan: &Plan, m: &str) -> TokenStream {
    let here = |file: &std::path::Path| plan.file_module.get(file).map(String::as_str) == Some(m);
    let mut out = TokenStream::new();
    let mut tables = Vec::new();
    let mut used_modules = BTreeSet::new();
    for b in model.bits.iter().filter(|b| here(&b.span.file)) {
        let mut module = bits_module(model, b);
        // Two `<bits>` of one AVP in one module with scopes the name does not tell apart.
        while !used_modules.insert(module.clone()) {
            module.push('_');
        }
        let mod_ident = format_ident!("{}", module.trim_start_matches("r#"));
        let avp = model.avps.get(&b.avp).map_or("?", |a| a.name.as_str());
        let mut consts = Vec::new();
        let mut seen = BTreeSet::new();
        for bit in &b.bits {
            // Names such as `S6a/S6d-Indicator` keep only their letters and digits.
            let clean: String = bit
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let mut c = names::const_name(&clean);
            if !seen.insert(c.clone()) {
                c = format!("{c}_BIT_{}", bit.bit);
            }
            let c = format_ident!("{c}");
            let n = bit.bit;
            let shift = proc_macro2::Literal::u32_unsuffixed(n);
            let doc = if bit.doc.trim().is_empty() {
                format!(" `{}`: bit {n}.", bit.name)
            } else {
                format!(" `{}`: bit {n}. {}", bit.name, bit.doc.trim())
            };
            consts.push(quote!(#[doc = #doc] pub const #c: u32 = 1 << #shift;));
        }
        let mdoc = format!(" The named bits of {avp} (masks).");
        out.extend(quote! {
            #[doc = #mdoc]
            pub mod #mod_ident { #(#consts)* }
        });
        let (code, vendor) = (b.avp.code, b.avp.vendor_id);
        let (sv, sa, sl) = (
            opt(b.scope.vendor),
            opt(b.scope.application),
            opt(b.scope.list_id),
        );
        let bits = b.bits.iter().map(|bit| {
            let (n, name) = (bit.bit, &bit.name);
            quote!((#n, #name))
        });
        tables.push(quote! {
            rt::dictionary::BitNames {
                code: #code,
                vendor_id: #vendor,
                scope: rt::dictionary::BitScope { vendor: #sv, application: #sa, list_id: #sl },
                bits: &[#(#bits),*],
            }
        });
    }
    // Every `<values>` of the module as a table, so that tools can list the names (the look-ups
    // below answer one value at a time).
    let value_tables = model.values.iter().filter(|v| here(&v.span.file)).map(|v| {
        let (code, vendor) = (v.avp.code, v.avp.vendor_id);
        let scope = opt(v.scope_vendor);
        let values = v.values.iter().map(|value| {
            let (n, x) = (&value.name, value.value);
            quote!((#x, #n))
        });
        quote! {
            rt::dictionary::ValueNames {
                code: #code,
                vendor_id: #vendor,
                scope_vendor: #scope,
                values: &[#(#values),*],
            }
        }
    });
    let scoped = model
        .values
        .iter()
        .filter(|v| here(&v.span.file))
        .filter_map(|v| {
            let scope = v.scope_vendor?;
            let (code, vendor) = (v.avp.code, v.avp.vendor_id);
            Some(v.values.iter().map(move |value| {
                let (n, x) = (&value.name, value.value);
                quote!((#code, #vendor, #scope, #x) => Some(#n),)
            }))
        })
        .flatten();
    // A module naming Experimental-Result-Codes (TS 29.230, TS 29.272, ...) gets the
    // look-up by the name people search for.
    let experimental = model
        .avps
        .values()
        .find(|avp| avp.name == "Experimental-Result-Code")
        .filter(|avp| {
            model
                .values
                .iter()
                .any(|v| v.avp == avp.key && v.scope_vendor.is_some() && here(&v.span.file))
        })
        .map(|avp| {
            let (code, vendor) = (avp.key.code, avp.key.vendor_id);
            quote! {
                /// The name this module's dictionaries give to Experimental-Result-Code `code`
                /// of vendor `vendor_id` (the Vendor-Id beside it in Experimental-Result).
                pub fn experimental_result_name(vendor_id: u32, code: u32) -> Option<&'static str> {
                    scoped_value_name(#code, #vendor, vendor_id, code)
                }
            }
        });
    out.extend(experimental);
    out.extend(quote! {
        /// The named bits of this module's dictionaries (`<bits>`), one entry per AVP and scope.
        pub static BITS: &[rt::dictionary::BitNames] = &[#(#tables),*];

        /// The names this module's dictionaries give to values of Unsigned32 AVPs (`<values>`),
        /// one entry per AVP and vendor scope.
        pub static VALUES: &[rt::dictionary::ValueNames] = &[#(#value_tables),*];

        /// The name this module's dictionaries give to `value` of Unsigned32 AVP (`code`,
        /// `vendor_id`) where the Grouped AVP holding it carries Vendor-Id `scope_vendor`
        /// (`<values vendor=..>`: Experimental-Result-Code); `None` when they name none.
        pub fn scoped_value_name(code: u32, vendor_id: u32, scope_vendor: u32, value: u32) -> Option<&'static str> {
            #[allow(clippy::match_single_binding)]
            match (code, vendor_id, scope_vendor, value) {
                #(#scoped)*
                _ => None,
            }
        }
    });
    out
}

/// The root's look-ups over every enabled module: `scoped_value_name`,
/// `experimental_result_name`, `bit_sets`, `bit_names` and `bit_names_in`. `modules` pairs
/// each local module's `cfg` attribute with its path.
pub(super) fn root_items(model: &Model, modules: &[(TokenStream, TokenStream)]) -> TokenStream {
    let lookups = modules.iter().map(|(c, p)| {
        quote! {
            #c
            if let Some(n) = #p::scoped_value_name(code, vendor_id, scope_vendor, value) { return Some(n); }
        }
    });
    let pushes = modules
        .iter()
        .map(|(c, p)| quote!(#c v.extend(#p::BITS.iter());));
    let value_pushes = modules
        .iter()
        .map(|(c, p)| quote!(#c v.extend(#p::VALUES.iter());));
    let experimental = model
        .avps
        .values()
        .find(|avp| avp.name == "Experimental-Result-Code")
        .map(|avp| {
            let (code, vendor) = (avp.key.code, avp.key.vendor_id);
            quote! {
                /// The name of Experimental-Result-Code `code` of vendor `vendor_id` (the
                /// Vendor-Id beside it in Experimental-Result) in any enabled dictionary, e.g.
                /// `DIAMETER_ERROR_USER_UNKNOWN` for (10415, 5001); else its vendor-less name.
                pub fn experimental_result_name(vendor_id: u32, code: u32) -> Option<&'static str> {
                    scoped_value_name(#code, #vendor, vendor_id, code).or_else(|| value_name(#code, #vendor, code))
                }
            }
        });
    quote! {
        /// The name any enabled dictionary gives to `value` of Unsigned32 AVP (`code`,
        /// `vendor_id`) where the Grouped AVP holding it carries Vendor-Id `scope_vendor`
        /// (`<values vendor=..>` in the XML).
        pub fn scoped_value_name(code: u32, vendor_id: u32, scope_vendor: u32, value: u32) -> Option<&'static str> {
            #(#lookups)*
            let _ = (code, vendor_id, scope_vendor, value);
            None
        }

        #experimental

        /// Every enabled module's value names (`<values>`), in module order: what
        /// [`value_name`] and [`scoped_value_name`] look up, as tables.
        #[allow(clippy::vec_init_then_push)]
        pub fn value_sets() -> Vec<&'static rt::dictionary::ValueNames> {
            let mut v: Vec<&'static rt::dictionary::ValueNames> = Vec::new();
            #(#value_pushes)*
            v
        }

        /// Every enabled module's named bits (`<bits>`), narrowest scope first.
        #[allow(clippy::vec_init_then_push)]
        pub fn bit_sets() -> Vec<&'static rt::dictionary::BitNames> {
            let mut v: Vec<&'static rt::dictionary::BitNames> = Vec::new();
            #(#pushes)*
            v.sort_by_key(|b| std::cmp::Reverse(b.scope.narrowness()));
            v
        }

        /// The names of the bits set in `value` of AVP (`code`, `vendor_id`) that hold
        /// whatever the context (unscoped `<bits>`, e.g. ULR-Flags), lowest bit first.
        pub fn bit_names(code: u32, vendor_id: u32, value: u32) -> impl Iterator<Item = &'static str> {
            bit_names_in(code, vendor_id, &rt::dictionary::BitScope::default(), value).into_iter()
        }

        /// The names of the bits set in `value` of AVP (`code`, `vendor_id`) seen in
        /// `context` (the Vendor-Id beside it, the message's application, the Feature-List-ID):
        /// per bit, the name of the narrowest scope that holds there, lowest bit first.
        pub fn bit_names_in(code: u32, vendor_id: u32, context: &rt::dictionary::BitScope, value: u32) -> Vec<&'static str> {
            let sets: Vec<_> = bit_sets()
                .into_iter()
                .filter(|b| b.code == code && b.vendor_id == vendor_id && b.scope.holds_in(context))
                .collect();
            (0..32)
                .filter(|bit| value & (1 << bit) != 0)
                .filter_map(|bit| sets.iter().find_map(|s| s.name(bit)))
                .collect()
        }
    }
}
