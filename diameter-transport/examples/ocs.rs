//! A minimal online charging server (Gy, RFC 4006): answers Credit-Control-Requests with
//! quota from a per-subscriber balance, and 4012 (DIAMETER_CREDIT_LIMIT_REACHED) once the
//! balance is spent.
//!
//! ```text
//! cargo run -p diameter-transport --example ocs -- 127.0.0.1:3868
//! cargo run -p diameter-transport --example gy_client -- 127.0.0.1:3868     # in another shell
//! diameter send --peer 127.0.0.1:3868 --origin-host pgw.example.net ccr.json
//! ```
//!
//! Arguments: `[LISTEN_ADDR] [BALANCE_OCTETS]` (defaults `127.0.0.1:3868`, 10 MB; port 0 picks
//! a free port). It prints `listening on HOST:PORT` once it accepts connections, one line per
//! CCR, and exits on Ctrl-C or SIGTERM after sending DPR to its peers. It accepts any peer
//! whose CER lists credit control (application 4).
//!
//! Each MSCC of a CCR-I or CCR-U is granted its Requested-Service-Unit's CC-Total-Octets (1 MB
//! when it asks for none), at most what is left of the subscriber's balance (the first
//! Subscription-Id-Data, else the Session-Id); used units are not charged again, the grant
//! already was. A CCR-T is answered 2001 without quota.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use diameter_messages::credit_control::{
    CcRequestType, CreditControlAnswer, CreditControlRequest, GrantedServiceUnit,
    MultipleServicesCreditControl,
};
use diameter_transport::{Application, Context, Node};

/// Octets granted when an MSCC asks for no particular amount.
const DEFAULT_GRANT: u64 = 1_000_000;
/// DIAMETER_CREDIT_LIMIT_REACHED (RFC 4006 section 9.1).
const CREDIT_LIMIT_REACHED: u32 = 4012;
const SUCCESS: u32 = 2001;

/// Balances by subscriber, in octets.
struct Ocs {
    initial: u64,
    balances: Mutex<HashMap<String, u64>>,
}

impl Ocs {
    /// Takes up to `wanted` octets from `subscriber`'s balance; what was granted.
    fn reserve(&self, subscriber: &str, wanted: u64) -> u64 {
        let mut balances = self.balances.lock().unwrap_or_else(|e| e.into_inner());
        let left = balances
            .entry(subscriber.to_owned())
            .or_insert(self.initial);
        let granted = wanted.min(*left);
        *left -= granted;
        granted
    }

    fn answer(&self, ccr: &CreditControlRequest<'_>) -> CreditControlAnswer<'static> {
        let subscriber = ccr
            .subscription_id
            .first()
            .map(|s| s.subscription_id_data.as_str().to_owned())
            .unwrap_or_else(|| ccr.session_id.as_str().to_owned());
        let mut cca = CreditControlAnswer {
            result_code: SUCCESS,
            auth_application_id: 4,
            cc_request_type: ccr.cc_request_type,
            cc_request_number: ccr.cc_request_number,
            ..Default::default()
        };
        if ccr.cc_request_type == CcRequestType::TERMINATION_REQUEST {
            return cca;
        }
        for m in &ccr.multiple_services_credit_control {
            let wanted = m
                .requested_service_unit
                .as_ref()
                .and_then(|r| r.cc_total_octets)
                .unwrap_or(DEFAULT_GRANT);
            let granted = self.reserve(&subscriber, wanted);
            let mut out = MultipleServicesCreditControl::new();
            out.rating_group = m.rating_group;
            out.service_identifier = m.service_identifier.clone();
            if granted == 0 {
                out.result_code = Some(CREDIT_LIMIT_REACHED);
                cca.result_code = CREDIT_LIMIT_REACHED;
            } else {
                let mut gsu = GrantedServiceUnit::new();
                gsu.cc_total_octets = Some(granted);
                out.granted_service_unit = Some(gsu);
                out.result_code = Some(SUCCESS);
            }
            cca.multiple_services_credit_control.push(out);
        }
        cca
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let listen: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:3868").parse()?;
    let initial: u64 = args.next().as_deref().unwrap_or("10000000").parse()?;
    let ocs = Arc::new(Ocs {
        initial,
        balances: Mutex::new(HashMap::new()),
    });
    let node = Node::builder()
        .origin_host("ocs.example.net")
        .origin_realm("example.net")
        .applications([Application::auth(4)])
        .accept_unknown_peers(true)
        .handler(move |ccr: CreditControlRequest<'static>, ctx: Context| {
            let ocs = Arc::clone(&ocs);
            async move {
                let cca = ocs.answer(&ccr);
                println!(
                    "{} CCR {} #{} -> {}",
                    ctx.peer_host(),
                    ccr.cc_request_type.name().unwrap_or("?"),
                    ccr.cc_request_number,
                    cca.result_code
                );
                cca
            }
        })
        .build()?;
    let addr = node.listen(listen).await?;
    println!("listening on {addr}");
    stop_signal().await;
    node.shutdown().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM where there are signals.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
