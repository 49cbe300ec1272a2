//! `diameter demo`: a whole Diameter exchange in one process on 127.0.0.1.
//!
//! Three server nodes with the built-in roles — an OCS (Gy/Ro), an accounting server (Rf) and
//! an HSS (S6a and Sh) — listen on ports the system picks; a client node (a PGW/MME/AS
//! rolled into one) connects to all three (CER/CEA) and runs a Gy session until the balance
//! runs out (4012), with a server-initiated RAR in the middle, an accounting session, an S6a
//! attach, an Sh query, waits for the watchdog (Tw of one second, below RFC 3539's six, for
//! the demo only) and disconnects (DPR/DPA).
//!
//! Every message prints one line from the client's side: time, direction, peer, command,
//! key AVPs and the Result-Code by name. Application messages are printed at the client's call
//! sites and in its RAR handler, which see them typed; CER/CEA and DPR/DPA come from the
//! node's events, DWR/DWA from its per-peer watchdog counters (the transport has no message
//! tap). A summary table and the list of checks follow; the exit status is 0 only when every
//! check passed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diameter_messages::base::{
    AccountingRecordType, AuthSessionState, VendorSpecificApplicationId,
};
use diameter_messages::credit_control::{
    CcRequestType, MultipleServicesCreditControl, RequestedServiceUnit, SubscriptionId,
    SubscriptionIdType, UsedServiceUnit,
};
use diameter_messages::{rf, ro, s6a, sh};
use diameter_runtime::types::{DiameterIdentity, OctetString, Utf8String};
use diameter_transport::{
    Application, CallError, Node, NodeEvent, PeerState, SessionIdGenerator, WatchdogConfig,
    WatchdogState,
};
use tokio::sync::mpsc;

use crate::roles::{self, hss::Hss, ocs::OcsConfig, sh::ShServer, Observer, Role, Roles, Tables};

const REALM: &str = "demo.example";
const CLIENT: &str = "client.demo.example";
const OCS: &str = "ocs.demo.example";
const ACCT: &str = "acct.demo.example";
const HSS: &str = "hss.demo.example";
/// The Tw of every node of the demo.
const TW: Duration = Duration::from_millis(1000);
/// Every wait of the demo ends by this.
const LIMIT: Duration = Duration::from_secs(10);
/// Most CCR-Us sent before giving up on reaching 4012.
const MAX_UPDATES: u32 = 20;
/// Visited-PLMN-Id of MCC 001, MNC 01 (TS 29.272 7.3.9).
const PLMN_001_01: [u8; 3] = [0x00, 0xf1, 0x10];

/// Runs the demo; returns whether every check passed.
pub fn run() -> Result<bool, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(demo())
}

/// The lines printed and the tallies behind the summary.
struct Log {
    start: Instant,
    rows: Mutex<BTreeMap<&'static str, Row>>,
}

/// One command's tally.
#[derive(Default)]
struct Row {
    /// Requests sent by the client (or received, for the RAR).
    requests: u64,
    /// Answers.
    answers: u64,
    codes: BTreeMap<String, u64>,
    latencies: Vec<Duration>,
}

impl Log {
    fn line(&self, from: &str, arrow: &str, to: &str, command: &str, rest: &str) {
        let t = self.start.elapsed().as_secs_f64();
        println!("{t:7.3}s  {from:<20} {arrow} {to:<20} {command:<6} {rest}");
    }

    /// A request the client sent.
    fn sent(&self, to: &str, command: &str, avps: &str) {
        self.line(CLIENT, "->", to, command, avps);
    }

    /// An answer the client received.
    fn answered(
        &self,
        key: &'static str,
        from: &str,
        command: &str,
        code: Code,
        took: Duration,
        avps: &str,
    ) {
        let rest = format!(
            "{}  {avps} ({:.2} ms)",
            code.text(),
            took.as_secs_f64() * 1e3
        );
        self.line(CLIENT, "<-", from, command, &rest);
        self.count(key, code, Some(took));
    }

    fn count(&self, key: &'static str, code: Code, took: Option<Duration>) {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let row = rows.entry(key).or_default();
        row.requests += 1;
        row.answers += 1;
        *row.codes.entry(code.short()).or_default() += 1;
        row.latencies.extend(took);
    }
}

