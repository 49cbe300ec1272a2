//! How users make a generated struct: `new` with the required AVPs when there are at most
//! three, and for every command and Grouped AVP with required AVPs a builder (`FooBuilder`)
//! with one setter per required AVP and a checked `build()`. Optional and repeated AVPs are
//! plain fields of the built value (`Option`, `Vec`), set there.
//!
//! Why a builder and not a longer `new` or a struct of required fields: a call naming each
//! AVP reads without counting arguments (three DiameterIdentity values in a row are easy to
//! swap); setters only for the required AVPs keep the generated code small, as the fields
//! already are the way to set the rest; `build()` still refuses a message without a required AVP, naming every one missing;
//! and a builder is something a node can finish: Session-Id, Origin-Host and Origin-Realm are
//! required, but the node that sends a request knows them, so the unfinished builder goes to
//! it (`CommandBuilder::fill_origin`) rather than the caller inventing placeholder values.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::items::{docs, field_ident, Field, Shape};
use crate::model::{AvpType, Grammar, Model};

/// Base AVPs a node fills in for the code building a message (RFC 6733 codes).
const SESSION_ID: u32 = 263;
const ORIGIN_HOST: u32 = 264;
const ORIGIN_REALM: u32 = 296;

/// Setter names a field cannot take: the builder's own methods.
const RESERVED: &[&str] = &["build", "missing"];

/// What is being built.
pub(super) struct Target<'t> {
    /// The struct, e.g. `CreditControlRequest`.
    pub ty: &'t Ident,
    /// `<'a>` when the struct borrows, else empty.
    pub lifetime: &'t TokenStream,
    /// Dictionary name, e.g. `Credit-Control-Request`, for `MissingAvps`.
    pub name: &'t str,
    /// `"message"` or `"group"`, for docs.
    pub what: &'t str,
    /// A command (its builder implements `CommandBuilder`).
    pub command: bool,
    /// Its `GrammarDef` static, e.g. `defs::CREDIT_CONTROL_REQUEST_GRAMMAR`.
    pub grammar: TokenStream,
}

/// `impl Foo { new, builder }`, `FooBuilder` and its methods.
pub(super) fn constructors(
    model: &Model,
    g: &Grammar,
    fields: &[Field],
    t: &Target<'_>,
    rt: &TokenStream,
) -> TokenStream {
    let (ty, lt, grammar) = (t.ty, t.lifetime, &t.grammar);
    let keep: Vec<&Field> = fields
        .iter()
        .filter(|f| f.shape != Shape::Forbidden)
        .collect();
    let required: Vec<&Field> = keep
        .iter()
        .copied()
        .filter(|f| f.shape == Shape::One)
        .collect();

    // `new`: positional only while it stays readable.
    let new_fn = if required.len() <= 3 {
        let args = required.iter().map(|f| {
            let (n, t) = (field_ident(&f.name), &f.ty);
            quote!(#n: #t)
        });
        let inits = required.iter().map(|f| field_ident(&f.name));
        let doc = docs(&format!(
            "A {} with its required AVPs{}; optional and repeated ones start empty.",
            t.what,
            if required.is_empty() {
                String::from(" (it has none)")
            } else {
                format!(" ({})", names_list(&required))
            }
        ));
        // The rest start empty (`Default`), when there is a rest.
        let rest =
            (keep.len() > required.len() || g.extensible).then(|| quote!(..Default::default()));
        quote! {
            #doc
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* #rest }
            }
        }
    } else {
        quote!()
    };

    // Nothing to check without required AVPs: `new()` (or `Default`) is the whole story.
    if required.is_empty() {
        return quote!(impl #lt #ty #lt { #new_fn });
    }
    let builder = format_ident!("{ty}Builder");
    let n = required.len();
    let builder_doc = docs(&format!(
        "A builder of this {}: one setter per required AVP, then [`{builder}::build`], which \
         fails naming every one not given. Optional and repeated AVPs are set on the built \
         value's fields.",
        t.what
    ));

    let start_doc = docs(&format!(
        "Starts a [`{builder}`], for setting AVPs by name and a checked `build()`."
    ));

    let setters = required.iter().enumerate().map(|(i, f)| {
        let n = field_ident(&f.name);
        let mut setter = f.name.to_string();
        while RESERVED.contains(&setter.as_str()) {
            setter.push('_');
        }
        let setter = field_ident(&format_ident!("{setter}"));
        let ty = &f.ty;
        let doc = format!("Sets `{}`.", f.dict_name);
        // Numbers are taken as they are, so that a literal needs no suffix; other values
        // convert (`&str` to text, an `i32` to an enum, a group to its box).
        let number = matches!(
            model.avps[&g.rules[f.index].avp].ty,
            AvpType::Integer32
                | AvpType::Integer64
                | AvpType::Unsigned32
                | AvpType::Unsigned64
                | AvpType::Float32
                | AvpType::Float64
        );
        let (arg, value) = if number {
            (quote!(#ty), quote!(v))
        } else {
            (quote!(impl Into<#ty>), quote!(v.into()))
        };
        quote! {
            #[doc = #doc]
            pub fn #setter(mut self, v: #arg) -> Self {
                self.value.#n = #value;
                self.given[#i] = true;
                self
            }
        }
    });
    let name = t.name;

    let command_impl = if t.command {
        command_builder(model, g, &required, t, &builder, rt)
    } else {
        quote!()
    };
    quote! {
        impl #lt #ty #lt {
            #new_fn

            #start_doc
            pub fn builder() -> #builder #lt {
                #builder { value: Self::default(), given: [false; #n] }
            }
        }

        #builder_doc
        #[derive(Clone, Debug)]
        #[must_use]
        pub struct #builder #lt {
            value: #ty #lt,
            /// Which required AVPs were given, in grammar order.
            given: [bool; #n],
        }

        impl #lt #builder #lt {
            #(#setters)*

            /// The dictionary names of the required AVPs not given yet, in grammar order.
            pub fn missing(&self) -> Vec<&'static str> {
                #rt::build::missing(&#grammar, &self.given)
            }

            /// The value, or the required AVPs not given.
            pub fn build(self) -> Result<#ty #lt, #rt::MissingAvps> {
                #rt::build::check(#name, &#grammar, &self.given)?;
                Ok(self.value)
            }
        }

        #command_impl
    }
}

