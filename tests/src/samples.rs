//! Sample messages built with the typed API: one request and one answer of every command of
//! the base, accounting and credit-control applications, with optional and grouped AVPs filled
//! in. The oracle tests feed them to tshark and python-diameter.

use std::net::Ipv4Addr;

use diameter_messages::{accounting, base, credit_control as cc};
use diameter_runtime::smallvec::smallvec;
use diameter_runtime::typed::Command;
use diameter_runtime::types::{Address, DiameterIdentity, OctetString, Time, Utf8String};

fn id(s: &str) -> DiameterIdentity<'static> {
    DiameterIdentity::try_from(s.to_owned()).expect("valid identity")
}

const ALL: &str = "every required AVP is given";

fn text(s: &str) -> Utf8String<'_> {
    Utf8String::from(s)
}

/// One message of every command, with optional and grouped AVPs filled in where the grammar has
/// them, as (label, bytes).
pub fn messages() -> Vec<(String, Vec<u8>)> {
    let (ch, cr, sh, sr) = (
        id("client.test.local"),
        id("test.local"),
        id("server.test.local"),
        id("test.local"),
    );
    let sid = text("client.test.local;1700000000;42;gy");
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut push = |label: &str, bytes: bytes::Bytes| out.push((label.to_string(), bytes.to_vec()));

    let mut cer = base::CapabilitiesExchangeRequest::builder()
        .origin_host(ch.clone())
        .origin_realm(cr.clone())
        .vendor_id(0)
        .product_name(text("diameter-rs"))
        .build()
        .expect(ALL);
    cer.host_ip_address = smallvec![Address::V4(Ipv4Addr::new(127, 0, 0, 1))];
    cer.origin_state_id = Some(7);
    cer.supported_vendor_id = smallvec![10415];
    cer.auth_application_id = smallvec![4];
    cer.acct_application_id = smallvec![3];
    let mut vsai = base::VendorSpecificApplicationId::new(10415);
    vsai.auth_application_id = Some(16777251);
    cer.vendor_specific_application_id = vec![vsai];
    cer.firmware_revision = Some(1);
    push("CER", cer.to_bytes(1, 1));
    let mut cea = base::CapabilitiesExchangeAnswer::builder()
        .result_code(2001)
        .origin_host(sh.clone())
        .origin_realm(sr.clone())
        .vendor_id(0)
        .product_name(text("diameter-rs"))
        .build()
        .expect(ALL);
    cea.host_ip_address = smallvec![Address::V6(std::net::Ipv6Addr::LOCALHOST)];
    cea.auth_application_id = smallvec![4];
    push("CEA", cea.to_bytes(1, 1));
    push(
        "DWR",
        base::DeviceWatchdogRequest::new(ch.clone(), cr.clone()).to_bytes(2, 2),
    );
    push(
        "DWA",
        base::DeviceWatchdogAnswer::new(2001, sh.clone(), sr.clone()).to_bytes(2, 2),
    );
    push(
        "DPR",
        base::DisconnectPeerRequest::new(ch.clone(), cr.clone(), base::DisconnectCause::REBOOTING)
            .to_bytes(3, 3),
    );
    push(
        "DPA",
        base::DisconnectPeerAnswer::new(2001, sh.clone(), sr.clone()).to_bytes(3, 3),
    );

    let rar = base::ReAuthRequest::builder()
        .session_id(sid.clone())
        .origin_host(sh.clone())
        .origin_realm(sr.clone())
        .destination_realm(cr.clone())
        .destination_host(ch.clone())
        .auth_application_id(4)
        .re_auth_request_type(base::ReAuthRequestType::AUTHORIZE_ONLY)
        .build()
        .expect(ALL);
    push("RAR-base", rar.to_bytes(4, 4));
    push(
        "RAA-base",
        base::ReAuthAnswer::builder()
            .session_id(sid.clone())
            .result_code(2001)
            .origin_host(ch.clone())
            .origin_realm(cr.clone())
            .build()
            .expect(ALL)
            .to_bytes(4, 4),
    );
    let mut str_ = base::SessionTerminationRequest::builder()
        .session_id(sid.clone())
        .origin_host(ch.clone())
        .origin_realm(cr.clone())
        .destination_realm(sr.clone())
        .auth_application_id(4)
        .termination_cause(base::TerminationCause::DIAMETER_LOGOUT)
        .build()
        .expect(ALL);
    str_.class = vec![OctetString::from_static(b"class-1")];
    push("STR", str_.to_bytes(5, 5));
    push(
        "STA",
        base::SessionTerminationAnswer::builder()
            .session_id(sid.clone())
            .result_code(2001)
            .origin_host(sh.clone())
            .origin_realm(sr.clone())
            .build()
            .expect(ALL)
            .to_bytes(5, 5),
    );
    push(
        "ASR",
        base::AbortSessionRequest::builder()
            .session_id(sid.clone())
            .origin_host(sh.clone())
            .origin_realm(sr.clone())
            .destination_realm(cr.clone())
            .destination_host(ch.clone())
            .auth_application_id(4)
            .build()
            .expect(ALL)
            .to_bytes(6, 6),
    );
    push(
        "ASA",
        base::AbortSessionAnswer::builder()
            .session_id(sid.clone())
            .result_code(2001)
            .origin_host(ch.clone())
            .origin_realm(cr.clone())
            .build()
            .expect(ALL)
            .to_bytes(6, 6),
    );

    let mut acr = accounting::AccountingRequest::builder()
        .session_id(sid.clone())
        .origin_host(ch.clone())
        .origin_realm(cr.clone())
        .destination_realm(sr.clone())
        .accounting_record_type(base::AccountingRecordType::START_RECORD)
        .accounting_record_number(0)
        .build()
        .expect(ALL);
    acr.acct_application_id = Some(3);
    acr.event_timestamp = Some(Time::from_ntp_seconds(0xe93d_fba5));
    acr.acct_interim_interval = Some(300);
    push("ACR", acr.to_bytes(7, 7));
    let mut aca = accounting::AccountingAnswer::builder()
        .session_id(sid.clone())
        .result_code(2001)
        .origin_host(sh.clone())
        .origin_realm(sr.clone())
        .accounting_record_type(base::AccountingRecordType::START_RECORD)
        .accounting_record_number(0)
        .build()
        .expect(ALL);
    aca.acct_application_id = Some(3);
    push("ACA", aca.to_bytes(7, 7));

    let mut ccr = cc::CreditControlRequest::builder()
        .session_id(sid.clone())
        .origin_host(ch.clone())
        .origin_realm(cr.clone())
        .destination_realm(sr.clone())
        .auth_application_id(4)
        .service_context_id(text("32251@3gpp.org"))
        .cc_request_type(cc::CcRequestType::INITIAL_REQUEST)
        .cc_request_number(0)
        .build()
        .expect(ALL);
    ccr.event_timestamp = Some(Time::from_ntp_seconds(0xe93d_fba5));
    ccr.subscription_id = vec![
        cc::SubscriptionId::new(cc::SubscriptionIdType::END_USER_E164, text("491701234567")),
        cc::SubscriptionId::new(
            cc::SubscriptionIdType::END_USER_IMSI,
            text("001010123456789"),
        ),
    ];
    ccr.multiple_services_indicator =
        Some(cc::MultipleServicesIndicator::MULTIPLE_SERVICES_SUPPORTED);
    let usu = cc::UsedServiceUnit {
        cc_time: Some(60),
        cc_total_octets: Some(1_000_000),
        ..Default::default()
    };
    ccr.multiple_services_credit_control = vec![cc::MultipleServicesCreditControl {
        requested_service_unit: Some(cc::RequestedServiceUnit::default()),
        rating_group: Some(100),
        service_identifier: smallvec![1],
        used_service_unit: vec![usu],
        ..Default::default()
    }];
    ccr.user_equipment_info = Some(cc::UserEquipmentInfo::new(
        cc::UserEquipmentInfoType::IMEISV,
        OctetString::from_static(b"\x35\x12\x34\x56\x78\x90\x12\x34"),
    ));
    push("CCR", ccr.to_bytes(8, 8));

    let mut cca = cc::CreditControlAnswer::builder()
        .session_id(sid.clone())
        .result_code(2001)
        .origin_host(sh.clone())
        .origin_realm(sr.clone())
        .auth_application_id(4)
        .cc_request_type(cc::CcRequestType::INITIAL_REQUEST)
        .cc_request_number(0)
        .build()
        .expect(ALL);
    let money = cc::CcMoney {
        unit_value: cc::UnitValue {
            exponent: Some(-2),
            ..cc::UnitValue::new(12345)
        },
        currency_code: Some(978),
    };
    let gsu = cc::GrantedServiceUnit {
        cc_time: Some(3600),
        cc_money: Some(money),
        ..Default::default()
    };
    let fui = cc::FinalUnitIndication {
        redirect_server: Some(cc::RedirectServer::new(
            cc::RedirectAddressType::URL,
            text("http://top-up.example/"),
        )),
        ..cc::FinalUnitIndication::new(cc::FinalUnitAction::REDIRECT)
    };
    cca.multiple_services_credit_control = vec![cc::MultipleServicesCreditControl {
        granted_service_unit: Some(gsu),
        rating_group: Some(100),
        result_code: Some(2001),
        validity_time: Some(600),
        final_unit_indication: Some(fui),
        ..Default::default()
    }];
    cca.cc_session_failover = Some(cc::CcSessionFailover::FAILOVER_SUPPORTED);
    push("CCA", cca.to_bytes(8, 8));

    let mut rar = cc::ReAuthRequest::builder()
        .session_id(sid.clone())
        .origin_host(sh.clone())
        .origin_realm(sr.clone())
        .destination_realm(cr.clone())
        .destination_host(ch.clone())
        .auth_application_id(4)
        .re_auth_request_type(base::ReAuthRequestType::AUTHORIZE_ONLY)
        .build()
        .expect(ALL);
    rar.rating_group = Some(100);
    push("RAR-cc", rar.to_bytes(9, 9));
    push(
        "RAA-cc",
        cc::ReAuthAnswer::builder()
            .session_id(sid)
            .result_code(2001)
            .origin_host(ch)
            .origin_realm(cr)
            .build()
            .expect(ALL)
            .to_bytes(9, 9),
    );
    out
}
