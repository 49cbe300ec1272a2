//! The root's `avp_def(code, vendor_id)`: dense per-vendor tables indexed by code, so that a
//! lookup costs one bounds check and one load however many modules are enabled.
//!
//! Each table is a `static` built in a const block whose statements carry the AVPs' feature
//! gates: its length is fixed by the dictionaries (not by the features), a disabled AVP's slot
//! stays `None`; the table itself is compiled when a feature reaching any of its AVPs is on. Vendors with few or scattered codes, and codes far above a vendor's others,
//! go to a small `match` instead, where a table would be mostly empty.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// One AVP the root can look up: its key, its features and the path of its `AvpDef`.
pub struct Entry {
    /// The AVP's Vendor-Id (0 for IETF AVPs).
    pub vendor: u32,
    /// The AVP's code.
    pub code: u32,
    /// The features compiling the AVP, `None` when it is always compiled.
    pub features: Option<BTreeSet<String>>,
    /// `self::m::defs::NAME`.
    pub def: TokenStream,
}

/// Codes at or above this go to the `match`: a table slot costs 8 bytes of static data.
const MAX_TABLE_LEN: u32 = 8192;
/// A vendor gets a table when it has at least this many AVPs below [`MAX_TABLE_LEN`]...
const MIN_TABLE_AVPS: usize = 16;
/// ...filling at least one slot in this many.
const MAX_SLOTS_PER_AVP: usize = 8;

/// The `avp_def` function and its tables. `externs` are statements searching modules of other
/// crates (`if let Some(d) = m::DICTIONARY.avp(..) { return Some(d); }`), tried last.
pub fn avp_def(entries: Vec<Entry>, externs: &[TokenStream], rt: &TokenStream) -> TokenStream {
    let mut by_vendor: BTreeMap<u32, Vec<Entry>> = BTreeMap::new();
    for e in entries {
        by_vendor.entry(e.vendor).or_default().push(e);
    }

    let mut statics = Vec::new();
    let mut vendor_arms = Vec::new();
    let mut other_arms = Vec::new();
    for (vendor, mut list) in by_vendor {
        list.sort_by_key(|e| e.code);
        let (small, large): (Vec<Entry>, Vec<Entry>) =
            list.into_iter().partition(|e| e.code < MAX_TABLE_LEN);
        let len = small.last().map_or(0, |e| e.code as usize + 1);
        let dense = small.len() >= MIN_TABLE_AVPS && len <= small.len() * MAX_SLOTS_PER_AVP;
        if dense {
            let name = format_ident!("AVPS_OF_VENDOR_{}", vendor);
            // The table and the vendor's arm exist when one of its AVPs does: base only has
            // no 3GPP table, and no 35 KB of `None`s to index for a 3GPP key.
            let union = small
                .iter()
                .chain(&large)
                .try_fold(BTreeSet::new(), |mut all, e| {
                    all.extend(e.features.iter().flatten().cloned());
                    e.features.as_ref().map(|_| all)
                });
            let table_gate = super::gates::cfg(union.as_ref());
            // One block per gate (in order of first code), to write each `cfg` once.
            let mut groups: Vec<(String, TokenStream, Vec<TokenStream>)> = Vec::new();
            for e in &small {
                let gate = super::gates::cfg(e.features.as_ref());
                let key = gate.to_string();
                let (def, code) = (&e.def, e.code as usize);
                let set = quote!(t[#code] = Some(&#def););
                match groups.iter_mut().find(|g| g.0 == key) {
                    Some(g) => g.2.push(set),
                    None => groups.push((key, gate, vec![set])),
                }
            }
            let sets = groups.iter().map(|(key, gate, sets)| {
                if key.is_empty() {
                    quote!(#(#sets)*)
                } else {
                    quote!(#gate { #(#sets)* })
                }
            });
            statics.push(quote! {
                /// The AVPs of this vendor by code (see [`avp_def`]).
                #table_gate
                static #name: [Option<&#rt::dictionary::AvpDef>; #len] = {
                    let mut t: [Option<&#rt::dictionary::AvpDef>; #len] = [None; #len];
                    #(#sets)*
                    t
                };
            });
            // Codes beyond the table: a `match` on the code alone, within the vendor's arm.
            let beyond = large.iter().map(|e| {
                let gate = super::gates::cfg(e.features.as_ref());
                let (def, code) = (&e.def, e.code);
                quote!(#gate #code => Some(&#def),)
            });
            vendor_arms.push(if large.is_empty() {
                quote!(#table_gate #vendor => #name.get(code as usize).copied().flatten(),)
            } else {
                quote! {
                    #table_gate #vendor => match #name.get(code as usize) {
                        Some(d) => *d,
                        None => match code { #(#beyond)* _ => None },
                    },
                }
            });
        } else {
            for e in small.iter().chain(&large) {
                let gate = super::gates::cfg(e.features.as_ref());
                let (def, code) = (&e.def, e.code);
                other_arms.push(quote!(#gate (#vendor, #code) => Some(&#def),));
            }
        }
    }

    let others = if other_arms.is_empty() {
        quote!(None)
    } else {
        quote!(match (vendor_id, code) { #(#other_arms)* _ => None })
    };
    let local = if vendor_arms.is_empty() {
        others
    } else {
        quote!(match vendor_id { #(#vendor_arms)* _ => #others, })
    };
    quote! {
        #(#statics)*

        /// The definition of AVP (`code`, `vendor_id`) in any enabled dictionary. Constant
        /// time: the vendor's table indexed by code, else a short `match` of the AVPs the
        /// tables leave out.
        pub fn avp_def(code: u32, vendor_id: u32) -> Option<&'static #rt::dictionary::AvpDef> {
            // The tabled vendors first and alone in the outer `match`, so that reaching a
            // table costs one or two comparisons.
            #[allow(unreachable_patterns)]
            let local = #local;
            if local.is_some() {
                return local;
            }
            #(#externs)*
            None
        }
    }
}