/// `impl CommandBuilder`: the AVPs a node fills in, when the command requires them.
fn command_builder(
    model: &Model,
    g: &Grammar,
    required: &[&Field],
    t: &Target<'_>,
    builder: &Ident,
    rt: &TokenStream,
) -> TokenStream {
    let (ty, lt) = (t.ty, t.lifetime);
    // The slot of a required base AVP of the expected type, if the grammar has it.
    let slot = |code: u32, ty: AvpType| {
        required.iter().enumerate().find_map(|(i, f)| {
            let avp = &model.avps[&g.rules[f.index].avp];
            (avp.key.code == code && avp.key.vendor_id == 0 && avp.ty == ty)
                .then(|| (i, field_ident(&f.name)))
        })
    };
    let fill = |code: u32, ty: AvpType, value: TokenStream| match slot(code, ty) {
        Some((i, n)) => quote! {
            if !self.given[#i] {
                self.value.#n = #value.clone();
                self.given[#i] = true;
            }
        },
        None => quote!(),
    };
    let host = fill(ORIGIN_HOST, AvpType::DiameterIdentity, quote!(host));
    let realm = fill(ORIGIN_REALM, AvpType::DiameterIdentity, quote!(realm));
    let session = fill(SESSION_ID, AvpType::Utf8String, quote!(session_id));
    quote! {
        impl<'a> #rt::CommandBuilder<'a> for #builder #lt {
            type Command = #ty #lt;
            fn build(self) -> Result<#ty #lt, #rt::MissingAvps> {
                #builder::build(self)
            }
            #[allow(unused_variables)]
            fn fill_origin(
                &mut self,
                host: &#rt::types::DiameterIdentity<'a>,
                realm: &#rt::types::DiameterIdentity<'a>,
            ) {
                #host
                #realm
            }
            #[allow(unused_variables)]
            fn fill_session_id(&mut self, session_id: &#rt::types::Utf8String<'a>) {
                #session
            }
        }
    }
}

fn names_list(fields: &[&Field]) -> String {
    fields
        .iter()
        .map(|f| format!("`{}`", f.dict_name))
        .collect::<Vec<_>>()
        .join(", ")
}
