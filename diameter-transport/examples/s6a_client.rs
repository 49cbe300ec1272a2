//! An S6a (3GPP TS 29.272) client: the attach of one subscriber, an
//! Authentication-Information-Request then an Update-Location-Request, against an HSS.
//!
//! The node's typed `call` knows the request/answer pairs of the applications compiled into
//! diameter-transport; S6a's are sent with [`Node::call_raw`]: the typed request is encoded,
//! the answer decoded with its generated type.
//!
//! ```text
//! diameter serve --listen 127.0.0.1:3868 --origin-host hss.example.net --origin-realm example.net --role hss
//! cargo run -p diameter-transport --example s6a_client -- 127.0.0.1:3868
//! ```
//!
//! Arguments: `[PEER_ADDR] [IMSI]` (defaults `127.0.0.1:3868`, `001010123456789`). The client
//! is `mme.example.net` in realm `example.net`; `S6A_ORIGIN_HOST` and `S6A_ORIGIN_REALM`
//! change them (freeDiameter's oracle admits only `*.test.local`). It advertises S6a
//! (16777251) inside Vendor-Specific-Application-Id with 3GPP's vendor id, as HSSs expect.
//! Exit status 0 when both answers carry Result-Code 2001, 1 otherwise.

use std::net::SocketAddr;
use std::time::Duration;

use diameter_messages::base::{AuthSessionState, VendorSpecificApplicationId};
use diameter_messages::prelude::*;
use diameter_messages::s6a::{
    self, AuthenticationInformationAnswer, AuthenticationInformationRequest,
    RequestedEutranAuthenticationInfo, UpdateLocationAnswer, UpdateLocationRequest,
};
use diameter_messages::ts29212::RatType;
use diameter_runtime::Command;
use diameter_transport::{Application, Node};

const S6A: u32 = 16_777_251;
const TGPP: u32 = 10_415;
/// MCC 001, MNC 01, as TS 29.272 7.3.9 encodes a PLMN id.
const PLMN: [u8; 3] = [0x00, 0xf1, 0x10];

/// What an answer says: its Result-Code, or its Experimental-Result as `vendor:code`.
fn outcome(result_code: Option<u32>, experimental: Option<(u32, u32)>) -> (bool, String) {
    match (result_code, experimental) {
        (Some(rc), _) => (rc == 2001, rc.to_string()),
        (None, Some((vendor, code))) => (false, format!("experimental {vendor}:{code}")),
        (None, None) => (false, "no result".into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let peer: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:3868").parse()?;
    let imsi = args.next().unwrap_or_else(|| "001010123456789".into());
    let host = std::env::var("S6A_ORIGIN_HOST").unwrap_or_else(|_| "mme.example.net".into());
    let realm = std::env::var("S6A_ORIGIN_REALM").unwrap_or_else(|_| "example.net".into());
    let node = Node::builder()
        .origin_host(host.as_str())
        .origin_realm(realm.as_str())
        .vendor_specific_application(TGPP, Application::auth(S6A))
        .supported_vendor_ids([TGPP])
        .request_timeout(Duration::from_secs(5))
        .build()?;
    node.connect(peer);
    if !node.wait_open(Duration::from_secs(10)).await {
        eprintln!("s6a_client: no CER/CEA with {peer} within 10 s");
        node.shutdown().await;
        std::process::exit(1);
    }
    let vsai = VendorSpecificApplicationId {
        vendor_id: TGPP,
        auth_application_id: Some(S6A),
        acct_application_id: None,
    };
    let destination = DiameterIdentity::try_from(realm.clone())?;
    let mut ok = true;

    // AIR: one E-UTRAN vector. Session-Id, Origin-Host and Origin-Realm are left empty for
    // the node to fill.
    let mut eutran = RequestedEutranAuthenticationInfo::new();
    eutran.number_of_requested_vectors = Some(1);
    eutran.immediate_response_preferred = Some(1);
    let air = AuthenticationInformationRequest {
        vendor_specific_application_id: Some(vsai.clone()),
        auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
        destination_realm: destination.clone(),
        user_name: Utf8String::from(imsi.clone()),
        requested_eutran_authentication_info: Some(eutran),
        visited_plmn_id: OctetString::from(PLMN.to_vec()),
        ..Default::default()
    };
    let frame = node.call_raw(air.to_bytes(0, 0)).await?;
    let aia = AuthenticationInformationAnswer::decode(&frame)?;
    let (good, result) = outcome(
        aia.message.result_code,
        aia.message
            .experimental_result
            .as_ref()
            .map(|e| (e.vendor_id, e.experimental_result_code)),
    );
    let vectors = aia
        .message
        .authentication_info
        .as_ref()
        .map_or(0, |a| a.e_utran_vector.len());
    println!("AIR {imsi} -> AIA {result}, {vectors} E-UTRAN vector(s)");
    for v in &aia.violations {
        println!("  AIA violation: {v}");
    }
    ok &= good;

    // ULR: an initial attach over S6a from E-UTRAN.
    let ulr = UpdateLocationRequest {
        vendor_specific_application_id: Some(vsai),
        auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
        destination_realm: destination,
        user_name: Utf8String::from(imsi.clone()),
        rat_type: RatType::EUTRAN,
        ulr_flags: s6a::ulr_flags::S6A_S6D_INDICATOR,
        visited_plmn_id: OctetString::from(PLMN.to_vec()),
        ..Default::default()
    };
    let frame = node.call_raw(ulr.to_bytes(0, 0)).await?;
    let ula = UpdateLocationAnswer::decode(&frame)?;
    let (good, result) = outcome(
        ula.message.result_code,
        ula.message
            .experimental_result
            .as_ref()
            .map(|e| (e.vendor_id, e.experimental_result_code)),
    );
    let subscribed = ula.message.subscription_data.is_some();
    println!("ULR {imsi} -> ULA {result}, subscription data {subscribed}");
    for v in &ula.violations {
        println!("  ULA violation: {v}");
    }
    ok &= good;

    node.shutdown().await;
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
