//! Acme's AVPs and its Termination-Cause value, carried in the shipped RFC 4006 and RFC 6733
//! messages of `diameter-messages`.

use diameter_messages::base::{SessionTerminationRequest, TerminationCause};
use diameter_messages::credit_control::{
    CcRequestType, CreditControlRequest, MultipleServicesCreditControl,
};
use diameter_runtime::bytes::Bytes;
use diameter_runtime::consts::result_code;
use diameter_runtime::typed::{group_to_raw, scalar_to_raw, Command};
use diameter_runtime::types::{DiameterIdentity, Utf8String};
use diameter_runtime::{DecodeOptions, RawAvp};
use vendor_dictionary_example::acme;
use vendor_dictionary_example::acme::acme::{defs, termination_cause_ext, AcmeUsageInfo, AcmeZone};

fn identity(s: &'static str) -> DiameterIdentity<'static> {
    DiameterIdentity::from_static(s)
}

/// The one AVP `bytes` holds (e.g. a Failed-AVP).
fn parse_one(bytes: &Bytes) -> RawAvp<'static> {
    let mut avps = diameter_runtime::avp::AvpIter::new(bytes);
    let first = avps
        .next()
        .unwrap_or_else(|| panic!("no AVP"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(avps.next().is_none(), "more than one AVP");
    RawAvp::from_ref(bytes, &first)
}

fn ccr() -> CreditControlRequest<'static> {
    CreditControlRequest::builder()
        .session_id("gw.example.net;1;42")
        .origin_host(identity("gw.example.net"))
        .origin_realm(identity("example.net"))
        .destination_realm(identity("ocs.example.net"))
        .auth_application_id(4)
        .service_context_id("32251@3gpp.org")
        .cc_request_type(CcRequestType::INITIAL_REQUEST)
        .cc_request_number(0)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn usage() -> AcmeUsageInfo<'static> {
    AcmeUsageInfo {
        acme_tariff_class: 3,
        acme_zone: Some(AcmeZone::ROAMING),
        cc_total_octets: Some(1_234_567),
        other_avps: Vec::new(),
    }
}

/// A CCR whose Multiple-Services-Credit-Control carries Acme-Usage-Info in its `other_avps`.
fn ccr_with_usage() -> CreditControlRequest<'static> {
    let mut mscc = MultipleServicesCreditControl::new();
    mscc.rating_group = Some(7);
    mscc.other_avps.push(group_to_raw(&usage()));
    let mut ccr = ccr();
    ccr.multiple_services_credit_control.push(mscc);
    ccr
}

fn acme_usage_in<'m>(ccr: &'m CreditControlRequest<'_>) -> &'m RawAvp<'m> {
    ccr.multiple_services_credit_control[0]
        .other_avps
        .iter()
        .find(|a| (a.code, a.vendor()) == (defs::ACME_USAGE_INFO.code, 99999))
        .unwrap_or_else(|| panic!("no Acme-Usage-Info in {ccr:?}"))
}

#[test]
fn acme_usage_info_round_trips_inside_mscc() {
    let sent = ccr_with_usage();
    let bytes = sent.to_bytes(1, 2);
    assert_eq!(bytes, vendor_dictionary_example::gateway_ccr());

    // One call: the shipped message types, with Acme's AVPs known, strictly: nothing is wrong.
    let decoded = acme::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decoded.violations, []);
    let diameter_messages::Message::CreditControlRequest(ccr) = &decoded.message else {
        panic!("not a CCR: {:?}", decoded.message);
    };
    assert_eq!(ccr, &sent);

    // The vendor AVP is kept raw by the shipped type; one call finds and decodes it.
    let mscc = &ccr.multiple_services_credit_control[0];
    let usage_back = acme::find_group::<AcmeUsageInfo>(&mscc.other_avps)
        .unwrap_or_else(|| panic!("no Acme-Usage-Info in {mscc:?}"));
    assert_eq!(usage_back.violations, []);
    assert_eq!(usage_back.message, usage());
    let raw = acme_usage_in(ccr);
    assert!(raw.flags.is_mandatory(), "Acme-Usage-Info is m=\"must\"");
    assert_eq!(acme::decode_group::<AcmeUsageInfo>(raw), Some(usage_back));
    // Another group is not found, and an AVP of another type does not decode as the group.
    assert_eq!(acme::find_group::<AcmeUsageInfo>(&ccr.other_avps), None);
    assert_eq!(
        acme::decode_group::<MultipleServicesCreditControl>(raw),
        None
    );

    // Re-encoding the decoded message gives the same bytes.
    assert_eq!(ccr.to_bytes(1, 2), bytes);

    // The view: the same verdict, and the same struct when asked for.
    let view = acme::decode_view(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view.violations, []);
    assert_eq!(view.message.to_message(), decoded.message);
}

/// The one-call decoder rejects what it should: an Acme group whose required
/// Acme-Tariff-Class is missing is 5005 (DIAMETER_MISSING_AVP) when decoded.
#[test]
fn acme_group_without_its_required_avp_is_reported() {
    let mut mscc = MultipleServicesCreditControl::new();
    let incomplete = diameter_runtime::RawAvp::new(
        defs::ACME_USAGE_INFO.code,
        defs::ACME_USAGE_INFO.default_flags(),
        Some(99999),
        scalar_to_raw(&defs::ACME_ZONE, &AcmeZone::HOME).wire(),
    );
    mscc.other_avps.push(incomplete);
    let usage = acme::find_group::<AcmeUsageInfo>(&mscc.other_avps)
        .unwrap_or_else(|| panic!("the group is there"));
    let [violation] = usage.violations.as_slice() else {
        panic!("one violation expected: {:?}", usage.violations);
    };
    assert_eq!(violation.result_code, result_code::MISSING_AVP);
    assert_eq!(usage.message.acme_zone, Some(AcmeZone::HOME));
}

