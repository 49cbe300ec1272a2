//! `hss`: an HSS for S6a/S6d (TS 29.272): AIR answered with E-UTRAN authentication vectors,
//! ULR with the subscriber's subscription data, from a small subscriber table. An IMSI not in
//! the table gets Experimental-Result 5001 DIAMETER_ERROR_USER_UNKNOWN (Vendor-Id 10415).
//!
//! The vectors are **deterministic test values**, not Milenage: RAND, XRES, AUTN and KASME are
//! bytes derived from the IMSI and the vector's number by a fixed mixing function, so that a
//! run can be repeated and compared. They authenticate nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use diameter_messages::base::{AuthSessionState, ExperimentalResult};
use diameter_messages::s6a::{
    self, AllApnConfigurationsIncludedIndicator, Ambr, ApnConfiguration, ApnConfigurationProfile,
    AuthenticationInfo, AuthenticationInformationAnswer, AuthenticationInformationRequest,
    EUtranVector, NetworkAccessMode, PdnType, SubscriberStatus, SubscriptionData,
    UpdateLocationAnswer, UpdateLocationRequest,
};
use diameter_runtime::types::{IntoOwned, OctetString};
use diameter_transport::NodeBuilder;

use super::{codes, text, Observer, VENDOR_3GPP};

/// Most vectors given in one AIA.
const MAX_VECTORS: u32 = 5;

/// What the HSS knows of one subscriber.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscriber {
    /// MSISDN, digits.
    pub msisdn: String,
    /// The default APN (Service-Selection).
    pub apn: String,
    /// Subscribed AMBR, uplink and downlink, bit/s.
    pub ambr: (u32, u32),
}

/// The HSS: subscribers by IMSI.
#[derive(Debug)]
pub struct Hss {
    subscribers: BTreeMap<String, Subscriber>,
}

/// Registers the AIR and ULR handlers.
pub fn install(builder: NodeBuilder, hss: &Arc<Hss>, observer: &Observer) -> NodeBuilder {
    let (h1, o1) = (Arc::clone(hss), observer.clone());
    let (h2, o2) = (Arc::clone(hss), observer.clone());
    builder
        .handler(move |air: AuthenticationInformationRequest<'static>, ctx| {
            let started = Instant::now();
            let answer = h1.air(&air);
            o1.record(
                ctx.peer_host(),
                "AIR",
                result_of(answer.result_code, &answer.experimental_result),
                started,
            );
            std::future::ready(answer)
        })
        .handler(move |ulr: UpdateLocationRequest<'static>, ctx| {
            let started = Instant::now();
            let answer = h2.ulr(&ulr);
            o2.record(
                ctx.peer_host(),
                "ULR",
                result_of(answer.result_code, &answer.experimental_result),
                started,
            );
            std::future::ready(answer)
        })
}

/// The Result-Code, or the Experimental-Result-Code when there is none.
fn result_of(result_code: Option<u32>, experimental: &Option<ExperimentalResult>) -> u32 {
    result_code
        .or(experimental.as_ref().map(|e| e.experimental_result_code))
        .unwrap_or(0)
}

fn user_unknown() -> Option<ExperimentalResult> {
    Some(ExperimentalResult {
        vendor_id: VENDOR_3GPP,
        experimental_result_code: codes::ERROR_USER_UNKNOWN,
    })
}

impl Hss {
    /// The IMSI the demo attaches.
    pub const DEMO_IMSI: &'static str = "001010000000001";

    /// An HSS knowing these subscribers (IMSI to MSISDN), each with the APN "internet" and
    /// an AMBR of 50/100 Mbit/s; any other IMSI is unknown.
    pub fn new(subscribers: impl IntoIterator<Item = (String, String)>) -> Self {
        Hss {
            subscribers: subscribers
                .into_iter()
                .map(|(imsi, msisdn)| {
                    let sub = Subscriber {
                        msisdn,
                        apn: "internet".to_owned(),
                        ambr: (50_000_000, 100_000_000),
                    };
                    (imsi, sub)
                })
                .collect(),
        }
    }

    /// Two subscribers of the test network 001-01.
    pub fn with_test_subscribers() -> Self {
        Self::new([
            (Self::DEMO_IMSI.to_owned(), "491700000001".to_owned()),
            ("001010000000002".to_owned(), "491700000002".to_owned()),
        ])
    }

