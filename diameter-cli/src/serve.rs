//! `diameter serve`: a Diameter node answering with the built-in roles, configured by a TOML
//! file (`--config`) and/or the one-line flags of CLI-JSON.md, which override the file.
//!
//! ```toml
//! origin_host = "ocs.example.net"
//! origin_realm = "example.net"
//! listen = ["127.0.0.1:3868"]
//! roles = ["ocs", "acct"]              # ocs, acct, hss, sh, echo, relay
//! metrics = "127.0.0.1:9100"           # Prometheus text format at /metrics
//! watchdog_seconds = 30                # Tw; RFC 3539's minimum is 6
//!
//! [tls]                                # TLS at connect on every listen address
//! cert = "node.pem"
//! key = "node.key"
//! ca = "ca.pem"                        # roots for peers; the node's own chain when absent
//!
//! [[peers]]                            # peers this node connects to
//! address = "127.0.0.1:3869"
//! host = "hss.example.net"             # the name its TLS certificate must carry
//!
//! [[routes]]                           # where requests for other realms go
//! realm = "other.example"              # "*": the default route
//! application = 4                      # optional: only this application
//! action = "relay"                     # relay (default), proxy, redirect or local
//! peers = ["dra.example.net"]          # Origin-Hosts in order of preference; [] = any peer
//!
//! [ocs]                                # each table replaces the built-in one
//! quota = 1000000
//! balances = { "001010000000001" = 3500000 }
//!
//! [hss]                                # IMSI = MSISDN
//! subscribers = { "001010000000001" = "491700000001" }
//!
//! [[sh.users]]
//! identities = ["sip:alice@ims.example.net", "tel:+491700000001"]
//! msisdn = "491700000001"
//! registered = true
//! ```
//!
//! Routes are the transport's realm routing table (RFC 6733 6.1): a request for this node's
//! realm (or without Destination-Realm) is served by its roles; one for another realm goes
//! where its route says, else to the default route, else is answered 3003. The `relay` role
//! advertises the Relay application and, when no route is given, relays every other realm
//! to any open peer but the one it came from. `--route REALM[:APP]=HOST[,HOST...]` adds a
//! relay route from the command line.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use diameter_transport::{Node, NodeError, NodeEvent, WatchdogConfig};
use serde::Deserialize;

use crate::metrics::Metrics;
use crate::roles::{self, ocs::OcsConfig, Observer, Role, RoleError, Roles, Tables};

/// The flags of `diameter serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// A TOML file describing the node (see the crate's README); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (repeatable); port 0 lets the system pick.
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Vec<SocketAddr>,
    /// This node's Origin-Host (default: the machine's host name).
    #[arg(long, value_name = "NAME")]
    pub origin_host: Option<String>,
    /// This node's Origin-Realm (default: the domain of the Origin-Host, else "localdomain").
    #[arg(long, value_name = "NAME")]
    pub origin_realm: Option<String>,
    /// A built-in role answering requests (repeatable).
    #[arg(long, value_enum, value_name = "ROLE")]
    pub role: Vec<Role>,
    /// A peer to connect to (repeatable).
    #[arg(long, value_name = "HOST:PORT")]
    pub peer: Vec<SocketAddr>,
    /// This node's certificate chain (PEM): listen with TLS at connect.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Roots trusted for peers' certificates (PEM); the node's own chain when absent.
    #[arg(long, value_name = "PEM")]
    pub tls_ca: Option<PathBuf>,
    /// Serve the counters in the Prometheus text format on HOST:PORT (/metrics).
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics: Option<SocketAddr>,
    /// The watchdog interval Tw, in seconds (at least 6, RFC 3539).
    #[arg(long, value_name = "SECONDS")]
    pub watchdog: Option<u64>,
    /// A relay route (repeatable): requests for REALM (`*` for any other realm), optionally
    /// of application APP only, go to these peers (Origin-Hosts) in order; no hosts means any
    /// open peer. Added to the file's routes.
    #[arg(long, value_name = "REALM[:APP]=HOST[,HOST...]", value_parser = parse_route)]
    pub route: Vec<RouteConfig>,
}

