//! The view of each group and command (see the runtime's `view` module): a struct of field
//! offsets, its checking decoder, and one accessor per field of the struct it reads as.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::items::{counts_decl, docs, field_ident, missing_checks, occurs, Field, Shape};
use crate::model::{Grammar, Model};

/// What a view reads as.
pub(super) enum Target<'t> {
    /// A Grouped AVP: its struct and its `defs` entry.
    Group { def: &'t Ident },
    /// A command request or answer.
    Command,
}

/// The view of struct `ty` (`lt` its lifetime, if any), whose grammar is `g` (`grammar` its
/// static) and fields `fs`.
#[allow(clippy::too_many_arguments)]
pub(super) fn view(
    model: &Model,
    g: &Grammar,
    fs: &[Field],
    grammar: &TokenStream,
    ty: &Ident,
    lt: &TokenStream,
    target: Target<'_>,
    rt: &TokenStream,
) -> TokenStream {
    let n = fs.len();
    let vty = format_ident!("{ty}View");
    let doc = format!(
        "A checked, zero-allocation view of [`{ty}`]: each accessor reads its field from the \
         wire when called (see [`{}::view`]).",
        rt.to_string().replace(' ', "")
    );
    let doc_docs = docs(&doc);

    // The checking decoder: the struct's `match`, with offsets for slots.
    let arms = fs.iter().filter(|f| super::rules::has_arm(f)).map(|f| {
        let i = f.index;
        let (code, _, vendor) = f.wire;
        let o = occurs(model, g, f, rt);
        let r = quote!(&G.rules[#i]);
        let value = &f.value;
        let single = matches!(f.shape, Shape::One | Shape::Optional);
        let call = match (f.shape, &f.view) {
            (Shape::Forbidden, _) => quote!(ctx.forbidden(#r, #o, a, &mut counts[#i], index)),
            (_, Some(v)) if single => {
                quote!(ctx.view_single_group::<#v>(#r, #o, a, &mut out.at[#i], index))
            }
            (_, None) if single => {
                quote!(ctx.view_single::<#value>(#r, #o, a, &mut out.at[#i], index))
            }
            (_, Some(v)) => {
                quote!(ctx.view_group::<#v>(#r, #o, a, &mut out.at[#i], &mut counts[#i], index))
            }
            (_, None) => {
                quote!(ctx.view::<#value>(#r, #o, a, &mut out.at[#i], &mut counts[#i], index))
            }
        };
        quote!((#code, #vendor) => #call,)
    });
    let other_arm = if g.extensible {
        quote!(_ => ctx.other_in_view(G, a),)
    } else {
        quote!(_ => ctx.other(G, a, None),)
    };
    let missing = missing_checks(g, fs, Some(&quote!(out.at)));
    let one_of = super::rules::one_of_check(g, quote!(out.at));
    let counts = counts_decl(n);
    let check = quote! {
        let G: &'static #rt::dictionary::GrammarDef = &#grammar;
        #counts
        // Built where it is returned: the offsets are written in place, not copied there.
        let mut out = Self { data, at: [0u32; #n] };
        ctx.walk(data, |ctx, a, index| match (a.header.code, a.header.vendor()) {
            #(#arms)*
            #other_arm
        });
        #missing
        #one_of
        out
    };

    let slot_arms = fs.iter().filter(|f| super::rules::has_arm(f)).map(|f| {
        let (i, (code, _, vendor)) = (f.index, f.wire);
        quote!((#code, #vendor) => Some(#i),)
    });
    let slot = quote! {
        fn slot(code: u32, vendor_id: u32) -> Option<usize> {
            match (code, vendor_id) {
                #(#slot_arms)*
                _ => None,
            }
        }
    };

    // Accessors, and the struct built from them.
    let mut accessors = Vec::new();
    let mut to_struct = Vec::new();
    for f in fs.iter().filter(|f| f.shape != Shape::Forbidden) {
        let name = field_ident(&f.name);
        let i = f.index;
        let (code, _, vendor) = f.wire;
        let max = match g.rules[i].max {
            Some(m) => quote!(#m),
            None => quote!(u32::MAX),
        };
        let value = &f.value;
        let (ret, body, build) = match (f.shape, &f.view) {
            (Shape::One, None) => (
                quote!(#value),
                quote!(#rt::view::one(self.data, self.at[#i])),
                quote!(self.#name()),
            ),
            (Shape::Optional, None) => (
                quote!(Option<#value>),
                quote!(#rt::view::opt(self.data, self.at[#i])),
                quote!(self.#name()),
            ),
            (_, None) => (
                quote!(#rt::view::Iter<'a, #value>),
                quote!(#rt::view::many(self.data, self.at[#i], (#code, #vendor), #max)),
                quote!(self.#name().collect()),
            ),
            (Shape::One, Some(v)) => {
                let mut build = quote!(#rt::view::GroupView::to_group(&self.#name()));
                if f.boxed {
                    build = quote!(Box::new(#build));
                }
                (
                    quote!(#v),
                    quote!(#rt::view::group(self.data, self.at[#i])),
                    build,
                )
            }
            (Shape::Optional, Some(v)) => {
                let mut each = quote!(#rt::view::GroupView::to_group(&v));
                if f.boxed {
                    each = quote!(Box::new(#each));
                }
                (
                    quote!(Option<#v>),
                    quote!(#rt::view::opt_group(self.data, self.at[#i])),
                    quote!(self.#name().map(|v| #each)),
                )
            }
            (_, Some(v)) => (
                quote!(#rt::view::Iter<'a, #v>),
                quote!(#rt::view::many_group(self.data, self.at[#i], (#code, #vendor), #max)),
                quote!(self.#name().map(|v| #rt::view::GroupView::to_group(&v)).collect()),
            ),
        };
        let d = docs(&f.doc);
        accessors.push(quote! {
            #d
            pub fn #name(&self) -> #ret { #body }
        });
        to_struct.push(quote!(#name: #build,));
    }
    if g.extensible {
        let slot_fn = match target {
            Target::Group { .. } => quote!(<Self as #rt::view::GroupView<'a>>::slot),
            Target::Command => quote!(<Self as #rt::view::CommandView<'a>>::slot),
        };
        accessors.push(quote! {
            /// AVPs the grammar does not name (`*[ AVP ]`), as received.
            pub fn other_avps(&self) -> #rt::view::Others<'a> {
                #rt::view::others(self.data, #slot_fn)
            }
        });
        to_struct.push(quote!(other_avps: self.other_avps().collect(),));
    }

    let allow = quote!(#[allow(non_snake_case, unused_mut, unused_variables)]);
    let trait_impl = match target {
        Target::Group { def } => quote! {
            impl<'a> #rt::view::GroupView<'a> for #vty<'a> {
                const DEF: &'static #rt::dictionary::AvpDef = &defs::#def;
                type Group = #ty #lt;
                #allow
                #[inline]
                fn check_group(data: &'a [u8], ctx: &mut #rt::typed::DecodeCtx<'_>) -> Self {
                    #check
                }
                fn index_group(data: &'a [u8]) -> Self {
                    Self { data, at: #rt::view::index(data, Self::slot) }
                }
                #slot
                fn data(&self) -> &'a [u8] {
                    self.data
                }
                fn to_group(&self) -> #ty #lt {
                    #ty { #(#to_struct)* }
                }
            }
        },
        Target::Command => quote! {
            impl<'a> #rt::view::CommandView<'a> for #vty<'a> {
                type Command = #ty #lt;
                #allow
                fn check_body(data: &'a [u8], ctx: &mut #rt::typed::DecodeCtx<'_>) -> Self {
                    #check
                }
                #slot
                fn data(&self) -> &'a [u8] {
                    self.data
                }
                fn to_command(&self) -> #ty #lt {
                    #ty { #(#to_struct)* }
                }
            }
        },
    };
    let to_fn = match target {
        Target::Group { .. } => quote!(#rt::view::GroupView::to_group(self)),
        Target::Command => quote!(#rt::view::CommandView::to_command(self)),
    };
    // A grammar of only `*[ AVP ]` names no field.
    let dead = if n == 0 {
        quote!(#[allow(dead_code)])
    } else {
        quote!()
    };
    quote! {
        #doc_docs
        #[derive(Clone, Copy)]
        pub struct #vty<'a> {
            data: &'a [u8],
            #dead
            at: [u32; #n],
        }

        impl<'a> #vty<'a> {
            #(#accessors)*
        }

        #trait_impl

        /// Shows the fields, as the struct does.
        impl ::core::fmt::Debug for #vty<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(&#to_fn, f)
            }
        }
    }
}
