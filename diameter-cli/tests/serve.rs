//! `diameter serve` from outside: started from a TOML file and flags on OS-picked ports, a
//! client node of this workspace exchanges CCR, ACR, ULR and UDR with it, the metrics endpoint
//! is scraped, and SIGTERM (by pid) stops it with exit status 0 after a DPR to the client.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use common::{config_file, start, LIMIT};
use diameter_messages::base::{
    AccountingRecordType, AuthSessionState, DisconnectCause, VendorSpecificApplicationId,
};
use diameter_messages::credit_control::{
    CcRequestType, MultipleServicesCreditControl, RequestedServiceUnit, SubscriptionId,
    SubscriptionIdType, UsedServiceUnit,
};
use diameter_messages::{credit_control, rf, ro, s6a, sh};
use diameter_runtime::types::{DiameterIdentity, OctetString, Utf8String};
use diameter_transport::{Application, Node, NodeEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const CLIENT: &str = "client.test.example";
const REALM: &str = "test.example";
const VENDOR_3GPP: u32 = 10415;
const S6A: u32 = 16_777_251;
const SH: u32 = 16_777_217;

fn client(events: mpsc::UnboundedSender<NodeEvent>) -> Node {
    Node::builder()
        .origin_host(CLIENT)
        .origin_realm(REALM)
        .applications([Application::auth(4), Application::acct(3)])
        .vendor_specific_application(VENDOR_3GPP, Application::auth(S6A))
        .vendor_specific_application(VENDOR_3GPP, Application::auth(SH))
        .on_event(move |e| {
            let _ = events.send(e.clone());
        })
        .build()
        .unwrap()
}

fn realm() -> DiameterIdentity<'static> {
    DiameterIdentity::from_static(REALM)
}