/// Parses `--route REALM[:APP]=HOST[,HOST...]`.
fn parse_route(text: &str) -> Result<RouteConfig, String> {
    let (target, hosts) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected REALM[:APP]=HOST[,HOST...]"))?;
    let (realm, application) = match target.split_once(':') {
        Some((realm, app)) => (
            realm,
            Some(
                app.parse::<u32>()
                    .map_err(|_| format!("{text:?}: application {app:?} is not a number"))?,
            ),
        ),
        None => (target, None),
    };
    if realm.is_empty() {
        return Err(format!("{text:?}: the realm is empty"));
    }
    Ok(RouteConfig {
        realm: realm.to_owned(),
        application,
        action: RouteAction::Relay,
        peers: hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// The configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Origin-Host.
    pub origin_host: Option<String>,
    /// Origin-Realm.
    pub origin_realm: Option<String>,
    /// Addresses to listen on.
    #[serde(default)]
    pub listen: Vec<SocketAddr>,
    /// Roles.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Metrics endpoint.
    pub metrics: Option<SocketAddr>,
    /// Tw in seconds.
    pub watchdog_seconds: Option<u64>,
    /// Accept CERs from hosts not listed as peers (default true: a test bench talks to
    /// whoever connects).
    pub accept_unknown_peers: Option<bool>,
    /// TLS files.
    pub tls: Option<TlsFiles>,
    /// Peers to connect to.
    #[serde(default)]
    pub peers: Vec<PeerConfig>,
    /// Routes, for the relay role.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// The OCS's balances.
    pub ocs: Option<OcsSection>,
    /// The S6a subscribers.
    pub hss: Option<HssSection>,
    /// The Sh users.
    pub sh: Option<ShSection>,
}

/// `[hss]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HssSection {
    /// IMSI to MSISDN; replaces the built-in table.
    pub subscribers: BTreeMap<String, String>,
}

/// `[sh]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShSection {
    /// The IMS users; replaces the built-in table.
    pub users: Vec<roles::sh::ImsUser>,
}

/// `[tls]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
    /// Trusted roots, PEM.
    pub ca: Option<PathBuf>,
}

/// `[[peers]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// Where to connect.
    pub address: SocketAddr,
    /// The peer's Origin-Host: the TLS server name (connections use TLS when `[tls]` is set
    /// and this is given).
    pub host: Option<String>,
}

/// `[[routes]]`: where requests for a realm go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Destination-Realm matched; `*` makes this the default route.
    pub realm: String,
    /// Application-Id matched (any when absent).
    pub application: Option<u32>,
    /// What to do with the requests (relay when absent).
    #[serde(default)]
    pub action: RouteAction,
    /// The peers (Origin-Hosts) requests go to, in order of preference (the hosts named in
    /// Redirect-Host for `redirect`); empty: any open peer but the previous hop.
    #[serde(default)]
    pub peers: Vec<String>,
}

/// A route's action (the transport's [`Action`](diameter_transport::Action)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteAction {
    /// Forward, whatever the application.
    #[default]
    Relay,
    /// Forward the applications this node advertises; 3007 for others.
    Proxy,
    /// Answer 3006 naming the peers as Redirect-Host.
    Redirect,
    /// Serve here.
    Local,
}

impl RouteConfig {
    /// The transport's action for this route.
    fn action(&self) -> diameter_transport::Action {
        use diameter_transport::Action;
        match self.action {
            RouteAction::Relay => Action::relay(self.peers.iter().cloned()),
            RouteAction::Proxy => Action::proxy(self.peers.iter().cloned()),
            RouteAction::Redirect => Action::redirect(self.peers.iter().cloned()),
            RouteAction::Local => Action::Local,
        }
    }
}

