//! Example: a vendor dictionary compiled by a build script, on top of `diameter-messages`.
//!
//! `dict/acme.xml` defines the (fictional) vendor Acme, enterprise number 99999: three AVPs
//! (`Acme-Tariff-Class`, `Acme-Zone`, `Acme-Usage-Info`) and an extra `Termination-Cause`
//! value. It imports the shipped `rfc4006.xml` by name, and `build.rs` compiles it with
//! [`diameter_codegen::Builder::extern_shipped`], so the generated code holds Acme's items only,
//! reuses the shipped types, and decodes the shipped messages knowing Acme's AVPs.
//!
//! Acme's AVPs travel in the `other_avps` of the shipped types (every `*[ AVP ]` grammar). One
//! call decodes a message, one more finds and decodes a vendor group:
//!
//! ```
//! use diameter_messages::Message;
//! use vendor_dictionary_example::acme::{self, acme::AcmeUsageInfo};
//!
//! let bytes = vendor_dictionary_example::gateway_ccr();
//! // Any diameter-messages message; Acme's M-bit AVPs are known, so strict decoding accepts them.
//! let decoded = acme::decode(&bytes)?;
//! assert!(decoded.is_valid());
//! let Message::CreditControlRequest(ccr) = decoded.message else {
//!     panic!("a CCR was sent");
//! };
//! let mscc = &ccr.multiple_services_credit_control[0];
//! let usage = acme::find_group::<AcmeUsageInfo>(&mscc.other_avps).expect("sent in the MSCC");
//! assert!(usage.is_valid());
//! assert_eq!(usage.message.acme_tariff_class, 3);
//! # Ok::<(), diameter_runtime::DecodeError>(())
//! ```

use diameter_messages::credit_control::{
    CcRequestType, CreditControlRequest, MultipleServicesCreditControl,
};
use diameter_runtime::bytes::Bytes;
use diameter_runtime::typed::{group_to_raw, Command};
use diameter_runtime::types::DiameterIdentity;

/// The code generated from `dict/acme.xml`.
///
/// Module [`acme::acme`] holds the Acme AVPs (dictionary statics, `AcmeZone`, `AcmeUsageInfo`)
/// and `termination_cause_ext`, the added `Termination-Cause` value. [`acme::decode`] (and
/// `decode_with`, `decode_view`) decode any `diameter_messages` message knowing Acme's AVPs;
/// [`acme::find_group`] and [`acme::decode_group`] decode an Acme group kept raw in
/// `other_avps`. [`acme::avp_def`] looks AVPs up in Acme's dictionary and the shipped ones.
// This generation defines no command of its own (Acme's AVPs ride in the shipped messages), so
// the generated root's own `Message` has only its `Unknown` variant: the emitter then leaves
// `known` unused and an irrefutable `if let` behind, hence the allows.
#[allow(clippy::all, unused_variables, irrefutable_let_patterns)]
pub mod acme {
    include!(concat!(env!("OUT_DIR"), "/diameter_dictionary.rs"));
}

/// A Credit-Control-Request as Acme's gateway sends it: its Multiple-Services-Credit-Control
/// carries an `Acme-Usage-Info` (tariff class 3, roaming, 1,234,567 octets).
pub fn gateway_ccr() -> Bytes {
    let usage = acme::acme::AcmeUsageInfo {
        acme_tariff_class: 3,
        acme_zone: Some(acme::acme::AcmeZone::ROAMING),
        cc_total_octets: Some(1_234_567),
        other_avps: Vec::new(),
    };
    let mut mscc = MultipleServicesCreditControl::new();
    mscc.rating_group = Some(7);
    mscc.other_avps.push(group_to_raw(&usage));
    let mut ccr = CreditControlRequest::builder()
        .session_id("gw.example.net;1;42")
        .origin_host(DiameterIdentity::from_static("gw.example.net"))
        .origin_realm(DiameterIdentity::from_static("example.net"))
        .destination_realm(DiameterIdentity::from_static("ocs.example.net"))
        .auth_application_id(4)
        .service_context_id("32251@3gpp.org")
        .cc_request_type(CcRequestType::INITIAL_REQUEST)
        .cc_request_number(0)
        .build()
        .unwrap_or_else(|e| panic!("every required AVP is given: {e}"));
    ccr.multiple_services_credit_control.push(mscc);
    ccr.to_bytes(1, 2)
}