/// Acme-Usage-Info is declared `m="must"`, so a peer that only knows the shipped dictionaries
/// (diameter-messages' own lookup) must answer DIAMETER_AVP_UNSUPPORTED (5001) when strict,
/// with the AVP as Failed-AVP, even though MSCC's `*[ AVP ]` lets it occur. Acme-Tariff-Class
/// is `m="may"` (sent with the M bit clear): the same peer ignores it silently.
#[test]
fn shipped_dictionary_reports_the_mandatory_acme_avp() {
    let mut sent = ccr_with_usage();
    // An M-clear Acme AVP at the top level of the CCR.
    sent.other_avps
        .push(scalar_to_raw(&defs::ACME_TARIFF_CLASS, &9u32));
    assert!(!sent.other_avps[0].flags.is_mandatory());
    let bytes = sent.to_bytes(1, 2);

    let decoded = diameter_messages::Message::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let [violation] = decoded.violations.as_slice() else {
        panic!("one violation expected: {:?}", decoded.violations);
    };
    assert_eq!(violation.result_code, result_code::AVP_UNSUPPORTED);
    assert_eq!(violation.result_code, 5001);
    assert_eq!((violation.code, violation.vendor_id), (3, 99999));
    assert_eq!(
        violation.path,
        ["Credit-Control-Request", "Multiple-Services-Credit-Control"]
    );
    // Failed-AVP holds the offending AVP inside its MSCC (RFC 6733 7.5).
    let failed = violation
        .failed_avp
        .clone()
        .unwrap_or_else(|| panic!("no Failed-AVP"));
    let mscc = parse_one(&failed);
    assert_eq!(mscc.code, 456);
    assert_eq!(
        mscc.grouped().unwrap_or_else(|e| panic!("{e}")),
        [group_to_raw(&usage())]
    );
    // The message is still decoded whole, the Acme AVPs kept raw.
    let diameter_messages::Message::CreditControlRequest(message) = decoded.message else {
        panic!("not a CCR");
    };
    assert_eq!(message, sent);

    // Leniently (not strict), an unknown M-bit AVP where `*[ AVP ]` allows it is no violation.
    let lenient = DecodeOptions::new().with_strict(false);
    let decoded =
        diameter_messages::Message::decode_with(&bytes, &lenient).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decoded.violations, []);
}

#[test]
fn termination_cause_extension_round_trips() {
    let cause = termination_cause_ext::ACME_PREPAID_EXHAUSTED;
    assert_eq!(cause, TerminationCause(1001));
    // diameter-messages does not list the value; the extension names it.
    assert_eq!(cause.name(), None);
    assert_eq!(
        termination_cause_ext::name(cause),
        Some("ACME_PREPAID_EXHAUSTED")
    );
    assert_eq!(
        termination_cause_ext::name(TerminationCause::DIAMETER_LOGOUT),
        Some("DIAMETER_LOGOUT")
    );

    // Session-Termination-Request, decoded strictly with the shipped dictionary alone: an
    // unlisted Enumerated value is legal, decodes and re-encodes unchanged.
    let sent = SessionTerminationRequest::builder()
        .session_id(Utf8String::from("gw.example.net;1;42"))
        .origin_host(identity("gw.example.net"))
        .origin_realm(identity("example.net"))
        .destination_realm(identity("aaa.example.net"))
        .auth_application_id(4)
        .termination_cause(cause)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let bytes = sent.to_bytes(5, 6);
    let decoded = SessionTerminationRequest::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decoded.violations, []);
    assert_eq!(decoded.message.termination_cause, cause);
    assert_eq!(decoded.message.to_bytes(5, 6), bytes);

    // In a CCR (`[ Termination-Cause ]`), with Acme's AVPs known.
    let mut ccr = ccr_with_usage();
    ccr.cc_request_type = CcRequestType::TERMINATION_REQUEST;
    ccr.termination_cause = Some(cause);
    let bytes = ccr.to_bytes(7, 8);
    let decoded = acme::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decoded.violations, []);
    let diameter_messages::Message::CreditControlRequest(back) = decoded.message else {
        panic!("not a CCR");
    };
    assert_eq!(back.termination_cause, Some(cause));
    assert_eq!(back.to_bytes(7, 8), bytes);
}

#[test]
fn acme_dictionary_is_found_alongside_the_shipped_ones() {
    let def = acme::avp_def(3, 99999).unwrap_or_else(|| panic!("Acme-Usage-Info"));
    assert_eq!(def.name, "Acme-Usage-Info");
    assert_eq!(
        acme::avp_def(295, 0).map(|d| d.name),
        Some("Termination-Cause")
    );
    assert_eq!(diameter_messages::avp_def(3, 99999), None);
    // A vendor AVP built with `group_to_raw` is an ordinary AVP on the wire.
    let raw = group_to_raw(&usage());
    assert_eq!(parse_one(&raw.wire()), raw);
}