/// `[ocs]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcsSection {
    /// Most units granted at once.
    pub quota: Option<u64>,
    /// Balances by Subscription-Id-Data; replaces the built-in table when given.
    pub balances: Option<BTreeMap<String, u64>>,
}

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML of the expected shape.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: Box<toml::de::Error>,
    },
    /// A role could not be installed.
    #[error(transparent)]
    Role(#[from] RoleError),
    /// A redirect route names no host to redirect to.
    #[error("route for realm {0}: a redirect needs at least one host in `peers`")]
    RedirectWithoutHost(String),
    /// Nothing to listen on and nobody to connect to.
    #[error("nothing to do: give --listen (or `listen` in the file) or a peer")]
    NoEndpoint,
    /// The watchdog interval is below RFC 3539's minimum.
    #[error("--watchdog {0}: Tw must be at least 6 seconds (RFC 3539)")]
    Watchdog(u64),
    /// The node could not be built or could not listen.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// TLS files could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// The tokio runtime or its signal handlers could not start.
    #[error("starting the runtime: {0}")]
    Runtime(std::io::Error),
    /// A socket could not be bound.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The settings after merging file and flags.
struct Settings {
    origin_host: String,
    origin_realm: String,
    listen: Vec<SocketAddr>,
    roles: Vec<Role>,
    metrics: Option<SocketAddr>,
    watchdog: u64,
    accept_unknown: bool,
    tls: Option<TlsFiles>,
    peers: Vec<PeerConfig>,
    routes: Vec<RouteConfig>,
    ocs: OcsConfig,
    hss: Option<HssSection>,
    sh: Option<ShSection>,
}

fn load(path: &Path) -> Result<Config, ServeError> {
    let text = std::fs::read_to_string(path).map_err(|source| ServeError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ServeError::Parse {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

/// The flag's values when given, else the file's.
fn pick<T>(flag: Vec<T>, file: Vec<T>) -> Vec<T> {
    if flag.is_empty() {
        file
    } else {
        flag
    }
}

impl Settings {
    fn merge(args: ServeArgs) -> Result<Settings, ServeError> {
        let file = match &args.config {
            Some(p) => load(p)?,
            None => Config::default(),
        };
        if let Some(r) = file
            .routes
            .iter()
            .chain(&args.route)
            .find(|r| r.action == RouteAction::Redirect && r.peers.is_empty())
        {
            return Err(ServeError::RedirectWithoutHost(r.realm.clone()));
        }
        let origin_host = args
            .origin_host
            .or(file.origin_host)
            .unwrap_or_else(crate::identity::host_name);
        let origin_realm = args
            .origin_realm
            .or(file.origin_realm)
            .unwrap_or_else(|| crate::identity::realm_of(&origin_host));
        let mut peers = file.peers;
        peers.extend(args.peer.into_iter().map(|address| PeerConfig {
            address,
            host: None,
        }));
        let tls = match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert,
                key,
                ca: args.tls_ca.or(file.tls.and_then(|t| t.ca)),
            }),
            _ => file.tls,
        };
        let mut ocs = OcsConfig::default();
        if let Some(section) = file.ocs {
            if let Some(q) = section.quota {
                ocs.quota = q;
            }
            if let Some(b) = section.balances {
                ocs.balances = b;
            }
        }
        let watchdog = args.watchdog.or(file.watchdog_seconds).unwrap_or(30);
        let settings = Settings {
            origin_host,
            origin_realm,
            listen: pick(args.listen, file.listen),
            roles: pick(args.role, file.roles),
            metrics: args.metrics.or(file.metrics),
            watchdog,
            accept_unknown: file.accept_unknown_peers.unwrap_or(true),
            tls,
            peers,
            routes: file.routes.into_iter().chain(args.route).collect(),
            ocs,
            hss: file.hss,
            sh: file.sh,
        };
        if settings.listen.is_empty() && settings.peers.is_empty() {
            return Err(ServeError::NoEndpoint);
        }
        Ok(settings)
    }
}

/// Runs `diameter serve` until SIGTERM or Ctrl-C; returns once the peers were sent DPR.
pub fn run(args: ServeArgs) -> Result<(), ServeError> {
    init_tracing();
    let settings = Settings::merge(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(serve(settings))
}

/// Logs to standard error, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // Scripts read these lines as they come: flush each one.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn serve(s: Settings) -> Result<(), ServeError> {
    let stop = StopSignals::install()?;
    let metrics = Arc::new(Metrics::default());
    let observer = if s.metrics.is_some() {
        Observer::new(Arc::clone(&metrics))
    } else {
        Observer::default()
    };
    let tables = Tables {
        ocs: s.ocs.clone(),
        hss: s
            .hss
            .clone()
            .map_or_else(roles::hss::Hss::with_test_subscribers, |h| {
                roles::hss::Hss::new(h.subscribers)
            }),
        sh: s
            .sh
            .clone()
            .map_or_else(roles::sh::ShServer::with_test_users, |u| {
                roles::sh::ShServer::new(u.users)
            }),
    };
    let state = Roles::new(tables, observer);
    let watchdog = WatchdogConfig::new(Duration::from_secs(s.watchdog))
        .map_err(|_| ServeError::Watchdog(s.watchdog))?;
    let mut builder = Node::builder()
        .origin_host(&s.origin_host)
        .origin_realm(&s.origin_realm)
        .product(0, "diameter-rs serve")
        .accept_unknown_peers(s.accept_unknown)
        .watchdog(watchdog)
        .on_event(log_event);
    for p in &s.peers {
        if let Some(h) = &p.host {
            builder = builder.allow_peer(h);
        }
    }
    builder = roles::advertise(builder, &s.roles);
    builder = roles::install(builder, &s.roles, &state)?;
    builder = routes(builder, &s);
    if let Some(t) = &s.tls {
        builder = builder.tls(load_tls(t)?);
    }
    let node = builder.build()?;
    let names: Vec<&str> = s.roles.iter().map(|r| r.name()).collect();
    tracing::info!(
        origin_host = %s.origin_host,
        origin_realm = %s.origin_realm,
        roles = %names.join(","),
        "node built"
    );
    for addr in &s.listen {
        let bound = if s.tls.is_some() {
            node.listen_tls(*addr).await?
        } else {
            node.listen(*addr)
                .await
                .map_err(|source| ServeError::Listen {
                    addr: *addr,
                    source,
                })?
        };
        say(&format!("listening on {bound}"));
    }
    if let Some(addr) = s.metrics {
        let bound = crate::metrics::serve_http(addr, Arc::clone(&metrics), node.clone())
            .await
            .map_err(|source| ServeError::Listen { addr, source })?;
        say(&format!("metrics on {bound}"));
    }
    for p in &s.peers {
        match (&s.tls, &p.host) {
            (Some(_), Some(host)) => node.connect_tls(p.address, host)?,
            (None, Some(host)) => node.connect_named(p.address, host),
            _ => node.connect(p.address),
        }
    }
    stop.wait().await;
    tracing::info!("stopping: DPR to every peer");
    node.shutdown().await;
    Ok(())
}

/// The routing table: the configured routes, and for the relay role without a default route,
/// every other realm relayed to any open peer.
fn routes(
    mut builder: diameter_transport::NodeBuilder,
    s: &Settings,
) -> diameter_transport::NodeBuilder {
    let mut has_default = false;
    for r in &s.routes {
        if r.realm == "*" {
            has_default = true;
            builder = builder.default_route(r.action());
        } else {
            let mut route = diameter_transport::Route::new(&r.realm, r.action());
            if let Some(app) = r.application {
                route = route.application(app);
            }
            builder = builder.route(route);
        }
    }
    if !has_default && s.roles.contains(&Role::Relay) {
        builder = builder.default_route(diameter_transport::Action::relay(Vec::<String>::new()));
    }
    builder
}

fn load_tls(t: &TlsFiles) -> Result<diameter_transport::TlsConfig, ServeError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| ServeError::Tls(format!("reading {}: {e}", p.display())))
    };
    let cert = read(&t.cert)?;
    let key = read(&t.key)?;
    let ca = match &t.ca {
        Some(p) => read(p)?,
        None => cert.clone(),
    };
    diameter_transport::TlsConfig::from_pem(&cert, &key, &ca)
        .map_err(|e| ServeError::Tls(e.to_string()))
}

