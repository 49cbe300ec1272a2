//! The view of each group and command (see the runtime's `view` module): a struct of field
//! offsets, its checking decoder, and one accessor per field of the struct it reads as.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use proc_macro2::Literal;

use super::items::{docs, field_ident, key_pattern, Field, GrammarRefs, Shape};
use crate::model::Grammar;

/// What a view reads as.
pub(super) enum Target<'t> {
    /// A Grouped AVP: its struct and its `defs` entry.
    Group { def: &'t Ident },
    /// A command request or answer.
    Command,
}

/// The view of struct `ty` (`lt` its lifetime, if any), whose grammar is `g` (`refs` its
/// statics) and fields `fs`.
pub(super) fn view(
    g: &Grammar,
    fs: &[Field],
    refs: &GrammarRefs,
    ty: &Ident,
    lt: &TokenStream,
    target: Target<'_>,
    rt: &TokenStream,
) -> TokenStream {
    let n = super::rules::counted(g);
    let vty = format_ident!("{ty}View");
    let doc = format!(
        "The checked view of [`{ty}`]: each accessor reads its field when called \
         ([`{rt}::view`])."
    );
    let doc_docs = docs(&doc);

    // The checking decoder: the struct's `match`, with offsets for slots.
    let arms = fs.iter().filter(|f| super::rules::has_arm(f)).map(|f| {
        let k = Literal::usize_unsuffixed(f.index);
        let value = &f.value;
        let single = matches!(f.shape, Shape::One | Shape::Optional);
        let call = match (f.shape, &f.view) {
            (Shape::Forbidden, _) => unreachable!("rules::has_arm leaves excluded rules out"),
            (_, Some(v)) if single => quote!(s.view_single_group::<#v>(#k, &a, &mut out.at[#k])),
            (_, None) if single => quote!(s.view_single::<#value>(#k, &a, &mut out.at[#k])),
            (_, Some(v)) => quote!(s.view_group::<#v>(#k, &a, &mut out.at[#k])),
            (_, None) => quote!(s.view::<#value>(#k, &a, &mut out.at[#k])),
        };
        let key = key_pattern(f);
        quote!(#key => #call,)
    });
    let other_arm = if g.extensible {
        quote!(_ => s.other_in_view(&a),)
    } else {
        quote!(_ => s.other(&a, None),)
    };
    let needs = fs.iter().filter(|f| g.rules[f.index].min > 0).map(|f| {
        let k = Literal::usize_unsuffixed(f.index);
        if matches!(f.shape, Shape::One | Shape::Optional) {
            quote!(s.need_at(#k, out.at[#k]);)
        } else {
            quote!(s.need(#k);)
        }
    });
    let one_of = super::rules::one_of_check(g, Some(quote!(out.at)));
    let out_mut = if n == 0 { quote!() } else { quote!(mut) };
    let nl = Literal::usize_unsuffixed(n);
    let walk = super::items::walk(refs, arms, other_arm, quote!(#(#needs)* #one_of));
    // A group's view is small and returned by value; a command's is checked in the result
    // its caller has already built (`CommandView::decode_in`), so that it is not copied there.
    let check = quote! {
        let #out_mut out = Self { data, at: [0; #nl] };
        #walk
        out
    };
    let check_into = quote! {
        let data = self.data;
        #[allow(unused_variables)]
        let out = self;
        #walk
    };

    let slot_arms = fs.iter().filter(|f| super::rules::has_arm(f)).map(|f| {
        let (k, key) = (Literal::usize_unsuffixed(f.index), key_pattern(f));
        quote!(#key => Some(#k),)
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
        let k = Literal::usize_unsuffixed(f.index);
        let key = key_pattern(f);
        let max = match g.rules[f.index].max {
            Some(m) => {
                let m = Literal::u32_unsuffixed(m);
                quote!(#m)
            }
            None => quote!(u32::MAX),
        };
        let value = &f.value;
        let boxed = if f.boxed {
            quote!(.map(Box::new))
        } else {
            quote!()
        };
        let (ret, body, build) = match (f.shape, &f.view) {
            (Shape::One, None) => (
                quote!(#value),
                quote!(#rt::view::one(self.data, self.at[#k])),
                quote!(self.#name()),
            ),
            (Shape::Optional, None) => (
                quote!(Option<#value>),
                quote!(#rt::view::opt(self.data, self.at[#k])),
                quote!(self.#name()),
            ),
            (_, None) => (
                quote!(#rt::Iter<'a, #value>),
                quote!(#rt::view::many(self.data, self.at[#k], #key, #max)),
                quote!(self.#name().collect()),
            ),
            (Shape::One, Some(v)) => {
                let build = if f.boxed {
                    quote!(Box::new(#rt::owned(self.#name())))
                } else {
                    quote!(#rt::owned(self.#name()))
                };
                (
                    quote!(#v),
                    quote!(#rt::view::group(self.data, self.at[#k])),
                    build,
                )
            }
            (Shape::Optional, Some(v)) => (
                quote!(Option<#v>),
                quote!(#rt::view::opt_group(self.data, self.at[#k])),
                quote!(self.#name().map(#rt::owned)#boxed),
            ),
            (_, Some(v)) => (
                quote!(#rt::Iter<'a, #v>),
                quote!(#rt::view::many_group(self.data, self.at[#k], #key, #max)),
                quote!(self.#name().map(#rt::owned).collect()),
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
            Target::Group { .. } => quote!(<Self as #rt::GroupView<'a>>::slot),
            Target::Command => quote!(<Self as #rt::CommandView<'a>>::slot),
        };
        accessors.push(quote! {
            /// AVPs the grammar does not name (`*[ AVP ]`), as received.
            pub fn other_avps(&self) -> #rt::Others<'a> {
                #rt::view::others(self.data, #slot_fn)
            }
        });
        to_struct.push(quote!(other_avps: self.other_avps().collect(),));
    }

    let trait_impl = match target {
        Target::Group { def } => quote! {
            impl<'a> #rt::GroupView<'a> for #vty<'a> {
                const DEF: &'static #rt::AvpDef = &defs::#def;
                type Group = #ty #lt;
                #[inline]
                fn check_group(data: &'a [u8], ctx: &mut #rt::DecodeCtx<'_>) -> Self {
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
            impl<'a> #rt::CommandView<'a> for #vty<'a> {
                type Command = #ty #lt;
                fn unchecked(data: &'a [u8]) -> Self {
                    Self { data, at: [0; #nl] }
                }
                fn check_into(&mut self, ctx: &mut #rt::DecodeCtx<'_>) {
                    #check_into
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
        Target::Group { .. } => quote!(#rt::GroupView::to_group(self)),
        Target::Command => quote!(#rt::CommandView::to_command(self)),
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
            at: [u32; #nl],
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
