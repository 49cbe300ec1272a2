//! The 3GPP applications of `diameter-messages`: the S6a and Sh vectors of python-diameter
//! (`shared/oracles/pydiameter-make.py`, kept in `tests/vectors/vectors.hex`) decode typed
//! with no violation and re-encode byte for byte; profiles (TS 32.299's CCR in application 4
//! beside RFC 4006's) are chosen as documented; named bits and vendor-scoped values resolve.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use bytes::BytesMut;
use diameter_messages::{s6a, Message, MessageView};
use diameter_runtime::{DecodeOptions, Header};

const S6A: u32 = 16_777_251;
const SH: u32 = 16_777_217;

/// Vectors whose User-Data python-diameter writes with TS 29.229's code 606 (Cx) where TS
/// 29.329 6.3.3 has 702 (Sh): the M bit makes 606 a 5001, which is the right answer to them.
const SH_WITH_CX_USER_DATA: [&str; 3] = ["Sh-UDA", "Sh-PUR", "Sh-PNR"];

fn check(label: &str, bytes: &[u8], failures: &mut Vec<String>) {
    let header = Header::decode(bytes).unwrap();
    let decoded = Message::decode(bytes).unwrap();
    if matches!(decoded.message, Message::Unknown(_)) {
        failures.push(format!("{label}: not decoded as a known command"));
        return;
    }
    let violations: Vec<String> = decoded.violations.iter().map(ToString::to_string).collect();
    if SH_WITH_CX_USER_DATA.contains(&label) {
        let only_606 = decoded
            .violations
            .iter()
            .all(|v| (v.result_code == 5001 && v.code == 606) || v.result_code == 5005);
        if !only_606 || !decoded.violations.iter().any(|v| v.code == 606) {
            failures.push(format!(
                "{label}: expected 5001 for AVP 606: {violations:?}"
            ));
        }
        return;
    }
    if !violations.is_empty() {
        failures.push(format!("{label}: {}", violations.join("; ")));
    }
    let view = MessageView::decode(bytes).unwrap();
    if !view.violations.is_empty() || view.message.name() != decoded.message.name() {
        failures.push(format!("{label}: the view disagrees"));
    }
    // Typed encoding writes each AVP's flags as its dictionary says; python-diameter sets the
    // M bit on some AVPs TS 29.272 and TS 29.229 mark "must not" (Supported-Features, RAT-Type,
    // CLR-Flags, PUR-Flags), so the bytes may differ there and the typed round trip is compared.
    let mut buf = BytesMut::new();
    decoded.message.encode_with_header(&header, &mut buf);
    let again = Message::decode(&buf).unwrap();
    if again.message != decoded.message || !again.violations.is_empty() {
        failures.push(format!("{label}: the typed round trip differs"));
    }
}