/// SIGTERM and SIGINT (Ctrl-C), listened for from before the node accepts anything, so that
/// a signal sent right after `listening on` is never the default (fatal) action.
struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> Result<StopSignals, ServeError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(StopSignals {
                term: signal(SignalKind::terminate()).map_err(ServeError::Runtime)?,
                int: signal(SignalKind::interrupt()).map_err(ServeError::Runtime)?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    /// Waits for either.
    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn log_event(event: &NodeEvent) {
    match event {
        NodeEvent::CerReceived {
            origin_host,
            result_code,
        } => tracing::info!(peer = %origin_host, result_code, "CER received"),
        NodeEvent::Connected {
            origin_host,
            remote,
            ..
        } => tracing::info!(peer = %origin_host, remote = ?remote, "peer open"),
        NodeEvent::Watchdog { origin_host, state } => {
            tracing::info!(peer = %origin_host, state = ?state, "watchdog")
        }
        NodeEvent::Down {
            origin_host,
            error,
            remote_cause,
        } => tracing::info!(
            peer = origin_host.as_deref().unwrap_or("?"),
            error = ?error,
            cause = ?remote_cause,
            "peer down"
        ),
        _ => tracing::info!(?event, "peer event"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(file: &str, args: ServeArgs) -> Result<Settings, ServeError> {
        let dir = std::env::temp_dir().join(format!("diameter-serve-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| ServeError::Read {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join(format!("{}.toml", file.len()));
        std::fs::write(&path, file).map_err(|source| ServeError::Read {
            path: path.clone(),
            source,
        })?;
        Settings::merge(ServeArgs {
            config: Some(path),
            ..args
        })
    }

    const FILE: &str = r#"
origin_host = "a.example.net"
listen = ["127.0.0.1:3868"]
roles = ["ocs", "sh"]
metrics = "127.0.0.1:9100"
[tls]
cert = "c.pem"
key = "k.pem"
[[peers]]
address = "127.0.0.1:3869"
host = "b.example.net"
[ocs]
quota = 5
balances = { "x" = 7 }
"#;

    #[test]
    fn the_file_is_read_and_flags_override_it() {
        let s = settings(FILE, ServeArgs::default()).map_err(|e| e.to_string());
        let s = s.as_ref().map_err(String::as_str);
        let s = s.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.origin_host, "a.example.net");
        assert_eq!(s.origin_realm, "example.net", "the host's domain");
        assert_eq!(s.roles, [Role::Ocs, Role::Sh]);
        assert_eq!(s.ocs.quota, 5);
        assert_eq!(s.ocs.balances.get("x"), Some(&7));
        assert_eq!(s.peers[0].host.as_deref(), Some("b.example.net"));
        assert!(s.tls.as_ref().is_some_and(|t| t.ca.is_none()));

        let flags = ServeArgs {
            listen: vec!["127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!())],
            role: vec![Role::Echo],
            origin_realm: Some("other.net".into()),
            ..ServeArgs::default()
        };
        let s = settings(FILE, flags).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.roles, [Role::Echo]);
        assert_eq!(s.listen[0].port(), 0);
        assert_eq!(s.origin_realm, "other.net");
    }

    #[test]
    fn unknown_keys_and_roles_are_errors() {
        let e = settings("listen = []\nrole = [\"ocs\"]\n", ServeArgs::default());
        assert!(matches!(e, Err(ServeError::Parse { .. })));
        let e = settings("roles = [\"pcrf\"]\n", ServeArgs::default());
        assert!(matches!(e, Err(ServeError::Parse { .. })));
        let e = settings("roles = [\"ocs\"]\n", ServeArgs::default());
        assert!(matches!(e, Err(ServeError::NoEndpoint)));
    }
}