/// A Result-Code or an Experimental-Result-Code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Code {
    Result(u32),
    Experimental(u32, u32),
}

impl Code {
    fn of(
        result: Option<u32>,
        experimental: Option<&diameter_messages::base::ExperimentalResult>,
    ) -> Code {
        match (result, experimental) {
            (Some(r), _) => Code::Result(r),
            (None, Some(e)) => Code::Experimental(e.vendor_id, e.experimental_result_code),
            (None, None) => Code::Result(0),
        }
    }

    fn text(self) -> String {
        match self {
            Code::Result(c) => format!(
                "{c} {}",
                diameter_messages::result_code_name(c).unwrap_or("(unnamed)")
            ),
            Code::Experimental(v, c) => format!(
                "{c} {} (Experimental-Result, vendor {v})",
                diameter_messages::experimental_result_name(v, c).unwrap_or("(unnamed)")
            ),
        }
    }

    fn short(self) -> String {
        match self {
            Code::Result(c) => c.to_string(),
            Code::Experimental(_, c) => format!("E{c}"),
        }
    }
}

/// The checks the exit status rests on.
#[derive(Default)]
struct Checks(Vec<(String, bool)>);

impl Checks {
    fn check(&mut self, what: impl Into<String>, ok: bool) -> bool {
        self.0.push((what.into(), ok));
        ok
    }
}

/// What the client node's event hook and RAR handler report to the script.
enum Note {
    Event(NodeEvent),
    Rar(String),
}

async fn server(
    host: &str,
    roles: &[Role],
    state: &Roles,
) -> Result<(Node, std::net::SocketAddr), String> {
    let builder = Node::builder()
        .origin_host(host)
        .origin_realm(REALM)
        .product(0, "diameter-rs demo")
        .accept_unknown_peers(true)
        .watchdog(WatchdogConfig::below_rfc_minimum(TW));
    let builder = roles::advertise(builder, roles);
    let builder = roles::install(builder, roles, state).map_err(|e| e.to_string())?;
    let node = builder.build().map_err(|e| format!("{host}: {e}"))?;
    let addr = node
        .listen("127.0.0.1:0".parse().map_err(|e| format!("{e}"))?)
        .await
        .map_err(|e| format!("{host}: listening: {e}"))?;
    Ok((node, addr))
}

