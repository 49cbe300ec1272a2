//! Example: a vendor dictionary compiled by a build script, on top of `diameter-messages`.
//!
//! `dict/acme.xml` defines the (fictional) vendor Acme, enterprise number 99999: three AVPs
//! (`Acme-Tariff-Class`, `Acme-Zone`, `Acme-Usage-Info`) and an extra `Termination-Cause`
//! value. `build.rs` compiles it with [`diameter_codegen::Builder`], declaring the modules
//! `diameter-messages` already has as extern, so the generated code holds Acme's items only and
//! reuses the shipped types.
//!
//! Acme's AVPs travel in the `other_avps` of the shipped types (every `*[ AVP ]` grammar):
//!
//! ```
//! use diameter_runtime::typed::{group_from_raw, group_to_raw};
//! use diameter_runtime::DecodeOptions;
//! use vendor_dictionary_example::acme::{self, acme::AcmeUsageInfo};
//!
//! let usage = AcmeUsageInfo::new(7);
//! let raw = group_to_raw(&usage);
//! let back = group_from_raw::<AcmeUsageInfo>(&raw, &DecodeOptions::default(), acme::avp_def);
//! assert_eq!(back.map(|d| d.message), Some(usage));
//! ```

/// The code generated from `dict/acme.xml`.
///
/// Module [`acme::acme`] holds the Acme AVPs (dictionary statics, `AcmeZone`, `AcmeUsageInfo`)
/// and `termination_cause_ext`, the added `Termination-Cause` value. [`acme::avp_def`] looks
/// AVPs up in Acme's dictionary and in the shipped ones: pass it as `known` to
/// `Command::decode_in` so that Acme's AVPs are not reported unknown (5001).
// This generation defines no command of its own (Acme's AVPs ride in the shipped messages), so
// the generated root's `Message` has only its `Unknown` variant: the emitter then leaves
// `known` unused and an irrefutable `if let` behind, hence the allows.
#[allow(clippy::all, unused_variables, irrefutable_let_patterns)]
pub mod acme {
    include!(concat!(env!("OUT_DIR"), "/diameter_dictionary.rs"));
}