    /// AIR → AIA: up to five E-UTRAN vectors (Number-Of-Requested-Vectors, default one).
    pub fn air(
        &self,
        air: &AuthenticationInformationRequest<'_>,
    ) -> AuthenticationInformationAnswer<'static> {
        let imsi = text(air.user_name.as_bytes());
        let mut aia = AuthenticationInformationAnswer {
            session_id: air.session_id.clone().into_owned(),
            vendor_specific_application_id: air.vendor_specific_application_id.clone(),
            auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
            ..Default::default()
        };
        if !self.subscribers.contains_key(&imsi) {
            aia.experimental_result = user_unknown();
            return aia;
        }
        let wanted = air
            .requested_eutran_authentication_info
            .as_ref()
            .and_then(|r| r.number_of_requested_vectors)
            .unwrap_or(1)
            .clamp(1, MAX_VECTORS);
        aia.authentication_info = Some(AuthenticationInfo {
            e_utran_vector: (1..=wanted).map(|n| test_vector(&imsi, n)).collect(),
            ..Default::default()
        });
        aia.result_code = Some(codes::SUCCESS);
        aia
    }

    /// ULR → ULA: ULA-Flags (Separation Indication) and, unless the MME asked to skip it,
    /// Subscription-Data (status, MSISDN, packet-only access, AMBR, one APN).
    pub fn ulr(&self, ulr: &UpdateLocationRequest<'_>) -> UpdateLocationAnswer<'static> {
        let imsi = text(ulr.user_name.as_bytes());
        let mut ula = UpdateLocationAnswer {
            session_id: ulr.session_id.clone().into_owned(),
            vendor_specific_application_id: ulr.vendor_specific_application_id.clone(),
            auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
            ..Default::default()
        };
        let Some(sub) = self.subscribers.get(&imsi) else {
            ula.experimental_result = user_unknown();
            return ula;
        };
        ula.result_code = Some(codes::SUCCESS);
        ula.ula_flags = Some(s6a::ula_flags::SEPARATION_INDICATION);
        if ulr.ulr_flags & s6a::ulr_flags::SKIP_SUBSCRIBER_DATA == 0 {
            let ambr = Ambr {
                max_requested_bandwidth_ul: sub.ambr.0,
                max_requested_bandwidth_dl: sub.ambr.1,
                ..Default::default()
            };
            ula.subscription_data = Some(Box::new(SubscriptionData {
                subscriber_status: Some(SubscriberStatus::SERVICE_GRANTED),
                msisdn: Some(OctetString::from(tbcd(&sub.msisdn))),
                network_access_mode: Some(NetworkAccessMode::ONLY_PACKET),
                ambr: Some(ambr.clone()),
                apn_configuration_profile: Some(ApnConfigurationProfile {
                    context_identifier: 1,
                    all_apn_configurations_included_indicator:
                        AllApnConfigurationsIncludedIndicator::ALL_APN_CONFIGURATIONS_INCLUDED,
                    apn_configuration: vec![ApnConfiguration {
                        context_identifier: 1,
                        pdn_type: PdnType::I_PV4,
                        service_selection: sub.apn.clone().into(),
                        ambr: Some(ambr),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            }));
        }
        ula
    }
}

/// Vector `n` of `imsi`: RAND 16, XRES 8, AUTN 16 and KASME 32 bytes of test data.
fn test_vector(imsi: &str, n: u32) -> EUtranVector<'static> {
    EUtranVector {
        item_number: Some(n),
        rand: OctetString::from(test_bytes(imsi, n, b'R', 16)),
        xres: OctetString::from(test_bytes(imsi, n, b'X', 8)),
        autn: OctetString::from(test_bytes(imsi, n, b'A', 16)),
        kasme: OctetString::from(test_bytes(imsi, n, b'K', 32)),
        ..Default::default()
    }
}

/// `len` bytes derived from (seed, n, label) by FNV-1a then SplitMix64: repeatable test data.
pub fn test_bytes(seed: &str, n: u32, label: u8, len: usize) -> Vec<u8> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes().chain(n.to_be_bytes()).chain([label]) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_be_bytes());
    }
    out.truncate(len);
    out
}

/// Digits in TBCD (TS 29.002): two per octet, low nibble first, 0xF filling an odd count.
pub fn tbcd(digits: &str) -> Vec<u8> {
    let nibbles: Vec<u8> = digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|d| d - b'0')
        .collect();
    nibbles
        .chunks(2)
        .map(|c| c[0] | (c.get(1).copied().unwrap_or(0xf) << 4))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tbcd_swaps_and_pads() {
        assert_eq!(tbcd("4917"), vec![0x94, 0x71]);
        assert_eq!(tbcd("123"), vec![0x21, 0xf3]);
    }

    #[test]
    fn vectors_repeat_and_differ() {
        assert_eq!(test_bytes("1", 1, b'R', 16), test_bytes("1", 1, b'R', 16));
        assert_ne!(test_bytes("1", 1, b'R', 16), test_bytes("1", 2, b'R', 16));
        assert_eq!(test_bytes("1", 1, b'K', 32).len(), 32);
    }
}