fn identity(s: &'static str) -> DiameterIdentity<'static> {
    DiameterIdentity::from_static(s)
}

async fn demo() -> Result<bool, String> {
    let log = Arc::new(Log {
        start: Instant::now(),
        rows: Mutex::new(BTreeMap::new()),
    });
    let mut checks = Checks::default();
    let state = Roles::new(Tables::default(), Observer::default());

    println!("diameter demo: an OCS, an accounting server and an HSS on 127.0.0.1, and a client\n");
    let (ocs, ocs_addr) = server(OCS, &[Role::Ocs], &state).await?;
    let (acct, acct_addr) = server(ACCT, &[Role::Acct], &state).await?;
    let (hss, hss_addr) = server(HSS, &[Role::Hss, Role::Sh], &state).await?;
    println!("  {OCS:<20} ocs (Gy/Ro, application 4)      on {ocs_addr}");
    println!("  {ACCT:<20} acct (Rf, application 3)       on {acct_addr}");
    println!("  {HSS:<20} hss + sh (S6a, Sh; vendor 10415) on {hss_addr}\n");

    // The client: events and RARs go to the script through one channel.
    let (tx, mut rx) = mpsc::unbounded_channel::<Note>();
    let events = tx.clone();
    let rar_log = Arc::clone(&log);
    let client = Node::builder()
        .origin_host(CLIENT)
        .origin_realm(REALM)
        .product(0, "diameter-rs demo")
        .applications([
            Application::auth(roles::APP_CREDIT_CONTROL),
            Application::acct(roles::APP_ACCOUNTING),
        ])
        .vendor_specific_application(roles::VENDOR_3GPP, Application::auth(roles::APP_S6A))
        .vendor_specific_application(roles::VENDOR_3GPP, Application::auth(roles::APP_SH))
        .supported_vendor_ids([roles::VENDOR_3GPP])
        .watchdog(WatchdogConfig::below_rfc_minimum(TW))
        .on_event(move |e| {
            let _ = events.send(Note::Event(e.clone()));
        })
        .handler(move |rar: ro::ReAuthRequest<'static>, ctx| {
            // RFC 4006 5.5: answer the RAR, then send a CCR-U (the script does, on this note).
            let session = rar.session_id.as_str().to_owned();
            rar_log.line(
                CLIENT,
                "<-",
                ctx.peer_host(),
                "RAR",
                &format!(
                    "Session-Id={session} Re-Auth-Request-Type={}",
                    rar.re_auth_request_type.name().unwrap_or("?")
                ),
            );
            rar_log.line(
                CLIENT,
                "->",
                ctx.peer_host(),
                "RAA",
                &Code::Result(2001).text(),
            );
            let _ = tx.send(Note::Rar(session.clone()));
            std::future::ready(ro::ReAuthAnswer {
                session_id: Utf8String::from(session),
                result_code: roles::codes::SUCCESS,
                ..Default::default()
            })
        })
        .build()
        .map_err(|e| e.to_string())?;
    for (addr, host) in [(ocs_addr, OCS), (acct_addr, ACCT), (hss_addr, HSS)] {
        log.sent(host, "CER", &format!("(connecting to {addr})"));
        client.connect(addr);
    }

    // CER/CEA: every peer open, within the limit.
    let mut opened = 0;
    let deadline = tokio::time::Instant::now() + LIMIT;
    while opened < 3 {
        let Ok(Some(note)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            break;
        };
        if let Note::Event(NodeEvent::Connected { origin_host, .. }) = note {
            log.line(
                CLIENT,
                "<-",
                &origin_host,
                "CEA",
                &Code::Result(2001).text(),
            );
            log.count("CER", Code::Result(2001), None);
            opened += 1;
        }
    }
    checks.check(
        "CER/CEA with the OCS, the accounting server and the HSS",
        opened == 3,
    );
    if opened < 3 {
        return finish(&log, &client, &[&ocs, &acct, &hss], &mut rx, checks).await;
    }
    // The Connected event comes before the peer may carry requests (its watchdog OKAY).
    if !all_usable(&client, 3).await {
        checks.check("every peer usable after CER/CEA", false);
        return finish(&log, &client, &[&ocs, &acct, &hss], &mut rx, checks).await;
    }
    for p in client.peers() {
        let apps: Vec<String> = p.applications.iter().map(|a| a.id.to_string()).collect();
        println!(
            "{:>9}{} agreed application(s) {}",
            "",
            p.origin_host.as_deref().unwrap_or("?"),
            apps.join(", ")
        );
    }

    let sessions = SessionIdGenerator::new(CLIENT);
    gy(&log, &client, &ocs, &state, &sessions, &mut rx, &mut checks).await;
    accounting(&log, &client, &state, &sessions, &mut checks).await;
    attach(&log, &client, &sessions, &mut checks).await;
    sh_query(&log, &client, &sessions, &mut checks).await;
    watchdog(&log, &client, &mut checks).await;
    finish(&log, &client, &[&ocs, &acct, &hss], &mut rx, checks).await
}

