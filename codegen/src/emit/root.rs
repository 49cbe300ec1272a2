//! The root file: module declarations, AVP lookup over every module, and the `Message`
//! dispatch over every command.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::names;
use super::plan::Plan;
use crate::model::Model;

fn ident(s: &str) -> TokenStream {
    s.parse().unwrap_or_default()
}

/// `#[cfg(feature = "m")]` unless `m` is always on (or features are not used).
fn cfg(always_on: Option<&Vec<String>>, m: &str) -> TokenStream {
    match always_on {
        Some(on) if !on.iter().any(|x| x == m) => {
            let f = m.trim_start_matches("r#");
            quote!(#[cfg(feature = #f)])
        }
        _ => quote!(),
    }
}

/// The root tokens. `always_on` is `Some` for the crate layout (other modules are behind
/// features); `declare_modules` writes `pub mod m;` lines (crate layout).
pub fn root(
    model: &Model,
    plan: &Plan,
    rt: &TokenStream,
    runtime: &TokenStream,
    always_on: Option<&Vec<String>>,
    declare_modules: bool,
) -> TokenStream {
    let mut out = TokenStream::new();
    // After the inner attributes and docs of the crate layout (below) comes this.
    let version = super::RUNTIME_INTERFACE;
    let runtime_check = quote! {
        #[allow(unused_imports)]
        use #runtime::__private as rt;
        // Fails to compile, saying why, against a runtime of another interface version.
        const _: () = rt::check_version(#version);
    };
    if declare_modules {
        out.extend(quote! {
            #![cfg_attr(rustfmt, rustfmt::skip)]
            //! Typed Diameter messages generated from the XML dictionaries in `dictionaries/`.
            //!
            //! One module per application, each behind a cargo feature of its name (`base` is
            //! always on; `full` enables all). Every command has a request and an answer struct,
            //! every Grouped AVP a struct and every Enumerated AVP an open newtype. Decoding is
            //! total and validates the grammar; see [`Message::decode`]. One `use` brings what a
            //! program needs: `use diameter_messages::prelude::*;` (see [`prelude`]).
        });
        // A module is declared when a feature reaching any of its items is on (see
        // `gates`): feature `s6a` declares `ts32299` for the AVPs S6a takes from it.
        for m in plan.local_modules() {
            let c = plan.gates.module(m);
            let i = ident(m);
            out.extend(quote!(#c pub mod #i;));
        }
        out.extend(prelude(plan, runtime));
    }

    out.extend(runtime_check);

    // Modules whose dictionaries this root searches: local ones (feature-gated) and externs.
    let mut lookups = Vec::new();
    let mut entries = Vec::new();
    let mut dicts = Vec::new();
    let mut module_paths = Vec::new();
    for m in plan.modules.keys() {
        let (c, p) = if plan.is_local(m) {
            (plan.gates.module(m), ident(&format!("self::{m}")))
        } else {
            (quote!(), ident(&plan.externs[m]))
        };
        if plan.is_local(m) {
            // Every AVP of every local module in one lookup (see `lookup`): it costs the same
            // however many modules are enabled, instead of searching each in turn.
            for avp in model
                .avps
                .values()
                .filter(|a| plan.avp_module(model, &a.key) == m)
            {
                let n = format_ident!("{}", names::def_name(&avp.name));
                entries.push(super::lookup::Entry {
                    vendor: avp.key.vendor_id,
                    code: avp.key.code,
                    features: plan.gates.avp_features(&avp.key).cloned(),
                    def: quote!(#p::defs::#n),
                });
            }
        } else {
            lookups.push(quote! {
                if let Some(d) = #p::DICTIONARY.avp(code, vendor_id) { return Some(d); }
            });
        }
        dicts.push(quote! {
            #c
            v.push(&#p::DICTIONARY);
        });
        module_paths.push((c, p));
    }

    // Every command of every local application.
    let mut variants = Vec::new();
    let mut decode_arms = Vec::new();
    let mut base_arms = Vec::new();
    let mut name_arms = Vec::new();
    let mut encode_arms = Vec::new();
    let mut header_arms = Vec::new();
    let mut owned_arms = Vec::new();
    let mut answer_arms = Vec::new();
    // The same for `MessageView`.
    let mut view_variants = Vec::new();
    let mut view_decode_arms = Vec::new();
    let mut view_base_arms = Vec::new();
    let mut view_name_arms = Vec::new();
    let mut view_to_arms = Vec::new();
    let mut view_answer_arms = Vec::new();
    let mut app_ids = Vec::new();
    // Variant names: the type name, prefixed by the module where two applications share it.
    // Profile-less applications are counted among themselves only, so that compiling in a
    // profile never renames their variants; a profile's command is prefixed whenever any other
    // application or profile has a command of its name (`RoCreditControlRequest`).
    let mut seen = BTreeMap::<String, usize>::new();
    let mut seen_all = BTreeMap::<String, usize>::new();
    for (app, profile) in
        super::plan::all_applications(model).filter(|(a, _)| plan.is_local(&a.module))
    {
        for cmd in app.commands.values() {
            if profile.is_none() {
                *seen.entry(names::type_name(&cmd.name)).or_default() += 1;
            }
            *seen_all.entry(names::type_name(&cmd.name)).or_default() += 1;
        }
    }
    let mut profile_arms = Vec::new();
    let mut view_profile_arms = Vec::new();
    for (app, profile) in super::plan::all_applications(model) {
        if !plan.is_local(&app.module) {
            continue;
        }
        let c = cfg(always_on, &app.module);
        let id = app.id;
        if profile.is_none() {
            app_ids.push(quote!(#c if application_id == #id { return true; }));
        }
        let module = ident(&app.module);
        for cmd in app.commands.values() {
            for (request, suffix, grammar) in [
                (true, "Request", &cmd.request),
                (false, "Answer", &cmd.answer),
            ] {
                let full = format!("{}-{suffix}", cmd.name);
                let ty = format_ident!("{}", names::type_name(&full));
                let lt = if plan.borrows(model, grammar) {
                    quote!(<'a>)
                } else {
                    quote!()
                };
                let counts = if profile.is_some() { &seen_all } else { &seen };
                let v = if app.id != 0
                    && counts
                        .get(&names::type_name(&cmd.name))
                        .copied()
                        .unwrap_or(0)
                        > 1
                {
                    format_ident!("{}{}", names::type_name(&app.module), ty)
                } else {
                    ty.clone()
                };
                let code = cmd.code;
                variants.push(quote! {
                    #c
                    #[doc = #full]
                    #v(#module::#ty #lt),
                });
                let body = quote! {
                    {
                        let d = <#module::#ty #lt as #rt::Command<'a>>::decode_in(bytes, opts, known)?;
                        Ok(d.map(Message::#v))
                    }
                };
                if let Some(p) = profile {
                    profile_arms
                        .push(quote!(#c (#id, #code, #request) if profile == Some(#p) => #body));
                } else {
                    if id == 0 {
                        // RFC 6733 session commands serve any application without its own.
                        base_arms.push(quote!(#c (_, #code, #request) => #body));
                    }
                    decode_arms.push(quote!(#c (#id, #code, #request) => #body));
                }
                name_arms.push(quote!(#c Message::#v(_) => Some(#full),));
                header_arms.push(quote!(#c Message::#v(_) => <#module::#ty #lt as #rt::Command<'a>>::header(hop_by_hop, end_to_end),));
                encode_arms.push(
                    quote!(#c Message::#v(m) => #rt::Command::encode_with_header(m, header, buf),),
                );
                owned_arms.push(quote!(#c Message::#v(m) => Message::#v(m.into_owned_in(owner)),));
                answer_arms.push(
                    quote!(#c Message::#v(m) => #rt::answer::AnswerGrammar::answer_grammar(m),),
                );
                view_answer_arms.push(
                    quote!(#c MessageView::#v(v) => #rt::answer::AnswerGrammar::answer_grammar(v),),
                );

                let vty = format_ident!("{ty}View");
                view_variants.push(quote! {
                    #c
                    #[doc = #full]
                    #v(#module::#vty<'a>),
                });
                let body = quote! {
                    {
                        let d = <#module::#vty<'a> as #rt::CommandView<'a>>::decode_in(bytes, opts, known)?;
                        Ok(d.map(MessageView::#v))
                    }
                };
                if let Some(p) = profile {
                    view_profile_arms
                        .push(quote!(#c (#id, #code, #request) if profile == Some(#p) => #body));
                } else {
                    if id == 0 {
                        view_base_arms.push(quote!(#c (_, #code, #request) => #body));
                    }
                    view_decode_arms.push(quote!(#c (#id, #code, #request) => #body));
                }
                view_name_arms.push(quote!(#c MessageView::#v(_) => Some(#full),));
                view_to_arms.push(quote!(
                    #c MessageView::#v(v) => Message::#v(#rt::CommandView::to_command(v)),
                ));
            }
        }
    }

    // `richest_profile`: the first profile by name with a module compiled in. Profiles
    // redefine commands with richer grammars (TS 32.299's CCR adds Service-Information to
    // RFC 4006's), and a message valid under the plain grammar is valid under the profile's.
    let mut richest = Vec::new();
    let profile_names: std::collections::BTreeSet<&str> =
        model.profiles.keys().map(|k| k.profile.as_str()).collect();
    for p in profile_names {
        let mods: Vec<&str> = model
            .profiles
            .iter()
            .filter(|(k, a)| k.profile == p && plan.is_local(&a.module))
            .map(|(_, a)| a.module.trim_start_matches("r#"))
            .collect();
        if mods.is_empty() {
            continue;
        }
        let c = match always_on {
            Some(_) => quote!(#[cfg(any(#(feature = #mods),*))]),
            None => quote!(),
        };
        richest.push(quote!(#c { return Some(#p); }));
    }
    out.extend(quote! {
        /// The profile [`Message::decode`] and [`MessageView::decode`] use: none. A command that
        /// a profile redefines (TS 32.299's CCR in application 4, ACR in application 3) decodes
        /// as the profile-less application's (`credit_control::CreditControlRequest`), whatever
        /// features are on, so that enabling a profile changes no program's matches;
        /// [`Message::decode_profile`] with [`richest_profile`] (as the CLI does) or a name
        /// chooses the profile's command (`ro::CreditControlRequest`).
        pub const DEFAULT_PROFILE: Option<&str> = None;

        /// The richest grammar compiled in: the first profile by name whose module is enabled
        /// (`Some("3gpp")` with `rf` or `ro`), else `None`. The profile types more of a
        /// message; it may also refuse more: an AVP that the profile-less grammar's `*[ AVP ]`
        /// keeps raw can be 5008 inside a closed group of the profile (a 2014 GGSN's CCR with
        /// 3GPP-GPRS-Negotiated-QoS-Profile in TS 32.299's PS-Information, in the kept
        /// captures).
        #[allow(unreachable_code)]
        pub fn richest_profile() -> Option<&'static str> {
            #(#richest)*
            None
        }
    });
    out.extend(super::rules::root_value_names(model, &module_paths));
    let local_paths: Vec<_> = plan
        .modules
        .keys()
        .zip(&module_paths)
        .filter(|(m, _)| plan.is_local(m))
        .map(|(_, p)| p.clone())
        .collect();
    out.extend(super::bits::root_items(model, &local_paths));
    out.extend(super::lookup::avp_def(entries, &lookups, rt));
    out.extend(quote! {
        /// Every enabled module's dictionary tables.
        #[allow(clippy::vec_init_then_push)]
        pub fn dictionaries() -> Vec<&'static #rt::dictionary::Dictionary> {
            let mut v: Vec<&'static #rt::dictionary::Dictionary> = Vec::new();
            #(#dicts)*
            v
        }

        fn application_known(application_id: u32) -> bool {
            #(#app_ids)*
            let _ = application_id;
            false
        }

        /// A command no enabled dictionary defines, raw, with its 3007 (unknown application)
        /// or 3001 (unknown command) violation.
        fn unknown<'a>(
            bytes: &'a [u8],
            opts: &#rt::DecodeOptions,
            header: &#rt::Header,
        ) -> Result<(#rt::RawMessage<'a>, #rt::Violation), #rt::DecodeError> {
            let raw = #rt::RawMessage::parse(bytes, opts)?;
            let (result_code, message) = if application_known(header.application_id) {
                (#rt::consts::result_code::COMMAND_UNSUPPORTED, format!("command {} is not defined for application {}", header.command_code, header.application_id))
            } else {
                (#rt::consts::result_code::APPLICATION_UNSUPPORTED, format!("application {} is not supported", header.application_id))
            };
            let violation = #rt::Violation { result_code, avp: None, code: 0, vendor_id: 0, path: Vec::new(), message, failed_avp: None };
            Ok((raw, violation))
        }

        /// Any message as a checked, zero-allocation view (see `diameter_runtime::view`): the
        /// view of a typed command of an enabled application, or the raw form.
        ///
        /// Non-exhaustive: which variants exist depends on the cargo features enabled anywhere
        /// in the build, so a `match` needs a `_` arm.
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum MessageView<'a> {
            #(#view_variants)*
            /// A command no enabled dictionary defines.
            Unknown(#rt::RawMessage<'a>),
        }

        impl<'a> MessageView<'a> {
            /// Decodes and checks one whole message strictly, with the default limits.
            pub fn decode(bytes: &'a [u8]) -> Result<#rt::Decoded<MessageView<'a>>, #rt::DecodeError> {
                Self::decode_with(bytes, &#rt::DecodeOptions::default())
            }

            /// Decodes and checks one whole message, choosing the view by (application,
            /// command code, R bit), with the violations [`Message::decode_with`] gives.
            pub fn decode_with(bytes: &'a [u8], opts: &#rt::DecodeOptions) -> Result<#rt::Decoded<MessageView<'a>>, #rt::DecodeError> {
                Self::decode_in(bytes, opts, avp_def)
            }

            /// As [`MessageView::decode_with`], with `known` deciding which AVPs exist.
            pub fn decode_in(
                bytes: &'a [u8],
                opts: &#rt::DecodeOptions,
                known: fn(u32, u32) -> Option<&'static #rt::dictionary::AvpDef>,
            ) -> Result<#rt::Decoded<MessageView<'a>>, #rt::DecodeError> {
                Self::decode_profile_in(bytes, opts, known, DEFAULT_PROFILE)
            }

            /// As [`MessageView::decode_with`], preferring the grammars of `profile` (see
            /// [`Message::decode_profile`]).
            pub fn decode_profile(bytes: &'a [u8], opts: &#rt::DecodeOptions, profile: Option<&str>) -> Result<#rt::Decoded<MessageView<'a>>, #rt::DecodeError> {
                Self::decode_profile_in(bytes, opts, avp_def, profile)
            }

            /// As [`MessageView::decode_profile`], with `known` deciding which AVPs exist.
            pub fn decode_profile_in(
                bytes: &'a [u8],
                opts: &#rt::DecodeOptions,
                known: fn(u32, u32) -> Option<&'static #rt::dictionary::AvpDef>,
                profile: Option<&str>,
            ) -> Result<#rt::Decoded<MessageView<'a>>, #rt::DecodeError> {
                let _ = (known, profile); // unused when no command is generated
                let header = #rt::Header::decode_unchecked(bytes)?;
                let key = (header.application_id, header.command_code, header.flags.is_request());
                #[allow(unreachable_patterns)]
                match key {
                    #(#view_profile_arms)*
                    #(#view_decode_arms)*
                    #(#view_base_arms)*
                    _ => {
                        let (raw, violation) = unknown(bytes, opts, &header)?;
                        Ok(#rt::Decoded::with_violations(MessageView::Unknown(raw), vec![violation]))
                    }
                }
            }

            /// `"Credit-Control-Request"`, or `None` for an unknown command.
            pub fn name(&self) -> Option<&'static str> {
                match self {
                    #(#view_name_arms)*
                    MessageView::Unknown(_) => None,
                }
            }

            /// The message with every field decoded (nothing checked again).
            pub fn to_message(&self) -> Message<'a> {
                match self {
                    #(#view_to_arms)*
                    MessageView::Unknown(raw) => Message::Unknown(raw.clone()),
                }
            }
        }

        /// Any message: a typed command of an enabled application, or the raw form. Text and
        /// octet values borrow the decoded buffer (`'a`); `into_owned` gives a `'static` message.
        ///
        /// Non-exhaustive: which variants exist depends on the cargo features enabled anywhere
        /// in the build, so a `match` needs a `_` arm.
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        #[non_exhaustive]
        pub enum Message<'a> {
            #(#variants)*
            /// A command no enabled dictionary defines.
            Unknown(#rt::RawMessage<'a>),
        }

        impl #rt::IntoOwned for Message<'_> {
            type Owned = Message<'static>;
            fn into_owned_in(self, owner: Option<&#rt::Bytes>) -> Message<'static> {
                match self {
                    #(#owned_arms)*
                    Message::Unknown(m) => Message::Unknown(m.into_owned_in(owner)),
                }
            }
        }

        impl #rt::answer::AnswerGrammar for Message<'_> {
            fn answer_grammar(&self) -> Option<&'static #rt::GrammarDef> {
                match self {
                    #(#answer_arms)*
                    Message::Unknown(_) => None,
                }
            }
        }

        impl #rt::answer::AnswerGrammar for MessageView<'_> {
            fn answer_grammar(&self) -> Option<&'static #rt::GrammarDef> {
                match self {
                    #(#view_answer_arms)*
                    MessageView::Unknown(_) => None,
                }
            }
        }

        impl<'a> Message<'a> {
            /// Decodes and validates one whole message strictly, with the default limits.
            pub fn decode(bytes: &'a [u8]) -> Result<#rt::Decoded<Message<'a>>, #rt::DecodeError> {
                Self::decode_with(bytes, &#rt::DecodeOptions::default())
            }

            /// Decodes and validates one whole message, choosing the type by (application,
            /// command code, R bit). An unknown command still decodes, to [`Message::Unknown`],
            /// with a 3007 (unknown application) or 3001 (unknown command) violation.
            pub fn decode_with(bytes: &'a [u8], opts: &#rt::DecodeOptions) -> Result<#rt::Decoded<Message<'a>>, #rt::DecodeError> {
                Self::decode_in(bytes, opts, avp_def)
            }

            /// As [`Message::decode_with`], with `known` deciding which AVPs exist.
            pub fn decode_in(
                bytes: &'a [u8],
                opts: &#rt::DecodeOptions,
                known: fn(u32, u32) -> Option<&'static #rt::dictionary::AvpDef>,
            ) -> Result<#rt::Decoded<Message<'a>>, #rt::DecodeError> {
                Self::decode_profile_in(bytes, opts, known, DEFAULT_PROFILE)
            }

            /// As [`Message::decode_with`], preferring the grammars of `profile` where it
            /// redefines a command: `Some("3gpp")` decodes an application 4 CCR as
            /// `ro::CreditControlRequest` (when the `ro` module is compiled in), `None` as the
            /// profile-less `credit_control::CreditControlRequest`. A command the profile does not
            /// define is decoded as without it.
            pub fn decode_profile(bytes: &'a [u8], opts: &#rt::DecodeOptions, profile: Option<&str>) -> Result<#rt::Decoded<Message<'a>>, #rt::DecodeError> {
                Self::decode_profile_in(bytes, opts, avp_def, profile)
            }

            /// As [`Message::decode_profile`], with `known` deciding which AVPs exist.
            pub fn decode_profile_in(
                bytes: &'a [u8],
                opts: &#rt::DecodeOptions,
                known: fn(u32, u32) -> Option<&'static #rt::dictionary::AvpDef>,
                profile: Option<&str>,
            ) -> Result<#rt::Decoded<Message<'a>>, #rt::DecodeError> {
                let _ = (known, profile); // unused when no command is generated
                // Judged by the command's decoder, which applies the leniency asked for.
                let header = #rt::Header::decode_unchecked(bytes)?;
                let key = (header.application_id, header.command_code, header.flags.is_request());
                #[allow(unreachable_patterns)]
                match key {
                    #(#profile_arms)*
                    #(#decode_arms)*
                    #(#base_arms)*
                    _ => {
                        let (raw, violation) = unknown(bytes, opts, &header)?;
                        Ok(#rt::Decoded::with_violations(Message::Unknown(raw), vec![violation]))
                    }
                }
            }

            /// `"Credit-Control-Request"`, or `None` for an unknown command.
            pub fn name(&self) -> Option<&'static str> {
                match self {
                    #(#name_arms)*
                    Message::Unknown(_) => None,
                }
            }

            /// Appends the whole message to `buf` with the header its command defines and the
            /// given ids, as `Command::encode` does (an unknown command keeps its header, with
            /// these ids).
            pub fn encode(&self, hop_by_hop: u32, end_to_end: u32, buf: &mut #rt::bytes::BytesMut) {
                self.encode_with_header(&self.header(hop_by_hop, end_to_end), buf);
            }

            /// The whole message as one buffer (see [`Message::encode`]).
            pub fn to_bytes(&self, hop_by_hop: u32, end_to_end: u32) -> #rt::bytes::Bytes {
                let mut buf = #rt::bytes::BytesMut::new();
                self.encode(hop_by_hop, end_to_end, &mut buf);
                buf.freeze()
            }

            /// The header a typed command defines, with the given ids (an unknown command's own).
            fn header(&self, hop_by_hop: u32, end_to_end: u32) -> #rt::Header {
                match self {
                    #(#header_arms)*
                    Message::Unknown(raw) => raw.header.with_ids(hop_by_hop, end_to_end),
                }
            }

            /// Appends the message with `header` (its length is computed). The header is taken
            /// as given, so a base command used by another application keeps that application.
            pub fn encode_with_header(&self, header: &#rt::Header, buf: &mut #rt::bytes::BytesMut) {
                #[allow(irrefutable_let_patterns)]
                if let Message::Unknown(raw) = self {
                    raw.encode_as(header, buf);
                    return;
                }
                match self {
                    #(#encode_arms)*
                    Message::Unknown(_) => {}
                }
            }
        }
    });
    out
}

/// `pub mod prelude`: what a program using the crate names, behind one `use`.
fn prelude(plan: &Plan, rt: &TokenStream) -> TokenStream {
    let modules = plan.local_modules().map(|m| {
        let (c, i) = (plan.gates.module(m), ident(m));
        quote!(#c pub use super::#i;)
    });
    quote! {
        /// Everything the usual program names, for `use diameter_messages::prelude::*;`: the
        /// application modules, [`Message`] and [`MessageView`], the runtime's traits
        /// (`Command`, `CommandView`, `CommandBuilder`, `IntoOwned`, ...), options, errors, value
        /// types and the `Identity` an error answer is sent from.
        pub mod prelude {
            #(#modules)*
            pub use super::{Message, MessageView};
            pub use #rt::{
                Command, CommandBuilder, CommandView, DecodeError, DecodeOptions, Decoded, Group,
                GroupView, MissingAvps, RawAvp, RawMessage, Violation,
            };
            pub use #rt::answer::Identity;
            pub use #rt::types::{
                Address, DiameterIdentity, DiameterUri, IntoOwned, IpFilterRule, OctetString,
                QosFilterRule, Time, Utf8String,
            };
        }
    }
}

/// The cargo features of a crate laid out by `Layout::Crate`: one per module, each enabling
/// nothing else (an item carries the features that reach it, see `gates`, so a feature
/// compiles the items of other modules it needs and no more), and `full` enabling every
/// module. Always-on modules keep an (empty) feature, so that a dependency on them can still
/// be written.
pub fn features(plan: &Plan) -> BTreeMap<String, Vec<String>> {
    let name = |m: &str| m.trim_start_matches("r#").to_string();
    let mut out: BTreeMap<String, Vec<String>> = plan
        .local_modules()
        .map(|m| (name(m), Vec::new()))
        .collect();
    out.insert(
        "full".into(),
        plan.local_modules().map(|m| name(m)).collect(),
    );
    out
}