fn ccr(
    session: &str,
    kind: CcRequestType,
    number: u32,
    used: Option<u64>,
) -> ro::CreditControlRequest<'static> {
    ro::CreditControlRequest {
        session_id: Utf8String::from(session.to_owned()),
        destination_realm: realm(),
        auth_application_id: 4,
        service_context_id: Utf8String::from("32251@3gpp.org"),
        cc_request_type: kind,
        cc_request_number: number,
        subscription_id: vec![SubscriptionId {
            subscription_id_type: SubscriptionIdType::END_USER_IMSI,
            subscription_id_data: Utf8String::from("001010000000009"),
        }],
        multiple_services_credit_control: vec![MultipleServicesCreditControl {
            rating_group: Some(7),
            requested_service_unit: Some(RequestedServiceUnit::default()),
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

fn ulr(imsi: &'static str) -> s6a::UpdateLocationRequest<'static> {
    s6a::UpdateLocationRequest {
        vendor_specific_application_id: Some(VendorSpecificApplicationId {
            vendor_id: VENDOR_3GPP,
            auth_application_id: Some(S6A),
            acct_application_id: None,
        }),
        auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
        destination_realm: realm(),
        user_name: Utf8String::from(imsi),
        rat_type: diameter_messages::ts29212::RatType::EUTRAN,
        ulr_flags: s6a::ulr_flags::S6A_S6D_INDICATOR,
        visited_plmn_id: OctetString::from(&[0x00, 0xf1, 0x10][..]),
        ..Default::default()
    }
}

/// One HTTP GET; the body.
async fn scrape(addr: SocketAddr) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    tokio::time::timeout(LIMIT, s.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    body.to_owned()
}

/// The value of the series named exactly `series` (name and labels).
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        let (name, v) = l.rsplit_once(' ')?;
        (name == series).then(|| v.parse().ok()).flatten()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_ocs_acct_hss_sh_with_metrics_and_stops_on_sigterm() {
    let config = config_file(
        "serve.toml",
        r#"
origin_host = "srv.test.example"
origin_realm = "test.example"
roles = ["ocs", "acct", "hss", "sh"]
watchdog_seconds = 30

[ocs]
quota = 1000
balances = { "001010000000009" = 1500 }
"#,
    );
    let served = start(
        &[
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--metrics",
            "127.0.0.1:0",
        ],
        true,
    )
    .await;
    let (tx, mut events) = mpsc::unbounded_channel();
    let node = client(tx);
    node.connect(served.diameter);
    assert!(node.wait_open(LIMIT).await, "no CEA from serve");

    // Credit control: 1000 granted of 1500, then 500, then 4012.
    let session = "client.test.example;1;1";
    let cca = node
        .call(ccr(session, CcRequestType::INITIAL_REQUEST, 0, None))
        .await
        .unwrap();
    assert_eq!(cca.result_code, 2001);
    let granted = |cca: &ro::CreditControlAnswer<'_>| {
        cca.multiple_services_credit_control[0]
            .granted_service_unit
            .as_ref()
            .and_then(|g| g.cc_total_octets)
    };
    assert_eq!(granted(&cca), Some(1000));
    let cca = node
        .call(ccr(session, CcRequestType::UPDATE_REQUEST, 1, Some(1000)))
        .await
        .unwrap();
    assert_eq!((cca.result_code, granted(&cca)), (2001, Some(500)));
    let cca = node
        .call(ccr(session, CcRequestType::UPDATE_REQUEST, 2, Some(500)))
        .await
        .unwrap();
    assert_eq!(cca.result_code, 4012);
    assert_eq!(
        cca.multiple_services_credit_control[0].result_code,
        Some(4012)
    );
    // An update of a session the OCS does not know: 5002, through the RFC 4006 types too.
    let unknown = credit_control::CreditControlRequest {
        session_id: Utf8String::from("client.test.example;1;404"),
        destination_realm: realm(),
        auth_application_id: 4,
        service_context_id: Utf8String::from("32251@3gpp.org"),
        cc_request_type: CcRequestType::UPDATE_REQUEST,
        cc_request_number: 1,
        ..Default::default()
    };
    assert_eq!(node.call(unknown).await.unwrap().result_code, 5002);

    // Accounting.
    for (n, kind) in [
        AccountingRecordType::START_RECORD,
        AccountingRecordType::STOP_RECORD,
    ]
    .into_iter()
    .enumerate()
    {
        let aca = node
            .call(rf::AccountingRequest {
                session_id: Utf8String::from("client.test.example;1;2"),
                destination_realm: realm(),
                accounting_record_type: kind,
                accounting_record_number: n as u32,
                acct_application_id: Some(3),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!((aca.result_code, aca.accounting_record_type), (2001, kind));
    }

    // S6a: a known and an unknown IMSI.
    let ula = node.call(ulr("001010000000001")).await.unwrap();
    assert_eq!(ula.result_code, Some(2001));
    assert!(ula.subscription_data.is_some());
    let ula = node.call(ulr("001010000000077")).await.unwrap();
    assert_eq!(ula.result_code, None);
    let er = ula.experimental_result.unwrap();
    assert_eq!(
        (er.vendor_id, er.experimental_result_code),
        (VENDOR_3GPP, 5001)
    );

    // Sh.
    let uda = node
        .call(sh::UserDataRequest {
            vendor_specific_application_id: VendorSpecificApplicationId {
                vendor_id: VENDOR_3GPP,
                auth_application_id: Some(SH),
                acct_application_id: None,
            },
            auth_session_state: AuthSessionState::NO_STATE_MAINTAINED,
            destination_realm: realm(),
            user_identity: sh::UserIdentity {
                public_identity: Some(Utf8String::from("tel:+491700000002")),
                ..Default::default()
            },
            data_reference: [sh::DataReference::IMS_USER_STATE].into_iter().collect(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(uda.result_code, Some(2001));
    let xml = String::from_utf8(uda.user_data.unwrap().as_bytes().to_vec()).unwrap();
    assert!(xml.contains("<IMSUserState>0</IMSUserState>"), "{xml}");

    // The counters, as Prometheus reads them.
    let m = scrape(served.metrics.unwrap()).await;
    let get = |s: &str| value(&m, s).unwrap_or_else(|| panic!("no series {s} in:\n{m}"));
    assert_eq!(
        get(r#"diameter_command_requests_received_total{application="4",command="CCR"}"#),
        4.0
    );
    assert_eq!(
        get(
            r#"diameter_command_answers_sent_total{application="4",command="CCR",result_code="2001"}"#
        ),
        2.0
    );
    assert_eq!(
        get(
            r#"diameter_command_answers_sent_total{application="4",command="CCR",result_code="4012"}"#
        ),
        1.0
    );
    assert_eq!(
        get(
            r#"diameter_command_answers_sent_total{application="4",command="CCR",result_code="5002"}"#
        ),
        1.0
    );
    assert_eq!(
        get(r#"diameter_command_requests_received_total{application="3",command="ACR"}"#),
        2.0
    );
    // The transport counts answers by their Result-Code AVP (an Experimental-Result is 0);
    // the role's own series has the Experimental-Result-Code.
    assert_eq!(
        get(
            r#"diameter_handler_answers_total{peer="client.test.example",command="ULR",result_code="5001"}"#
        ),
        1.0
    );
    assert_eq!(
        get(r#"diameter_command_requests_received_total{application="16777217",command="UDR"}"#),
        1.0
    );
    assert_eq!(
        get(r#"diameter_peer_requests_received_total{peer="client.test.example"}"#),
        9.0
    );
    assert_eq!(
        get(r#"diameter_peer_timeouts_total{peer="client.test.example"}"#),
        0.0
    );
    assert_eq!(
        get(r#"diameter_peer_open{peer="client.test.example"}"#),
        1.0
    );
    assert_eq!(
        get(
            r#"diameter_handler_answers_total{peer="client.test.example",command="CCR",result_code="4012"}"#
        ),
        1.0
    );
    assert_eq!(
        get(r#"diameter_handler_latency_seconds_count{peer="client.test.example",command="CCR"}"#),
        4.0
    );
    assert_eq!(
        get(
            r#"diameter_handler_latency_seconds_bucket{peer="client.test.example",command="ULR",le="+Inf"}"#
        ),
        2.0
    );
    assert!(m.contains("# TYPE diameter_handler_latency_seconds histogram"));

    // SIGTERM: DPR to the client, exit 0.
    let (status, logs) = served.stop().await;
    assert!(status.success(), "{status:?}\n{logs}");
    let deadline = tokio::time::Instant::now() + LIMIT;
    let cause = loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(NodeEvent::Down { remote_cause, .. })) => break remote_cause,
            Ok(Some(_)) => {}
            _ => panic!("no Down event after SIGTERM\n{logs}"),
        }
    };
    assert_eq!(cause, Some(DisconnectCause::REBOOTING), "{logs}");
    assert!(logs.contains("stopping: DPR to every peer"), "{logs}");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_answers_any_application_in_its_own_answer_type() {
    let served = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--origin-host",
            "echo.test.example",
            "--origin-realm",
            REALM,
            "--role",
            "echo",
        ],
        false,
    )
    .await;
    let (tx, _events) = mpsc::unbounded_channel();
    let node = client(tx);
    node.connect(served.diameter);
    assert!(node.wait_open(LIMIT).await);
    // The answers decode strictly as their typed answers: the echo follows their grammars.
    let cca = node
        .call(ccr("c;1;1", CcRequestType::INITIAL_REQUEST, 0, None))
        .await
        .unwrap();
    assert_eq!((cca.result_code, cca.cc_request_number), (2001, 0));
    assert_eq!(cca.cc_request_type, CcRequestType::INITIAL_REQUEST);
    let ula = node.call(ulr("001010000000077")).await.unwrap();
    assert_eq!(ula.result_code, Some(2001));
    assert_eq!(
        ula.auth_session_state,
        AuthSessionState::NO_STATE_MAINTAINED
    );
    let aca = node
        .call(rf::AccountingRequest {
            destination_realm: realm(),
            accounting_record_type: AccountingRecordType::EVENT_RECORD,
            accounting_record_number: 9,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((aca.result_code, aca.accounting_record_number), (2001, 9));
    let (status, logs) = served.stop().await;
    assert!(status.success(), "{logs}");
    node.shutdown().await;
}

/// A CA, and certificates it signs for one DNS name, as PEM text (certificate, key).
struct Ca {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl Ca {
    fn new() -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    fn issue(&self, dns_name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![dns_name.to_owned()])
            .unwrap()
            .signed_by(&key, &self.cert, &self.key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_over_tls_from_the_flags() {
    let ca = Ca::new();
    let (cert, key) = ca.issue("tls.test.example");
    let cert_path = config_file("tls-cert.pem", &cert);
    let key_path = config_file("tls-key.pem", &key);
    let ca_path = config_file("tls-ca.pem", &ca.cert.pem());
    let served = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--origin-host",
            "tls.test.example",
            "--origin-realm",
            REALM,
            "--role",
            "ocs",
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
            "--tls-ca",
            ca_path.to_str().unwrap(),
        ],
        false,
    )
    .await;
    let (cert, key) = ca.issue(CLIENT);
    let tls = diameter_transport::TlsConfig::from_pem(
        cert.as_bytes(),
        key.as_bytes(),
        ca.cert.pem().as_bytes(),
    )
    .unwrap();
    let node = Node::builder()
        .origin_host(CLIENT)
        .origin_realm(REALM)
        .applications([Application::auth(4)])
        .tls(tls)
        .build()
        .unwrap();
    node.connect_tls(served.diameter, "tls.test.example")
        .unwrap();
    assert!(node.wait_open(LIMIT).await, "no TLS CEA from serve");
    assert!(node.peers()[0].tls);
    // The OCS's built-in table: the second test subscriber has 10,000,000 units.
    let mut request = ccr("c;2;1", CcRequestType::INITIAL_REQUEST, 0, None);
    request.subscription_id[0].subscription_id_data = Utf8String::from("001010000000002");
    let cca = node.call(request).await.unwrap();
    assert_eq!(cca.result_code, 2001);
    let (status, logs) = served.stop().await;
    assert!(status.success(), "{logs}");
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_role_forwards_other_realms_to_the_routed_peer() {
    const HOME: &str = "home.example";
    let ocs = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--origin-host",
            "ocs.home.example",
            "--origin-realm",
            HOME,
            "--role",
            "ocs",
        ],
        false,
    )
    .await;
    let ocs_addr = ocs.diameter.to_string();
    let relay = start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--origin-host",
            "dra.test.example",
            "--origin-realm",
            REALM,
            "--role",
            "relay",
            "--peer",
            &ocs_addr,
            "--route",
            "home.example:4=ocs.home.example",
        ],
        false,
    )
    .await;
    let (tx, _events) = mpsc::unbounded_channel();
    let node = client(tx);
    node.connect(relay.diameter);
    assert!(node.wait_open(LIMIT).await, "no CEA from the relay");
    let request = || {
        let mut r = ccr("c;relay;1", CcRequestType::INITIAL_REQUEST, 0, None);
        r.destination_realm = DiameterIdentity::from_static(HOME);
        r.subscription_id[0].subscription_id_data = Utf8String::from("001010000000002");
        r
    };
    // The relay's own connection to the OCS opens in parallel with ours: until it does, the
    // relay answers 3002 UNABLE_TO_DELIVER. Bounded: 50 tries, 100 ms apart.
    let mut answer = None;
    for _ in 0..50 {
        match node.call(request()).await {
            Err(diameter_transport::CallError::ErrorAnswer {
                result_code: 3002, ..
            }) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            other => {
                answer = Some(other);
                break;
            }
        }
    }
    let cca = answer.expect("the relay never reached the OCS").unwrap();
    assert_eq!(cca.result_code, 2001);
    assert_eq!(cca.origin_host.as_str(), "ocs.home.example");
    // A realm nobody serves: relayed by default to the OCS, which answers 3003.
    let mut lost = request();
    lost.destination_realm = DiameterIdentity::from_static("nowhere.example");
    match node.call(lost).await {
        Err(diameter_transport::CallError::ErrorAnswer { result_code, .. }) => {
            assert_eq!(result_code, 3003)
        }
        other => panic!("expected 3003, got {other:?}"),
    }
    let (status, logs) = relay.stop().await;
    assert!(status.success(), "{logs}");
    let (status, logs) = ocs.stop().await;
    assert!(status.success(), "{logs}");
    node.shutdown().await;
}

#[test]
fn a_redirect_route_without_hosts_is_refused() {
    let config = config_file(
        "routes.toml",
        "listen = [\"127.0.0.1:0\"]\nroles = [\"relay\"]\n[[routes]]\nrealm = \"far.example\"\naction = \"redirect\"\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_diameter"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a redirect needs at least one host"), "{err}");
}

/// `serve` from a configuration file, then `send` and `load` against it, as a test bench
/// uses them: the answers of `send` are read as JSON, `load`'s summary shows every request
/// answered 2001.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_and_load_against_serve_from_a_config() {
    let config = config_file(
        "bench.toml",
        "origin_host = \"ocs.bench.example\"\norigin_realm = \"bench.example\"\n\
         listen = [\"127.0.0.1:0\"]\nroles = [\"ocs\", \"acct\"]\n\
         [ocs]\nquota = 1000\nbalances = { \"001010000000009\" = 1000000000000 }\n",
    );
    let served = start(&["--config", config.to_str().unwrap()], false).await;
    let peer = served.diameter.to_string();
    let ccr = |kind: &str, number: &str| {
        format!(
            r#"{{"command": "CCR", "avps": [
 {{"name": "Destination-Realm", "value": "bench.example"}},
 {{"name": "Auth-Application-Id", "value": 4}},
 {{"name": "Service-Context-Id", "value": "32251@3gpp.org"}},
 {{"name": "CC-Request-Type", "enum": "{kind}"}},
 {{"name": "CC-Request-Number", "value": {number}}},
 {{"name": "Subscription-Id", "value": [
   {{"name": "Subscription-Id-Type", "enum": "END_USER_IMSI"}},
   {{"name": "Subscription-Id-Data", "value": "001010000000009"}}]}},
 {{"name": "Multiple-Services-Credit-Control", "value": [
   {{"name": "Requested-Service-Unit", "value": [{{"name": "CC-Total-Octets", "value": 1000}}]}},
   {{"name": "Rating-Group", "value": 100}}]}}]}}"#
        )
    };
    let dir = config.parent().unwrap();
    let session = dir.join("session.json");
    std::fs::write(
        &session,
        format!(
            "{}\n{}\n",
            ccr("INITIAL_REQUEST", "0").replace('\n', ""),
            ccr("TERMINATION_REQUEST", "1").replace('\n', "")
        ),
    )
    .unwrap();
    let run = |args: Vec<String>| async move {
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_diameter"))
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        tokio::time::timeout(LIMIT * 4, child.wait_with_output())
            .await
            .expect("bounded")
            .unwrap()
    };
    let identity = |cmd: &str| -> Vec<String> {
        [
            cmd,
            "--peer",
            &peer,
            "--origin-host",
            "bench-client.bench.example",
            "--origin-realm",
            "bench.example",
            "--format",
            "json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };

    let mut args = identity("send");
    args.push(session.to_str().unwrap().to_owned());
    let out = run(args).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 2, "{stdout}");
    for a in &answers {
        assert_eq!(a["command"], "Credit-Control-Answer", "{a}");
        assert_eq!(a["result_code"], 2001, "{a}");
        assert_eq!(a["violations"], serde_json::json!([]), "{a}");
    }

    let single = dir.join("ccr-i.json");
    std::fs::write(&single, ccr("INITIAL_REQUEST", "0")).unwrap();
    let mut args = identity("load");
    for a in [
        "--rate",
        "400",
        "--duration",
        "2",
        "--in-flight",
        "8",
        "--connections",
        "2",
    ] {
        args.push(a.to_owned());
    }
    args.push(single.to_str().unwrap().to_owned());
    let out = run(args).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let sent = summary["sent"].as_u64().unwrap();
    assert!((400..=800).contains(&sent), "{summary}");
    assert_eq!(summary["answered"], sent, "{summary}");
    assert_eq!(summary["errors"], serde_json::json!({}), "{summary}");
    assert_eq!(
        summary["result_codes"],
        serde_json::json!({"2001": sent}),
        "{summary}"
    );

    let (status, logs) = served.stop().await;
    assert!(status.success(), "{logs}");
}
