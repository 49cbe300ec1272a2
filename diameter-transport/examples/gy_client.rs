//! A Gy (RFC 4006) client: one credit-control session against an OCS, CCR-I, CCR-U while
//! quota is granted, then CCR-T, with one line per exchange.
//!
//! ```text
//! cargo run -p diameter-transport --example ocs -- 127.0.0.1:3868 3000000
//! cargo run -p diameter-transport --example gy_client -- 127.0.0.1:3868 5
//! ```
//!
//! Arguments: `[PEER_ADDR] [UPDATES]` (defaults `127.0.0.1:3868`, 3). The client is
//! `pgw.example.net` in realm `example.net` (freeDiameter's oracle admits only `*.test.local`:
//! set `GY_ORIGIN_HOST` and `GY_ORIGIN_REALM`). Each CCR-U reports the previous grant as used
//! and asks for 1 MB more; the session stops updating early when the OCS answers 4012
//! (DIAMETER_CREDIT_LIMIT_REACHED). Exit status 0 when the session ran to its CCR-T with
//! answers 2001 (or 4012 for an update), 1 otherwise.

use std::net::SocketAddr;
use std::time::Duration;

use diameter_messages::credit_control::{
    CcRequestType, CreditControlAnswer, CreditControlRequest, MultipleServicesCreditControl,
    RequestedServiceUnit, SubscriptionId, SubscriptionIdType, UsedServiceUnit,
};
use diameter_messages::prelude::*;
use diameter_transport::{Application, Node};

const RATING_GROUP: u32 = 100;
const ASK: u64 = 1_000_000;

/// The CCR of this session's `number`th request, reporting `used` octets.
fn ccr(
    session: &str,
    realm: &str,
    kind: CcRequestType,
    number: u32,
    used: Option<u64>,
) -> CreditControlRequest<'static> {
    let mut mscc = MultipleServicesCreditControl::new();
    mscc.rating_group = Some(RATING_GROUP);
    if kind != CcRequestType::TERMINATION_REQUEST {
        let mut rsu = RequestedServiceUnit::new();
        rsu.cc_total_octets = Some(ASK);
        mscc.requested_service_unit = Some(rsu);
    }
    if let Some(octets) = used {
        let mut usu = UsedServiceUnit::new();
        usu.cc_total_octets = Some(octets);
        mscc.used_service_unit.push(usu);
    }
    CreditControlRequest {
        // Origin-Host and Origin-Realm left empty: the node fills them in.
        session_id: Utf8String::from(session.to_owned()),
        destination_realm: DiameterIdentity::try_from(realm.to_owned())
            .unwrap_or_else(|_| DiameterIdentity::from_static("example.net")),
        auth_application_id: 4,
        service_context_id: Utf8String::from("32251@3gpp.org"),
        cc_request_type: kind,
        cc_request_number: number,
        subscription_id: vec![SubscriptionId::new(
            SubscriptionIdType::END_USER_E164,
            Utf8String::from("46701234567"),
        )],
        multiple_services_credit_control: vec![mscc],
        ..Default::default()
    }
}

/// Octets granted in the answer's first MSCC.
fn granted(cca: &CreditControlAnswer<'_>) -> Option<u64> {
    cca.multiple_services_credit_control
        .first()
        .and_then(|m| m.granted_service_unit.as_ref())
        .and_then(|g| g.cc_total_octets)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let peer: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:3868").parse()?;
    let updates: u32 = args.next().as_deref().unwrap_or("3").parse()?;
    let host = std::env::var("GY_ORIGIN_HOST").unwrap_or_else(|_| "pgw.example.net".into());
    let realm = std::env::var("GY_ORIGIN_REALM").unwrap_or_else(|_| "example.net".into());
    let node = Node::builder()
        .origin_host(host.as_str())
        .origin_realm(realm.as_str())
        .applications([Application::auth(4)])
        .request_timeout(Duration::from_secs(5))
        .build()?;
    node.connect(peer);
    if !node.wait_open(Duration::from_secs(10)).await {
        eprintln!("gy_client: no CER/CEA with {peer} within 10 s");
        node.shutdown().await;
        std::process::exit(1);
    }
    let session = format!("{host};{};1", std::process::id());
    let mut ok = true;
    let mut number = 0;
    let mut used = None;
    let mut kind = CcRequestType::INITIAL_REQUEST;
    loop {
        let cca = node.call(ccr(&session, &realm, kind, number, used)).await?;
        let grant = granted(&cca);
        println!(
            "CCR {} #{number} -> CCA {} granted {}",
            kind.name().unwrap_or("?"),
            cca.result_code,
            grant.map_or("none".into(), |g| format!("{g} octets"))
        );
        let limit = cca.result_code == 4012 && kind == CcRequestType::UPDATE_REQUEST;
        ok &= cca.result_code == 2001 || limit;
        if kind == CcRequestType::TERMINATION_REQUEST {
            break;
        }
        number += 1;
        used = grant;
        kind = if number > updates || limit || cca.result_code != 2001 {
            CcRequestType::TERMINATION_REQUEST
        } else {
            CcRequestType::UPDATE_REQUEST
        };
    }
    node.shutdown().await;
    println!("session {session} done");
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