/// Waits until `n` peers are open with their watchdog OKAY, within [`LIMIT`].
async fn all_usable(client: &Node, n: usize) -> bool {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let usable = client
            .peers()
            .iter()
            .filter(|p| {
                matches!(p.state, PeerState::ROpen | PeerState::IOpen)
                    && p.watchdog == WatchdogState::Okay
            })
            .count();
        if usable >= n {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        // `Node::wait_open` waits for one peer; this start-up poll waits for all.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn gy_ccr(
    session: &str,
    kind: CcRequestType,
    number: u32,
    used: Option<u64>,
    request: bool,
) -> ro::CreditControlRequest<'static> {
    ro::CreditControlRequest {
        session_id: Utf8String::from(session.to_owned()),
        destination_realm: identity(REALM),
        auth_application_id: roles::APP_CREDIT_CONTROL,
        service_context_id: Utf8String::from("32251@3gpp.org"),
        cc_request_type: kind,
        cc_request_number: number,
        subscription_id: vec![SubscriptionId {
            subscription_id_type: SubscriptionIdType::END_USER_IMSI,
            subscription_id_data: Utf8String::from(OcsConfig::DEMO_SUBSCRIBER),
        }],
        multiple_services_credit_control: vec![MultipleServicesCreditControl {
            rating_group: Some(100),
            requested_service_unit: request.then(RequestedServiceUnit::default),
            used_service_unit: used
                .map(|u| UsedServiceUnit {
                    cc_total_octets: Some(u),
                    ..Default::default()
                })
                .into_iter()
                .collect(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn kind_suffix(kind: CcRequestType) -> &'static str {
    match kind {
        CcRequestType::INITIAL_REQUEST => "I",
        CcRequestType::UPDATE_REQUEST => "U",
        CcRequestType::TERMINATION_REQUEST => "T",
        _ => "E",
    }
}

/// One CCR and its CCA; returns the CCA's Result-Code and the octets granted.
async fn ccr(
    log: &Log,
    client: &Node,
    ccr: ro::CreditControlRequest<'static>,
) -> Result<(u32, u64), String> {
    let suffix = kind_suffix(ccr.cc_request_type);
    let used: u64 = ccr
        .multiple_services_credit_control
        .iter()
        .flat_map(|m| &m.used_service_unit)
        .filter_map(|u| u.cc_total_octets)
        .sum();
    let mut avps = format!(
        "CC-Request-Number={} Subscription-Id={} Rating-Group=100",
        ccr.cc_request_number,
        OcsConfig::DEMO_SUBSCRIBER
    );
    if ccr
        .multiple_services_credit_control
        .iter()
        .any(|m| m.requested_service_unit.is_some())
    {
        avps.push_str(" RSU");
    }
    if used > 0 {
        let _ = write!(avps, " USU={used} octets");
    }
    log.sent(OCS, &format!("CCR-{suffix}"), &avps);
    let started = Instant::now();
    let cca = client
        .call(ccr)
        .await
        .map_err(|e| format!("CCR-{suffix}: {e}"))?;
    let took = started.elapsed();
    let mut granted = 0;
    let mut avps = String::new();
    for m in &cca.multiple_services_credit_control {
        if let Some(g) = m
            .granted_service_unit
            .as_ref()
            .and_then(|g| g.cc_total_octets)
        {
            granted += g;
            let _ = write!(avps, "GSU={g} octets ");
        }
        if let Some(rc) = m.result_code {
            let _ = write!(avps, "MSCC Result-Code={rc} ");
        }
        if m.final_unit_indication.is_some() {
            avps.push_str("Final-Unit-Indication=TERMINATE ");
        }
    }
    log.answered(
        "CCR",
        OCS,
        &format!("CCA-{suffix}"),
        Code::Result(cca.result_code),
        took,
        &avps,
    );
    Ok((cca.result_code, granted))
}

/// The Gy session: CCR-I, CCR-U (with a RAR after the first) until 4012, CCR-T.
async fn gy(
    log: &Log,
    client: &Node,
    ocs: &Node,
    state: &Roles,
    sessions: &SessionIdGenerator,
    rx: &mut mpsc::UnboundedReceiver<Note>,
    checks: &mut Checks,
) {
    println!("\n-- Gy/Ro credit control: quota until the balance runs out");
    let session = sessions.next();
    let result = async {
        let (rc, mut granted) = ccr(
            log,
            client,
            gy_ccr(&session, CcRequestType::INITIAL_REQUEST, 0, None, true),
        )
        .await?;
        checks.check("CCR-I answered 2001 with quota", rc == 2001 && granted > 0);
        let mut number = 1;
        let mut limit_reached = false;
        let mut rar_done = false;
        while number <= MAX_UPDATES {
            let (rc, g) = ccr(
                log,
                client,
                gy_ccr(
                    &session,
                    CcRequestType::UPDATE_REQUEST,
                    number,
                    Some(granted),
                    true,
                ),
            )
            .await?;
            number += 1;
            granted = g;
            if rc == 4012 {
                limit_reached = true;
                break;
            }
            if !rar_done {
                rar_done = true;
                rar(
                    log,
                    client,
                    ocs,
                    &session,
                    rx,
                    checks,
                    &mut number,
                    &mut granted,
                )
                .await?;
            }
        }
        checks.check(
            "the balance ran out: CCA-U 4012 DIAMETER_CREDIT_LIMIT_REACHED",
            limit_reached,
        );
        let (rc, _) = ccr(
            log,
            client,
            gy_ccr(
                &session,
                CcRequestType::TERMINATION_REQUEST,
                number,
                Some(granted),
                false,
            ),
        )
        .await?;
        checks.check("CCR-T answered 2001", rc == 2001);
        let balance = state.ocs.balance(OcsConfig::DEMO_SUBSCRIBER);
        checks.check(
            format!("the OCS debited the whole balance (left: {balance:?}) and closed the session"),
            balance == Some(0) && state.ocs.open_sessions() == 0,
        );
        Ok::<(), String>(())
    }
    .await;
    if let Err(e) = result {
        checks.check(format!("Gy session: {e}"), false);
    }
}

/// The OCS sends a RAR; the client answers RAA and follows with a CCR-U reporting usage.
#[allow(clippy::too_many_arguments)]
async fn rar(
    log: &Log,
    client: &Node,
    ocs: &Node,
    session: &str,
    rx: &mut mpsc::UnboundedReceiver<Note>,
    checks: &mut Checks,
    number: &mut u32,
    granted: &mut u64,
) -> Result<(), String> {
    let request = ro::ReAuthRequest {
        session_id: Utf8String::from(session.to_owned()),
        destination_realm: identity(REALM),
        destination_host: identity(CLIENT),
        auth_application_id: roles::APP_CREDIT_CONTROL,
        re_auth_request_type: diameter_messages::base::ReAuthRequestType::AUTHORIZE_ONLY,
        ..Default::default()
    };
    let ocs = ocs.clone();
    let started = Instant::now();
    let raa = tokio::spawn(async move { ocs.call(request).await });
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut seen = false;
    while let Ok(Some(note)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if let Note::Rar(s) = note {
            seen = s == session;
            break;
        }
    }
    let answer = tokio::time::timeout_at(deadline, raa).await;
    let took = started.elapsed();
    let code = match answer {
        Ok(Ok(Ok(raa))) => raa.result_code,
        Ok(Ok(Err(e))) => return Err(format!("RAR: {e}")),
        _ => return Err("RAR: no answer".to_owned()),
    };
    {
        let mut rows = log.rows.lock().unwrap_or_else(|e| e.into_inner());
        let row = rows.entry("RAR").or_default();
        row.requests += 1;
        row.answers += 1;
        *row.codes.entry(code.to_string()).or_default() += 1;
        row.latencies.push(took);
    }
    checks.check(
        "server-initiated RAR answered RAA 2001",
        seen && code == 2001,
    );
    // RFC 4006 5.5: after the RAA, a CCR-U with the units used so far.
    let (_, g) = ccr(
        log,
        client,
        gy_ccr(
            session,
            CcRequestType::UPDATE_REQUEST,
            *number,
            Some(*granted),
            true,
        ),
    )
    .await?;
    *number += 1;
    *granted = g;
    Ok(())
}

async fn accounting(
    log: &Log,
    client: &Node,
    state: &Roles,
    sessions: &SessionIdGenerator,
    checks: &mut Checks,
) {
    println!("\n-- Rf accounting: START, INTERIM, STOP");
    let session = sessions.next();
    let mut all = true;
    for (n, kind) in [
        AccountingRecordType::START_RECORD,
        AccountingRecordType::INTERIM_RECORD,
        AccountingRecordType::STOP_RECORD,
    ]
    .into_iter()
    .enumerate()
    {
        let number = n as u32;
        let name = kind.name().unwrap_or("?");
        log.sent(
            ACCT,
            "ACR",
            &format!("Accounting-Record-Type={name} Accounting-Record-Number={number}"),
        );
        let acr = rf::AccountingRequest {
            session_id: Utf8String::from(session.clone()),
            destination_realm: identity(REALM),
            accounting_record_type: kind,
            accounting_record_number: number,
            acct_application_id: Some(roles::APP_ACCOUNTING),
            user_name: Some(Utf8String::from(OcsConfig::DEMO_SUBSCRIBER)),
            ..Default::default()
        };
        let started = Instant::now();
        match client.call(acr).await {
            Ok(aca) => {
                log.answered(
                    "ACR",
                    ACCT,
                    "ACA",
                    Code::Result(aca.result_code),
                    started.elapsed(),
                    &format!(
                        "Accounting-Record-Type={}",
                        aca.accounting_record_type.name().unwrap_or("?")
                    ),
                );
                all &= aca.result_code == 2001 && aca.accounting_record_type == kind;
            }
            Err(e) => {
                all = false;
                log.line(CLIENT, "<-", ACCT, "ACA", &format!("failed: {e}"));
            }
        }
    }
    let counts = state.acct.counts();
    let kept: Vec<AccountingRecordType> = state
        .acct
        .records()
        .into_iter()
        .filter(|r| r.session_id == session && r.peer == CLIENT)
        .map(|r| r.record_type)
        .collect();
    checks.check(
        "accounting START/INTERIM/STOP answered 2001 and kept",
        all && counts.open_sessions == 0
            && kept
                == [
                    AccountingRecordType::START_RECORD,
                    AccountingRecordType::INTERIM_RECORD,
                    AccountingRecordType::STOP_RECORD,
                ],
    );
}

fn s6a_vsai() -> Option<VendorSpecificApplicationId> {
    Some(VendorSpecificApplicationId {
        vendor_id: roles::VENDOR_3GPP,
        auth_application_id: Some(roles::APP_S6A),
        acct_application_id: None,
    })
}

async fn air(
    log: &Log,
    client: &Node,
    session: String,
    imsi: &'static str,
) -> Result<(Code, usize), CallError> {
    log.sent(
        HSS,
        "AIR",
        &format!("User-Name={imsi} Number-Of-Requested-Vectors=2"),
    );
    let air = s6a::AuthenticationInformationRequest {
        session_id: Utf8String::from(session),
        vendor_specific_application_id: s6a_vsai(),
        auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
        destination_realm: identity(REALM),
        user_name: Utf8String::from(imsi),
        visited_plmn_id: OctetString::from(&PLMN_001_01[..]),
        requested_eutran_authentication_info: Some(s6a::RequestedEutranAuthenticationInfo {
            number_of_requested_vectors: Some(2),
            ..Default::default()
        }),
        ..Default::default()
    };
    let started = Instant::now();
    let aia = client.call(air).await?;
    let code = Code::of(aia.result_code, aia.experimental_result.as_ref());
    let vectors = aia
        .authentication_info
        .as_ref()
        .map_or(0, |a| a.e_utran_vector.len());
    let avps = match aia
        .authentication_info
        .as_ref()
        .and_then(|a| a.e_utran_vector.first())
    {
        Some(v) => format!(
            "E-UTRAN-Vector x{vectors} (RAND={}.. XRES={}.. test values)",
            hex::encode(&v.rand.as_bytes()[..4]),
            hex::encode(&v.xres.as_bytes()[..4])
        ),
        None => String::new(),
    };
    log.answered("AIR", HSS, "AIA", code, started.elapsed(), &avps);
    Ok((code, vectors))
}

/// S6a attach: AIR then ULR; and an AIR for an IMSI the HSS does not know.
async fn attach(log: &Log, client: &Node, sessions: &SessionIdGenerator, checks: &mut Checks) {
    println!("\n-- S6a attach: AIR, ULR (and an unknown IMSI)");
    match air(log, client, sessions.next(), Hss::DEMO_IMSI).await {
        Ok((code, vectors)) => checks.check(
            "AIA 2001 with two E-UTRAN vectors",
            code == Code::Result(2001) && vectors == 2,
        ),
        Err(e) => checks.check(format!("AIR: {e}"), false),
    };
    log.sent(
        HSS,
        "ULR",
        &format!(
            "User-Name={} RAT-Type=EUTRAN ULR-Flags=S6a/S6d-Indicator,Initial-Attach",
            Hss::DEMO_IMSI
        ),
    );
    let ulr = s6a::UpdateLocationRequest {
        session_id: Utf8String::from(sessions.next()),
        vendor_specific_application_id: s6a_vsai(),
        auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
        destination_realm: identity(REALM),
        user_name: Utf8String::from(Hss::DEMO_IMSI),
        rat_type: diameter_messages::ts29212::RatType::EUTRAN,
        ulr_flags: s6a::ulr_flags::S6A_S6D_INDICATOR | s6a::ulr_flags::INITIAL_ATTACH_INDICATOR,
        visited_plmn_id: OctetString::from(&PLMN_001_01[..]),
        ..Default::default()
    };
    let started = Instant::now();
    match client.call(ulr).await {
        Ok(ula) => {
            let code = Code::of(ula.result_code, ula.experimental_result.as_ref());
            let apn = ula
                .subscription_data
                .as_ref()
                .and_then(|d| d.apn_configuration_profile.as_ref())
                .and_then(|p| p.apn_configuration.first())
                .map(|c| c.service_selection.as_str().to_owned());
            let avps = format!(
                "ULA-Flags={} Subscription-Data(APN={})",
                ula.ula_flags.unwrap_or(0),
                apn.as_deref().unwrap_or("-")
            );
            log.answered("ULR", HSS, "ULA", code, started.elapsed(), &avps);
            checks.check(
                "ULA 2001 with Subscription-Data",
                code == Code::Result(2001) && apn.is_some(),
            );
        }
        Err(e) => {
            checks.check(format!("ULR: {e}"), false);
        }
    }
    match air(log, client, sessions.next(), "001019999999999").await {
        Ok((code, _)) => checks.check(
            "AIR for an unknown IMSI: Experimental-Result 5001 DIAMETER_ERROR_USER_UNKNOWN",
            code == Code::Experimental(roles::VENDOR_3GPP, 5001),
        ),
        Err(e) => checks.check(format!("AIR (unknown IMSI): {e}"), false),
    };
}

async fn sh_query(log: &Log, client: &Node, sessions: &SessionIdGenerator, checks: &mut Checks) {
    println!("\n-- Sh: UDR for the IMS user state and identities");
    log.sent(
        HSS,
        "UDR",
        &format!(
            "Public-Identity={} Data-Reference=IMSPublicIdentity,IMSUserState,MSISDN",
            ShServer::DEMO_IDENTITY
        ),
    );
    let udr = sh::UserDataRequest {
        session_id: Utf8String::from(sessions.next()),
        vendor_specific_application_id: VendorSpecificApplicationId {
            vendor_id: roles::VENDOR_3GPP,
            auth_application_id: Some(roles::APP_SH),
            acct_application_id: None,
        },
        auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
        destination_realm: identity(REALM),
        user_identity: sh::UserIdentity {
            public_identity: Some(Utf8String::from(ShServer::DEMO_IDENTITY)),
            ..Default::default()
        },
        data_reference: [
            sh::DataReference::IMS_PUBLIC_IDENTITY,
            sh::DataReference::IMS_USER_STATE,
            sh::DataReference::MSISDN,
        ]
        .into_iter()
        .collect(),
        ..Default::default()
    };
    let started = Instant::now();
    match client.call(udr).await {
        Ok(uda) => {
            let code = Code::of(uda.result_code, uda.experimental_result.as_ref());
            let xml = uda
                .user_data
                .as_ref()
                .map(|d| String::from_utf8_lossy(d.as_bytes()).into_owned())
                .unwrap_or_default();
            log.answered(
                "UDR",
                HSS,
                "UDA",
                code,
                started.elapsed(),
                &format!("User-Data ({} bytes of Sh-Data XML)", xml.len()),
            );
            println!("{:>9}{xml}", "");
            checks.check(
                "UDA 2001 with Sh-Data (IMSUserState registered)",
                code == Code::Result(2001) && xml.contains("<IMSUserState>1</IMSUserState>"),
            );
        }
        Err(e) => {
            checks.check(format!("UDR: {e}"), false);
        }
    }
}

/// Waits until each peer has exchanged a DWR/DWA with the client, one way or the other,
/// printing each as the counters show it.
async fn watchdog(log: &Log, client: &Node, checks: &mut Checks) {
    println!(
        "\n-- watchdog: idle for a Tw ({} ms in this demo)",
        TW.as_millis()
    );
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut seen: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    loop {
        let mut done = 0;
        let peers = client.peers();
        for p in &peers {
            let host = p.origin_host.clone().unwrap_or_default();
            let c = &p.counters;
            let last = seen.entry(host.clone()).or_default();
            for _ in last.0..c.watchdog_requests_sent {
                log.line(CLIENT, "->", &host, "DWR", "");
            }
            for _ in last.1..c.watchdog_answers_received {
                log.line(CLIENT, "<-", &host, "DWA", &Code::Result(2001).text());
                log.count("DWR", Code::Result(2001), None);
            }
            for _ in last.2..c.watchdog_requests_received {
                log.line(CLIENT, "<-", &host, "DWR", "");
                log.line(CLIENT, "->", &host, "DWA", &Code::Result(2001).text());
                log.count("DWR", Code::Result(2001), None);
            }
            *last = (
                c.watchdog_requests_sent,
                c.watchdog_answers_received,
                c.watchdog_requests_received,
            );
            if c.watchdog_answers_received + c.watchdog_requests_received > 0 {
                done += 1;
            }
        }
        if done == peers.len() || tokio::time::Instant::now() >= deadline {
            checks.check(
                "DWR/DWA exchanged with every peer",
                done == peers.len() && done == 3,
            );
            return;
        }
        // The counters are read, not awaited: a short poll keeps the transport untouched.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// DPR to every peer, the summary and the checks.
async fn finish(
    log: &Log,
    client: &Node,
    servers: &[&Node],
    rx: &mut mpsc::UnboundedReceiver<Note>,
    mut checks: Checks,
) -> Result<bool, String> {
    println!("\n-- DPR: the client disconnects");
    let open: Vec<String> = client
        .peers()
        .into_iter()
        .filter(|p| matches!(p.state, PeerState::ROpen | PeerState::IOpen))
        .filter_map(|p| p.origin_host)
        .collect();
    for host in &open {
        log.sent(host, "DPR", "Disconnect-Cause=REBOOTING");
    }
    client.shutdown().await;
    // Each peer reports Down once its DPA came (no error) or the connection failed.
    let mut orderly = 0;
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut downs = 0;
    while downs < open.len() {
        let Ok(Some(note)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            break;
        };
        if let Note::Event(NodeEvent::Down {
            origin_host, error, ..
        }) = note
        {
            downs += 1;
            let host = origin_host.unwrap_or_default();
            match error {
                None => {
                    orderly += 1;
                    log.line(CLIENT, "<-", &host, "DPA", &Code::Result(2001).text());
                    log.count("DPR", Code::Result(2001), None);
                }
                Some(e) => log.line(CLIENT, "x", &host, "", &format!("closed: {e}")),
            }
        }
    }
    checks.check("DPR/DPA with every peer", open.len() == 3 && orderly == 3);
    for s in servers {
        s.shutdown().await;
    }
    summary(log);
    println!("\nchecks:");
    let mut all = true;
    for (what, ok) in &checks.0 {
        all &= ok;
        println!("  [{}] {what}", if *ok { "ok" } else { "FAILED" });
    }
    println!("\n{}", if all { "demo passed" } else { "demo FAILED" });
    Ok(all)
}

fn summary(log: &Log) {
    println!("\nsummary (client side):");
    println!(
        "  {:<5} {:>8} {:>8}  {:<24} {:>10} {:>10}",
        "cmd", "requests", "answers", "Result-Codes", "median ms", "max ms"
    );
    let rows = log.rows.lock().unwrap_or_else(|e| e.into_inner());
    let order = [
        "CER", "CCR", "RAR", "ACR", "AIR", "ULR", "UDR", "DWR", "DPR",
    ];
    for name in order {
        let Some(r) = rows.get(name) else { continue };
        let codes: Vec<String> = r.codes.iter().map(|(c, n)| format!("{c}x{n}")).collect();
        let (median, max) = if r.latencies.is_empty() {
            ("-".to_owned(), "-".to_owned())
        } else {
            let mut l = r.latencies.clone();
            l.sort();
            let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e3);
            (ms(l[l.len() / 2]), ms(l[l.len() - 1]))
        };
        // The RAR's request came from the OCS; every other request from the client.
        println!(
            "  {name:<5} {:>8} {:>8}  {:<24} {median:>10} {max:>10}",
            r.requests,
            r.answers,
            codes.join(" ")
        );
    }
}