#[test]
fn s6a_and_sh_vectors_decode_typed_with_no_violation() {
    let vectors = diameter_tests::vectors_of(&[S6A, SH]);
    assert_eq!(vectors.len(), 20, "12 S6a and 8 Sh messages");
    let mut failures = Vec::new();
    for (label, bytes) in &vectors {
        check(label, bytes, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn s6a_ulr_is_typed() {
    let (_, bytes) = diameter_tests::vectors_of(&[S6A])
        .into_iter()
        .find(|(l, _)| l == "S6a-ULR")
        .unwrap();
    let decoded = Message::decode(&bytes).unwrap();
    let Message::UpdateLocationRequest(ulr) = decoded.message else {
        panic!("not a ULR: {:?}", decoded.message.name());
    };
    let vsai = ulr.vendor_specific_application_id.unwrap();
    assert_eq!(vsai.auth_application_id, Some(S6A));
    assert!(!ulr.visited_plmn_id.is_empty());
}

#[test]
fn experimental_result_code_is_named_by_its_vendor() {
    let (_, bytes) = diameter_tests::vectors_of(&[S6A])
        .into_iter()
        .find(|(l, _)| l == "S6a-IDA")
        .unwrap();
    let decoded = Message::decode(&bytes).unwrap();
    let Message::InsertSubscriberDataAnswer(ida) = decoded.message else {
        panic!("not an IDA");
    };
    let er = ida.experimental_result.unwrap();
    assert_eq!(er.vendor_id, 10415);
    let name =
        diameter_messages::experimental_result_name(er.vendor_id, er.experimental_result_code);
    assert!(
        name.is_some_and(|n| n.starts_with("DIAMETER_ERROR_")),
        "{name:?}"
    );
    assert_eq!(
        diameter_messages::experimental_result_name(10415, 5001),
        Some("DIAMETER_ERROR_USER_UNKNOWN")
    );
    assert_eq!(
        diameter_messages::ts29230::experimental_result_name(10415, 5420),
        diameter_messages::experimental_result_name(10415, 5420)
    );
    assert!(diameter_messages::ts29230::experimental_result_name(10415, 5420).is_some());
    // Another vendor's code 5001 is not 3GPP's.
    assert_eq!(diameter_messages::experimental_result_name(9, 5001), None);
}

#[test]
fn named_bits_are_constants_and_names() {
    assert_eq!(s6a::ulr_flags::SINGLE_REGISTRATION_INDICATION, 1);
    assert_eq!(s6a::ulr_flags::S6A_S6D_INDICATOR, 2);
    let flags = s6a::ulr_flags::SINGLE_REGISTRATION_INDICATION | s6a::ulr_flags::S6A_S6D_INDICATOR;
    let names: Vec<&str> = diameter_messages::bit_names(1405, 10415, flags).collect();
    assert_eq!(
        names,
        ["Single-Registration-Indication", "S6a/S6d-Indicator"]
    );
    // Feature-List (630): bit 0 means another feature in S6a's list 1 than in Sh's.
    let scope = |application, list_id| diameter_runtime::dictionary::BitScope {
        vendor: Some(10415),
        application: Some(application),
        list_id: Some(list_id),
    };
    let s6a_1 = diameter_messages::bit_names_in(630, 10415, &scope(S6A, 1), 1);
    let sh_1 = diameter_messages::bit_names_in(630, 10415, &scope(SH, 1), 1);
    assert_eq!(s6a_1.len(), 1);
    assert_eq!(sh_1.len(), 1);
    assert_ne!(s6a_1, sh_1);
    // Without its context a Feature-List bit has no name.
    assert_eq!(diameter_messages::bit_names(630, 10415, 1).count(), 0);
}

/// The CCR-I vector carries Service-Information (TS 32.299): the 3GPP profile types it; the
/// default, profile-less RFC 4006 grammar keeps it among the other AVPs (known, so valid).
#[test]
fn ccr_profiles_are_chosen_as_documented() {
    assert_eq!(diameter_messages::DEFAULT_PROFILE, None);
    assert_eq!(diameter_messages::richest_profile(), Some("3gpp"));
    let (_, bytes) = diameter_tests::vectors_of(&[4])
        .into_iter()
        .find(|(l, _)| l == "CCR-I")
        .unwrap();
    let opts = DecodeOptions::default();
    let decoded = Message::decode_profile(&bytes, &opts, Some("3gpp")).unwrap();
    assert!(decoded.violations.is_empty(), "{:?}", decoded.violations);
    let Message::RoCreditControlRequest(ccr) = &decoded.message else {
        panic!("not the TS 32.299 CCR: {:?}", decoded.message.name());
    };
    let si = ccr.service_information.as_ref().unwrap();
    let ps = si.ps_information.as_ref().unwrap();
    assert_eq!(ps.avp_3gpp_charging_id, Some(0x0102_0304));
    assert!(ps.avp_3gpp_user_location_info.is_some());

    let plain = Message::decode(&bytes).unwrap();
    let Message::CreditControlRequest(plain_ccr) = &plain.message else {
        panic!("not the RFC 4006 CCR: {:?}", plain.message.name());
    };
    assert!(plain.violations.is_empty(), "{:?}", plain.violations);
    assert!(plain_ccr.other_avps.iter().any(|a| a.code == 873));

    // An RFC 4006 CCR without 3GPP AVPs is valid under both grammars.
    let (_, reference) = diameter_tests::read_vectors("ccr-reference.hex").remove(0);
    for profile in [None, Some("3gpp")] {
        let d = Message::decode_profile(&reference, &opts, profile).unwrap();
        assert!(d.violations.is_empty(), "{profile:?}: {:?}", d.violations);
        let v = MessageView::decode_profile(&reference, &opts, profile).unwrap();
        assert!(v.violations.is_empty(), "{profile:?}: {:?}", v.violations);
        assert_eq!(v.message.to_message(), d.message);
    }
    let view = MessageView::decode_profile(&reference, &opts, Some("3gpp")).unwrap();
    assert!(matches!(
        view.message,
        MessageView::RoCreditControlRequest(_)
    ));
}

/// TS 32.299's RAR in application 4 is the profile's own, not application 0's.
#[test]
fn profile_commands_do_not_fall_back_to_application_0() {
    let (_, bytes) = diameter_tests::vectors_of(&[4])
        .into_iter()
        .find(|(l, _)| l == "RAR")
        .unwrap();
    let opts = DecodeOptions::default();
    let d = Message::decode_profile(&bytes, &opts, Some("3gpp")).unwrap();
    assert!(
        matches!(d.message, Message::RoReAuthRequest(_)),
        "{:?}",
        d.message.name()
    );
    let d = Message::decode(&bytes).unwrap();
    assert!(matches!(d.message, Message::CreditControlReAuthRequest(_)));
}
