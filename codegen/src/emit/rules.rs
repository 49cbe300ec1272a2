//! What the emitter writes for the rules outside the ABNF: choices (`one_of` in the grammar
//! statics and the check call after a walk) and the names of Unsigned32 values (`<values>`,
//! e.g. Result-Code) per module and over every module.

use proc_macro2::TokenStream;
use quote::quote;

use super::items::{Field, Shape};
use super::plan::Plan;
use crate::model::{Grammar, Model};

/// Whether field `f` gets a `match` arm in the decoders and a slot in the view. An AVP the
/// grammar excludes (`0*0`, e.g. from an occurrence table) does not: it reaches the runtime's
/// `ctx.other`, which finds its rule among the grammar static's `excluded` ones and reports
/// 5008. So excluded AVPs cost data, not code, and are kept among the other AVPs like any
/// unnamed one. (Arms of their own were tried: even out of line, 13 more arms grew the
/// reference CCR's walk by 4 to 10% in instructions.)
pub(super) fn has_arm(f: &Field) -> bool {
    f.shape != Shape::Forbidden
}

/// How many of `g`'s rules are counted by the decoders (their `Occurs` table and a view's
/// offsets): all up to the last one with a `match` arm. The excluded rules that occurrence
/// tables append at the end need no counter, nor a slot in every view.
pub(super) fn counted(g: &Grammar) -> usize {
    g.rules
        .iter()
        .rposition(|r| r.max != Some(0))
        .map_or(0, |i| i + 1)
}

/// The `one_of`, `excluded` and `excluded_codes` fields of a `GrammarDef` literal: the
/// choices and the `0*0` rules as rule indices, and the one-word filter of the excluded codes.
pub(super) fn one_of_def(model: &Model, g: &Grammar) -> TokenStream {
    let choices = g.one_of.iter().map(|members| quote!(&[#(#members),*]));
    let excluded: Vec<usize> = (0..g.rules.len())
        .filter(|&i| g.rules[i].max == Some(0))
        .collect();
    let codes = excluded
        .iter()
        .filter_map(|&i| model.avps.get(&g.rules[i].avp))
        .fold(0u64, |m, a| m | 1 << (a.key.code % 64));
    let (excluded, codes) = (
        excluded
            .into_iter()
            .map(proc_macro2::Literal::usize_unsuffixed),
        proc_macro2::Literal::u64_unsuffixed(codes),
    );
    quote!(one_of: &[#(#choices),*], excluded: &[#(#excluded),*], excluded_codes: #codes)
}

/// The check of the grammar's choices after the walk, or nothing when it has none. The
/// struct's decoder counts in the walk state `s`; a view passes its offsets (`at`), non-zero
/// for the rules that occurred.
pub(super) fn one_of_check(g: &Grammar, at: Option<TokenStream>) -> TokenStream {
    if g.one_of.is_empty() {
        return quote!();
    }
    match at {
        None => quote!(s.one_of(data);),
        Some(at) => quote!(s.one_of_at(data, &#at);),
    }
}

/// Module `m`'s `value_name`: the names its dictionary files give to values of Unsigned32
/// AVPs (`<values>`), looked up by AVP code, Vendor-Id and value.
pub(super) fn value_names(model: &Model, plan: &Plan, m: &str) -> TokenStream {
    let arms = model
        .values
        .iter()
        .filter(|v| plan.file_module.get(&v.span.file).map(String::as_str) == Some(m))
        // Names scoped to a vendor (Experimental-Result-Code) are not the AVP's own: they
        // depend on the Vendor-Id beside the value, which this lookup does not see.
        .filter(|v| v.scope_vendor.is_none())
        .flat_map(|v| {
            let (code, vendor) = (v.avp.code, v.avp.vendor_id);
            v.values.iter().map(move |value| {
                let (n, x) = (&value.name, value.value);
                quote!((#code, #vendor, #x) => Some(#n),)
            })
        });
    quote! {
        /// The name this module's dictionaries give to `value` of Unsigned32 AVP (`code`,
        /// `vendor_id`), e.g. a Result-Code; `None` when they name none.
        pub fn value_name(code: u32, vendor_id: u32, value: u32) -> Option<&'static str> {
            #[allow(clippy::match_single_binding)]
            match (code, vendor_id, value) {
                #(#arms)*
                _ => None,
            }
        }
    }
}

/// The root's `value_name` over every enabled module, and `result_code_name` for the AVP named
/// `Result-Code` when the dictionaries define it. `modules` pairs each module's `cfg`
/// attribute with its path.
pub(super) fn root_value_names(
    model: &Model,
    modules: &[(TokenStream, TokenStream)],
) -> TokenStream {
    let lookups = modules.iter().map(|(c, p)| {
        quote! {
            #c
            if let Some(n) = #p::value_name(code, vendor_id, value) { return Some(n); }
        }
    });
    let result_code = model
        .avps
        .values()
        .find(|avp| avp.name == "Result-Code")
        .map(|avp| {
            let (code, vendor) = (avp.key.code, avp.key.vendor_id);
            quote! {
                /// The name of Result-Code `value` in any enabled dictionary, e.g.
                /// `DIAMETER_SUCCESS` for 2001.
                pub fn result_code_name(value: u32) -> Option<&'static str> {
                    value_name(#code, #vendor, value)
                }
            }
        });
    quote! {
        /// The name any enabled dictionary gives to `value` of Unsigned32 AVP (`code`,
        /// `vendor_id`) (`<values>` in the XML), e.g. `DIAMETER_SUCCESS` for Result-Code 2001.
        pub fn value_name(code: u32, vendor_id: u32, value: u32) -> Option<&'static str> {
            #(#lookups)*
            let _ = (code, vendor_id, value);
            None
        }

        #result_code
    }
}
