//! Random inputs shared by the property tests: Credit-Control-Requests with optional fields
//! present or not, repeated fields empty, single or many, nested groups, octets of every
//! padding length and vendor AVPs in `other_avps`; and damage to a message's bytes.
// Each test binary uses part of it.
#![allow(dead_code)]

use diameter_messages::base::TerminationCause;
use diameter_messages::credit_control::{
    CcRequestType, CreditControlRequest, MultipleServicesCreditControl, RequestedServiceUnit,
    SubscriptionId, SubscriptionIdType, UsedServiceUnit, UserEquipmentInfo, UserEquipmentInfoType,
};
use diameter_runtime::types::{DiameterIdentity, OctetString, Time, Utf8String};
use diameter_runtime::RawAvp;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::Index;

fn identity() -> impl Strategy<Value = DiameterIdentity<'static>> {
    "[a-z][a-z0-9-]{0,20}(\\.[a-z]{2,8}){1,3}".prop_map(|s| DiameterIdentity::try_from(s).unwrap())
}

fn text() -> impl Strategy<Value = Utf8String<'static>> {
    // Any Unicode, so multi-byte characters and every padding length occur.
    any::<String>().prop_map(Utf8String::from)
}

fn octets() -> impl Strategy<Value = OctetString<'static>> {
    vec(any::<u8>(), 0..24).prop_map(OctetString::from)
}

fn rsu() -> impl Strategy<Value = RequestedServiceUnit<'static>> {
    (of(any::<u32>()), of(any::<u64>()), of(any::<u64>())).prop_map(|(t, o, i)| {
        RequestedServiceUnit {
            cc_time: t,
            cc_total_octets: o,
            cc_input_octets: i,
            ..Default::default()
        }
    })
}

fn usu() -> impl Strategy<Value = UsedServiceUnit<'static>> {
    (of(any::<u32>()), of(any::<u64>())).prop_map(|(t, o)| UsedServiceUnit {
        cc_time: t,
        cc_total_octets: o,
        ..Default::default()
    })
}

/// A vendor AVP without the M bit: kept in `other_avps`, valid in strict mode.
fn vendor_avp() -> impl Strategy<Value = RawAvp<'static>> {
    (1u32..5000, vec(any::<u8>(), 0..11))
        .prop_map(|(code, data)| RawAvp::new(code, 0, Some(99_999), data))
}

fn mscc() -> impl Strategy<Value = MultipleServicesCreditControl<'static>> {
    (
        of(any::<u32>()),
        vec(any::<u32>(), 0..7),
        of(rsu()),
        vec(usu(), 0..3),
        vec(vendor_avp(), 0..2),
    )
        .prop_map(|(rg, si, rsu, usu, other)| MultipleServicesCreditControl {
            rating_group: rg,
            service_identifier: si.into(),
            requested_service_unit: rsu,
            used_service_unit: usu,
            other_avps: other,
            ..Default::default()
        })
}

fn subscription() -> impl Strategy<Value = SubscriptionId<'static>> {
    (0i32..5, text()).prop_map(|(t, d)| SubscriptionId::new(SubscriptionIdType(t), d))
}

pub fn ccr() -> impl Strategy<Value = CreditControlRequest<'static>> {
    let head = (
        text(),
        identity(),
        identity(),
        identity(),
        1i32..5,
        any::<u32>(),
        of(identity()),
        of(text()),
        of(any::<u64>()),
        of(any::<u32>()),
        of(any::<u32>()),
    );
    let tail = (
        vec(subscription(), 0..3),
        of(1i32..9),
        vec(mscc(), 0..5),
        of(octets()),
        of(octets()),
        vec(identity(), 0..3),
        vec(vendor_avp(), 0..3),
    );
    (head, tail).prop_map(
        |(
            (sid, oh, or, dr, rt, rn, dh, un, sub, osi, ts),
            (subs, cause, msccs, corr, uei, rr, other),
        )| {
            let mut m = CreditControlRequest::builder()
                .session_id(sid)
                .origin_host(oh)
                .origin_realm(or)
                .destination_realm(dr)
                .auth_application_id(4)
                .service_context_id(Utf8String::from("32251@3gpp.org"))
                .cc_request_type(CcRequestType(rt))
                .cc_request_number(rn)
                .build()
                .unwrap();
            m.destination_host = dh;
            m.user_name = un;
            m.cc_sub_session_id = sub;
            m.origin_state_id = osi;
            m.event_timestamp = ts.and_then(|s| Time::from_unix(i64::from(s)));
            m.subscription_id = subs;
            m.termination_cause = cause.map(TerminationCause);
            m.multiple_services_credit_control = msccs;
            m.cc_correlation_id = corr;
            m.user_equipment_info =
                uei.map(|v| UserEquipmentInfo::new(UserEquipmentInfoType::MAC, v));
            m.route_record = rr;
            m.other_avps = other;
            m
        },
    )
}

/// XORs the bytes at `flips` (indexes into the message) and cuts it at `cut`.
pub fn damage(wire: &mut Vec<u8>, flips: &[(Index, u8)], cut: Option<Index>) {
    for (at, x) in flips {
        let i = at.index(wire.len());
        wire[i] ^= x;
    }
    if let Some(cut) = cut {
        wire.truncate(cut.index(wire.len() + 1));
    }
}
