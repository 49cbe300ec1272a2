//! A Diameter relay agent (RFC 6733 section 2.7): it listens for clients, keeps a connection
//! to one upstream peer (reconnecting with backoff), and forwards the requests for the realms
//! it is given to that peer, with a Route-Record and its own hop-by-hop identifiers. Requests
//! for other realms are answered 3003 DIAMETER_REALM_NOT_SERVED; when the upstream is down,
//! 3002 DIAMETER_UNABLE_TO_DELIVER.
//!
//! ```text
//! relay LISTEN UPSTREAM REALM... [--origin-host HOST] [--origin-realm REALM]
//!       [--upstream-host HOST]
//! ```
//!
//! With `--upstream-host` (the upstream's Origin-Host) the routes name that peer; without it
//! they name none, and any open peer other than the one a request came from takes it.
//!
//! Against the other examples of this crate, in three terminals (each example's doc comment
//! gives its own arguments):
//!
//! ```text
//! # the server side: the OCS (Gy) example listening on 127.0.0.1:3868
//! cargo run -p diameter-transport --example ocs
//! # this relay: clients on 127.0.0.1:3869, the OCS upstream, its realm relayed
//! cargo run -p diameter-transport --example relay -- 127.0.0.1:3869 127.0.0.1:3868 <ocs realm>
//! # a client of the relay: the Gy client (or s6a_client) pointed at 127.0.0.1:3869
//! cargo run -p diameter-transport --example gy_client -- <its arguments, address 127.0.0.1:3869>
//! ```
//!
//! The relay advertises the Relay application (0xffffffff), so it agrees with any client and
//! any upstream, accepts every client (unknown peers allowed), and prints peer events as they
//! happen and each peer's counters when stopped with Ctrl-C (it then sends DPR to every peer).

use std::net::SocketAddr;
use std::process::ExitCode;

use diameter_transport::{Action, Application, Node, NodeEvent, Route};

/// The command line, read by hand to keep the example free of a parser dependency.
struct Args {
    listen: SocketAddr,
    upstream: SocketAddr,
    realms: Vec<String>,
    origin_host: String,
    origin_realm: String,
    upstream_host: Option<String>,
}

fn parse() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut origin_host = "relay.localdomain".to_owned();
    let mut origin_realm = "localdomain".to_owned();
    let mut upstream_host = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--origin-host" => origin_host = args.next().ok_or("--origin-host needs a value")?,
            "--origin-realm" => origin_realm = args.next().ok_or("--origin-realm needs a value")?,
            "--upstream-host" => {
                upstream_host = Some(args.next().ok_or("--upstream-host needs a value")?)
            }
            "-h" | "--help" => return Err(String::new()),
            _ => positional.push(a),
        }
    }
    if positional.len() < 3 {
        return Err("expected LISTEN UPSTREAM and at least one REALM".into());
    }
    let addr = |s: &str| {
        s.parse::<SocketAddr>()
            .map_err(|e| format!("{s:?} is not an address (ip:port): {e}"))
    };
    Ok(Args {
        listen: addr(&positional[0])?,
        upstream: addr(&positional[1])?,
        realms: positional[2..].to_vec(),
        origin_host,
        origin_realm,
        upstream_host,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("relay: {e}");
            }
            eprintln!(
                "usage: relay LISTEN UPSTREAM REALM... [--origin-host HOST] [--origin-realm REALM] \
                 [--upstream-host HOST]"
            );
            return ExitCode::from(2);
        }
    };
    let mut builder = Node::builder()
        .origin_host(&args.origin_host)
        .origin_realm(&args.origin_realm)
        .applications([Application::RELAY])
        .accept_unknown_peers(true)
        .on_event(|e| match e {
            NodeEvent::Connected {
                origin_host,
                remote,
                ..
            } => eprintln!("relay: {origin_host} connected ({remote:?})"),
            NodeEvent::Down {
                origin_host, error, ..
            } => eprintln!("relay: {origin_host:?} down ({error:?})"),
            NodeEvent::Watchdog { origin_host, state } => {
                eprintln!("relay: {origin_host} watchdog {state:?}")
            }
            _ => {}
        });
    // Without the upstream's Origin-Host (learnt from its CEA only) the routes name no peer:
    // any open peer other than the one a request came from takes it.
    let peers: Vec<String> = args.upstream_host.iter().cloned().collect();
    for realm in &args.realms {
        builder = builder.route(Route::new(realm.clone(), Action::Relay(peers.clone())));
    }
    let relay = match builder.build() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("relay: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bound = match relay.listen(args.listen).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("relay: listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    match &args.upstream_host {
        Some(host) => relay.connect_named(args.upstream, host),
        None => relay.connect(args.upstream),
    }
    eprintln!(
        "relay: {} listening on {bound}, relaying {} to {}",
        args.origin_host,
        args.realms.join(", "),
        args.upstream
    );
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("relay: waiting for Ctrl-C: {e}");
    }
    for p in relay.peers() {
        let c = &p.counters;
        eprintln!(
            "relay: {}: received {}, relayed {}, routing errors {}, failovers {}",
            p.origin_host.as_deref().unwrap_or("?"),
            c.requests_received,
            c.requests_relayed,
            c.routing_errors,
            c.failovers
        );
    }
    relay.shutdown().await;
    ExitCode::SUCCESS
}
