//! `diameter send` and `diameter load`: a client node that connects to one peer, exchanges
//! CER/CEA advertising the applications of the messages, sends requests given as JSON, and
//! disconnects with DPR.

pub mod load;
pub mod send;
pub mod template;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use diameter_transport::{Application, Node, NodeBuilder};

use crate::{dict, identity};
use template::Script;

/// Exit status: every request was answered (whatever the Result-Code).
pub const EXIT_ANSWERED: u8 = 0;
/// Exit status: some request got no answer (timeout, connection lost).
pub const EXIT_UNANSWERED: u8 = 1;
/// Exit status: the peer could not be reached (no CER/CEA within the connect timeout).
pub const EXIT_NO_PEER: u8 = 3;

/// Where to connect and as whom: the options `send` and `load` share.
#[derive(Debug, Args)]
pub struct PeerArgs {
    /// The peer, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub peer: String,
    /// Origin-Host of this client (default: the machine's host name).
    #[arg(long, value_name = "NAME")]
    pub origin_host: Option<String>,
    /// Origin-Realm of this client (default: the host name's domain, or `localdomain`).
    #[arg(long, value_name = "NAME")]
    pub origin_realm: Option<String>,
    /// TLS at connect: this client's certificate chain (PEM). Needs --tls-key and --tls-ca.
    #[arg(long, value_name = "PEM", requires_all = ["tls_key", "tls_ca"])]
    pub tls_cert: Option<PathBuf>,
    /// TLS: this client's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// TLS: the certificates trusted for the peer (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_ca: Option<PathBuf>,
    /// TLS: the name the peer's certificate must carry (default: the host of --peer).
    #[arg(long, value_name = "NAME", requires = "tls_cert")]
    pub tls_server_name: Option<String>,
    /// Seconds to wait for the connection and CER/CEA.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub connect_timeout: f64,
    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Write text values their type would reject (as `encode --lenient`).
    #[arg(long)]
    pub lenient: bool,
}

fn seconds(what: &str, s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|_| format!("{what}: {s} is not a duration in seconds"))
}

impl PeerArgs {
    /// Origin-Host and Origin-Realm, given or defaulted.
    pub fn identity(&self) -> (String, String) {
        let host = self.origin_host.clone().unwrap_or_else(identity::host_name);
        let realm = self
            .origin_realm
            .clone()
            .unwrap_or_else(|| identity::realm_of(&host));
        (host, realm)
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Result<Duration, String> {
        seconds("--timeout", self.timeout)
    }

    /// Resolves `--peer` to its first address.
    pub async fn address(&self) -> Result<SocketAddr, String> {
        tokio::net::lookup_host(&self.peer)
            .await
            .map_err(|e| format!("--peer {}: {e}", self.peer))?
            .next()
            .ok_or_else(|| format!("--peer {}: no address", self.peer))
    }

    /// The node of one connection, named `origin_host`, advertising what `script` sends.
    pub fn node(&self, origin_host: &str, realm: &str, script: &Script) -> Result<Node, String> {
        let mut b: NodeBuilder = Node::builder()
            .origin_host(origin_host)
            .origin_realm(realm)
            .product(0, "diameter-cli")
            .request_timeout(self.request_timeout()?)
            .peer_timeouts(
                seconds("--connect-timeout", self.connect_timeout)?,
                seconds("--connect-timeout", self.connect_timeout)?,
                Duration::from_secs(2),
            );
        for app in advertised(script) {
            b = match application_vendor(app.id) {
                0 => b.applications([app]),
                vendor => b.vendor_specific_application(vendor, app),
            };
        }
        if let Some(cert) = &self.tls_cert {
            let read = |p: &Option<PathBuf>| -> Result<Vec<u8>, String> {
                let p = p.as_ref().unwrap_or(cert);
                std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
            };
            let tls = diameter_transport::TlsConfig::from_pem(
                &read(&self.tls_cert)?,
                &read(&self.tls_key)?,
                &read(&self.tls_ca)?,
            )
            .map_err(|e| format!("TLS settings: {e}"))?;
            b = b.tls(tls);
        }
        b.build().map_err(|e| e.to_string())
    }

    /// Starts connecting `node` to the peer (TLS at connect when asked).
    pub fn connect(&self, node: &Node, addr: SocketAddr) -> Result<(), String> {
        if self.tls_cert.is_some() {
            let name = self.tls_server_name.clone().unwrap_or_else(|| {
                self.peer
                    .rsplit_once(':')
                    .map_or(self.peer.as_str(), |(h, _)| h)
                    .trim_matches(['[', ']'])
                    .to_owned()
            });
            node.connect_tls(addr, &name).map_err(|e| e.to_string())
        } else {
            node.connect(addr);
            Ok(())
        }
    }

    /// Connects and waits for the capability exchange; false when the peer is not open in
    /// time.
    pub async fn open(&self, node: &Node, addr: SocketAddr) -> Result<bool, String> {
        self.connect(node, addr)?;
        // CER/CEA within the connect timeout, plus the connection itself.
        let limit = seconds("--connect-timeout", self.connect_timeout)?;
        Ok(node.wait_open(limit * 2).await)
    }
}

/// The applications of the script's requests: accounting ones as Acct-Application-Id, the
/// others as Auth-Application-Id (a vendor's application, 3GPP's, inside
/// Vendor-Specific-Application-Id, as those peers expect).
fn advertised(script: &Script) -> BTreeSet<Application> {
    let mut apps = BTreeSet::new();
    for t in &script.messages {
        let id = t.application_id();
        if id == 0 {
            continue;
        }
        apps.insert(if t.is_accounting() {
            Application::acct(id)
        } else {
            Application::auth(id)
        });
    }
    if apps.is_empty() {
        // Base session commands only (application 0 messages): the relay application lets
        // any peer agree.
        apps.insert(Application::auth(u32::MAX));
    }
    apps
}

/// The vendor of an application, from the dictionaries (0 for IETF ones).
fn application_vendor(id: u32) -> u32 {
    dict::applications()
        .into_iter()
        .find(|a| a.id == id)
        .map_or(0, |a| a.vendor_id)
}
