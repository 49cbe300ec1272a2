//! What the root of a generation that extends the shipped crate gets
//! ([`Builder::extern_shipped`](crate::Builder::extern_shipped)): one-call decoding of that
//! crate's messages, and of this generation's groups kept raw in their `other_avps`, with an AVP
//! lookup that knows both dictionaries.

use proc_macro2::TokenStream;
use quote::quote;

/// The items added to the root; `krate` is the shipped crate's path (`::diameter_messages`).
pub fn root_items(rt: &TokenStream, krate: &str) -> TokenStream {
    let k: TokenStream = krate
        .parse()
        .unwrap_or_else(|_| quote!(::diameter_messages));
    let shown = krate.trim_start_matches("::");
    let message_doc = format!(
        "Decodes and validates one whole `{shown}` message strictly, with the default limits, \
         knowing this module's AVPs as well as `{shown}`'s: they are kept in `other_avps` \
         rather than reported unknown (5001). Decode them with [`find_group`]."
    );
    let view_doc = format!(
        "Decodes and checks one whole message as a `{shown}::MessageView`, strictly, knowing \
         this module's AVPs too (see [`decode`])."
    );
    quote! {
        /// Every AVP this module or the shipped crate knows: the lookup the functions below
        /// decode with.
        fn known_avp(code: u32, vendor_id: u32) -> Option<&'static #rt::dictionary::AvpDef> {
            avp_def(code, vendor_id).or_else(|| #k::avp_def(code, vendor_id))
        }

        #[doc = #message_doc]
        pub fn decode(bytes: &[u8]) -> Result<#rt::Decoded<#k::Message<'_>>, #rt::DecodeError> {
            decode_with(bytes, &#rt::DecodeOptions::default())
        }

        /// As [`decode`], with the given options.
        pub fn decode_with<'a>(
            bytes: &'a [u8],
            opts: &#rt::DecodeOptions,
        ) -> Result<#rt::Decoded<#k::Message<'a>>, #rt::DecodeError> {
            #k::Message::decode_in(bytes, opts, known_avp)
        }

        #[doc = #view_doc]
        pub fn decode_view(bytes: &[u8]) -> Result<#rt::Decoded<#k::MessageView<'_>>, #rt::DecodeError> {
            decode_view_with(bytes, &#rt::DecodeOptions::default())
        }

        /// As [`decode_view`], with the given options.
        pub fn decode_view_with<'a>(
            bytes: &'a [u8],
            opts: &#rt::DecodeOptions,
        ) -> Result<#rt::Decoded<#k::MessageView<'a>>, #rt::DecodeError> {
            #k::MessageView::decode_in(bytes, opts, known_avp)
        }

        /// Decodes a raw AVP (e.g. one of an `other_avps`) as the Grouped AVP `G`, strictly,
        /// validating its grammar. `None` when the AVP is not a `G`.
        pub fn decode_group<'a, G: #rt::Group<'a>>(avp: &'a #rt::RawAvp<'_>) -> Option<#rt::Decoded<G>> {
            decode_group_with(avp, &#rt::DecodeOptions::default())
        }

        /// As [`decode_group`], with the given options.
        pub fn decode_group_with<'a, G: #rt::Group<'a>>(
            avp: &'a #rt::RawAvp<'_>,
            opts: &#rt::DecodeOptions,
        ) -> Option<#rt::Decoded<G>> {
            #rt::typed::group_from_raw(avp, opts, known_avp)
        }

        /// The first AVP of `avps` that is a `G`, decoded as [`decode_group`] does: e.g.
        /// `find_group::<MyInfo>(&mscc.other_avps)`.
        pub fn find_group<'a, G: #rt::Group<'a>>(avps: &'a [#rt::RawAvp<'_>]) -> Option<#rt::Decoded<G>> {
            avps.iter().find_map(decode_group)
        }
    }
}
