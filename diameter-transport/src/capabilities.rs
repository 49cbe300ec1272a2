//! Capability exchange (RFC 6733 section 5.3) over plain data.
//!
//! [`Capabilities`] is what one side says in its CER or CEA; [`process_cer`] and
//! [`process_cea`] decide whether the two sides can talk and what they share. Nothing here
//! knows the wire form: a later layer maps the typed CER/CEA of `diameter-messages` to and
//! from these structs, so the rules can be read and tested on their own.

use std::collections::BTreeSet;
use std::net::IpAddr;

use diameter_runtime::consts::{application_id, result_code};

/// Inband-Security-Id values (RFC 6733 section 6.10).
pub mod inband_security {
    /// 0: no in-band security; the connection is either in the clear or already TLS.
    pub const NO_INBAND_SECURITY: u32 = 0;
    /// 1: start TLS after CER/CEA (the RFC 3588 way).
    pub const TLS: u32 = 1;
}

/// Is an application advertised for authorization or for accounting?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApplicationKind {
    /// Auth-Application-Id.
    Auth,
    /// Acct-Application-Id.
    Acct,
}

/// One advertised application: its kind and Application-Id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Application {
    /// Auth or Acct.
    pub kind: ApplicationKind,
    /// The IANA Application-Id.
    pub id: u32,
}

impl Application {
    /// An Auth-Application-Id.
    pub const fn auth(id: u32) -> Self {
        Application {
            kind: ApplicationKind::Auth,
            id,
        }
    }

    /// An Acct-Application-Id.
    pub const fn acct(id: u32) -> Self {
        Application {
            kind: ApplicationKind::Acct,
            id,
        }
    }

    /// The Relay application (0xffffffff), which every relay and redirect agent advertises.
    pub const RELAY: Application = Application::auth(application_id::RELAY);

    /// Is this the Relay Application-Id (of either kind)?
    pub fn is_relay(self) -> bool {
        self.id == application_id::RELAY
    }
}

/// One Vendor-Specific-Application-Id: a Vendor-Id and exactly one of Auth- or
/// Acct-Application-Id (RFC 6733 section 6.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VendorSpecificApp {
    /// The vendor that defined the application.
    pub vendor_id: u32,
    /// The application.
    pub application: Application,
}

/// What one side advertises in its CER or CEA (RFC 6733 sections 5.3.1 and 5.3.2).
///
/// ```
/// use diameter_transport::{Application, Capabilities};
///
/// let caps = Capabilities::new("hss.example.net", "example.net", 10415, "hss")
///     .with_auth_apps([16777251])
///     .with_vendor_specific_app(10415, Application::auth(16777216));
/// assert_eq!(caps.applications().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Origin-Host.
    pub origin_host: String,
    /// Origin-Realm.
    pub origin_realm: String,
    /// Host-IP-Address: at least one in a valid CER/CEA.
    pub host_ip_addresses: Vec<IpAddr>,
    /// Vendor-Id of the implementation.
    pub vendor_id: u32,
    /// Product-Name.
    pub product_name: String,
    /// Firmware-Revision, if advertised.
    pub firmware_revision: Option<u32>,
    /// Origin-State-Id, if advertised: changes exactly when the node restarts.
    pub origin_state_id: Option<u32>,
    /// Supported-Vendor-Id: vendors whose AVPs this side understands.
    pub supported_vendor_ids: Vec<u32>,
    /// Auth-Application-Id values.
    pub auth_apps: Vec<u32>,
    /// Acct-Application-Id values.
    pub acct_apps: Vec<u32>,
    /// Vendor-Specific-Application-Id groups.
    pub vendor_specific_apps: Vec<VendorSpecificApp>,
    /// Inband-Security-Id values; none advertised means NO_INBAND_SECURITY only.
    pub inband_security: Vec<u32>,
}

impl Capabilities {
    /// Capabilities with the required identities and nothing else advertised yet.
    pub fn new(
        origin_host: impl Into<String>,
        origin_realm: impl Into<String>,
        vendor_id: u32,
        product_name: impl Into<String>,
    ) -> Self {
        Capabilities {
            origin_host: origin_host.into(),
            origin_realm: origin_realm.into(),
            vendor_id,
            product_name: product_name.into(),
            ..Capabilities::default()
        }
    }

    /// Adds Auth-Application-Id values.
    pub fn with_auth_apps(mut self, ids: impl IntoIterator<Item = u32>) -> Self {
        self.auth_apps.extend(ids);
        self
    }

    /// Adds Acct-Application-Id values.
    pub fn with_acct_apps(mut self, ids: impl IntoIterator<Item = u32>) -> Self {
        self.acct_apps.extend(ids);
        self
    }

    /// Adds a Vendor-Specific-Application-Id.
    pub fn with_vendor_specific_app(mut self, vendor_id: u32, application: Application) -> Self {
        self.vendor_specific_apps.push(VendorSpecificApp {
            vendor_id,
            application,
        });
        self
    }

    /// Every advertised application, plain or vendor-specific.
    ///
    /// An Application-Id is assigned by IANA and names one application whoever defined it,
    /// so the same id advertised plainly by one side and inside Vendor-Specific-Application-Id
    /// by the other is the same application (deployed 3GPP peers differ in how they
    /// advertise S6a, Gx, ...).
    pub fn applications(&self) -> BTreeSet<Application> {
        let plain_auth = self.auth_apps.iter().map(|&id| Application::auth(id));
        let plain_acct = self.acct_apps.iter().map(|&id| Application::acct(id));
        let vendor = self.vendor_specific_apps.iter().map(|v| v.application);
        plain_auth.chain(plain_acct).chain(vendor).collect()
    }

    /// Does this side advertise the Relay application (it is a relay or redirect agent)?
    pub fn is_relay(&self) -> bool {
        self.applications().iter().any(|a| a.is_relay())
    }
}

/// What both sides agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The applications messages may use on this connection. When one side is a relay this
    /// is every application of the other side; when both are, only Relay.
    pub common: BTreeSet<Application>,
    /// The in-band security to use: [`inband_security::TLS`] means TLS starts now, after
    /// CER/CEA; [`inband_security::NO_INBAND_SECURITY`] means none (or TLS already runs).
    pub inband_security: u32,
}

impl Negotiated {
    /// May a message of application `id` be sent to this peer? Common messages
    /// (application 0: CER, DWR, DPR, and the session commands) always may.
    pub fn allows(&self, id: u32) -> bool {
        id == application_id::COMMON
            || self
                .common
                .iter()
                .any(|a| a.id == id || a.id == application_id::RELAY)
    }
}

/// Why a capability exchange failed, with the Result-Code the CEA carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapabilityError {
    /// The CER came from a host this node is not configured to talk to.
    #[error("unknown peer {origin_host:?}: not configured and unknown peers are refused (3010)")]
    UnknownPeer {
        /// The Origin-Host of the refused CER.
        origin_host: String,
    },
    /// No application in common.
    #[error("no application in common with {origin_host:?} (5010)")]
    NoCommonApplication {
        /// The peer's Origin-Host.
        origin_host: String,
    },
    /// No Inband-Security-Id in common.
    #[error("no in-band security mechanism in common with {origin_host:?} (5017)")]
    NoCommonSecurity {
        /// The peer's Origin-Host.
        origin_host: String,
    },
    /// The peer's CEA refused our CER.
    #[error("peer {origin_host:?} refused the capability exchange with Result-Code {result_code}")]
    Refused {
        /// The peer's Origin-Host.
        origin_host: String,
        /// The CEA's Result-Code.
        result_code: u32,
    },
}

impl CapabilityError {
    /// The Result-Code of the CEA that reports this failure (for `Refused`, the one received).
    pub fn result_code(&self) -> u32 {
        match self {
            CapabilityError::UnknownPeer { .. } => result_code::UNKNOWN_PEER,
            CapabilityError::NoCommonApplication { .. } => result_code::NO_COMMON_APPLICATION,
            CapabilityError::NoCommonSecurity { .. } => result_code::NO_COMMON_SECURITY,
            CapabilityError::Refused { result_code, .. } => *result_code,
        }
    }
}

/// Which hosts may open a connection to this node.
///
/// ```
/// use diameter_transport::AcceptPolicy;
///
/// let policy = AcceptPolicy::known(["pcrf.example.net"]);
/// assert!(policy.check("PCRF.example.net").is_ok());
/// assert_eq!(policy.check("mallory.example.org").unwrap_err().result_code(), 3010);
/// assert!(AcceptPolicy::any().check("mallory.example.org").is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AcceptPolicy {
    /// Origin-Host values of the configured peers.
    pub known_peers: Vec<String>,
    /// Accept a CER from any host, configured or not.
    pub accept_unknown: bool,
}

impl AcceptPolicy {
    /// Accept only the given hosts.
    pub fn known<S: Into<String>>(hosts: impl IntoIterator<Item = S>) -> Self {
        AcceptPolicy {
            known_peers: hosts.into_iter().map(Into::into).collect(),
            accept_unknown: false,
        }
    }

    /// Accept any host.
    pub fn any() -> Self {
        AcceptPolicy {
            known_peers: Vec::new(),
            accept_unknown: true,
        }
    }

    /// May `origin_host` connect? DiameterIdentity compares case-insensitively (it is a DNS
    /// name, RFC 6733 section 4.3.1).
    pub fn check(&self, origin_host: &str) -> Result<(), CapabilityError> {
        if self.accept_unknown
            || self
                .known_peers
                .iter()
                .any(|k| k.eq_ignore_ascii_case(origin_host))
        {
            Ok(())
        } else {
            Err(CapabilityError::UnknownPeer {
                origin_host: origin_host.to_owned(),
            })
        }
    }
}

/// The responder's side of the exchange: may `remote`'s CER be accepted, and with what?
/// Checks the peer is allowed (3010), then the applications (5010), then in-band security
/// (5017). The error's [`result_code`](CapabilityError::result_code) goes in the CEA.
///
/// ```
/// use diameter_transport::{capabilities::process_cer, AcceptPolicy, Capabilities};
///
/// let local = Capabilities::new("a.example", "example", 0, "a").with_auth_apps([4]);
/// let cc = Capabilities::new("b.example", "example", 0, "b").with_auth_apps([4]);
/// let s6a = Capabilities::new("c.example", "example", 0, "c").with_auth_apps([16777251]);
///
/// assert!(process_cer(&local, &AcceptPolicy::any(), &cc).is_ok());
/// let err = process_cer(&local, &AcceptPolicy::any(), &s6a).unwrap_err();
/// assert_eq!(err.result_code(), 5010);
/// ```
pub fn process_cer(
    local: &Capabilities,
    policy: &AcceptPolicy,
    remote: &Capabilities,
) -> Result<Negotiated, CapabilityError> {
    policy.check(&remote.origin_host)?;
    negotiate(local, remote)
}

/// The initiator's side: the CEA answered our CER with `result_code` and advertised
/// `remote`. Anything but 2001 DIAMETER_SUCCESS is a refusal; a success with no common
/// application still fails (RFC 6733 section 5.3: the initiator should then disconnect).
pub fn process_cea(
    local: &Capabilities,
    result_code: u32,
    remote: &Capabilities,
) -> Result<Negotiated, CapabilityError> {
    if result_code != result_code::SUCCESS {
        return Err(CapabilityError::Refused {
            origin_host: remote.origin_host.clone(),
            result_code,
        });
    }
    negotiate(local, remote)
}

/// The applications and in-band security both sides share.
pub fn negotiate(
    local: &Capabilities,
    remote: &Capabilities,
) -> Result<Negotiated, CapabilityError> {
    let common = common_applications(local, remote);
    if common.is_empty() {
        return Err(CapabilityError::NoCommonApplication {
            origin_host: remote.origin_host.clone(),
        });
    }
    let inband_security =
        common_security(local, remote).ok_or_else(|| CapabilityError::NoCommonSecurity {
            origin_host: remote.origin_host.clone(),
        })?;
    Ok(Negotiated {
        common,
        inband_security,
    })
}

/// The application intersection, with Relay matching everything (RFC 6733 section 5.3).
fn common_applications(local: &Capabilities, remote: &Capabilities) -> BTreeSet<Application> {
    let mine = local.applications();
    let theirs = remote.applications();
    let without_relay =
        |set: &BTreeSet<Application>| set.iter().copied().filter(|a| !a.is_relay()).collect();
    match (local.is_relay(), remote.is_relay()) {
        (true, true) => BTreeSet::from([Application::RELAY]),
        // A relay in the middle forwards whatever the other side speaks.
        (true, false) => without_relay(&theirs),
        (false, true) => without_relay(&mine),
        (false, false) => mine.intersection(&theirs).copied().collect(),
    }
}

/// The Inband-Security-Id to use, TLS when both offer it; `None` when nothing is shared.
fn common_security(local: &Capabilities, remote: &Capabilities) -> Option<u32> {
    let offered = |c: &Capabilities| -> BTreeSet<u32> {
        if c.inband_security.is_empty() {
            BTreeSet::from([inband_security::NO_INBAND_SECURITY])
        } else {
            c.inband_security.iter().copied().collect()
        }
    };
    let both: BTreeSet<u32> = offered(local)
        .intersection(&offered(remote))
        .copied()
        .collect();
    if both.contains(&inband_security::TLS) {
        Some(inband_security::TLS)
    } else {
        both.first().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(host: &str) -> Capabilities {
        Capabilities::new(host, "example.net", 0, "test")
    }

    #[test]
    fn intersection_is_per_kind_and_includes_vendor_specific() {
        let local = caps("a")
            .with_auth_apps([4, 16777238])
            .with_acct_apps([3])
            .with_vendor_specific_app(10415, Application::auth(16777251));
        let remote = caps("b")
            .with_auth_apps([16777251, 3])
            .with_acct_apps([4])
            .with_vendor_specific_app(10415, Application::auth(16777238));
        let n = negotiate(&local, &remote).unwrap();
        // 16777251 plain vs vendor-specific and 16777238 the other way round both match;
        // 3 and 4 are advertised with the other kind on each side and do not.
        assert_eq!(
            n.common,
            BTreeSet::from([Application::auth(16777238), Application::auth(16777251)])
        );
        assert!(n.allows(16777251) && n.allows(0) && !n.allows(4));
    }

    #[test]
    fn disjoint_applications_are_5010() {
        let local = caps("a").with_auth_apps([4]);
        let remote = caps("b").with_auth_apps([1]).with_acct_apps([4]);
        let err = negotiate(&local, &remote).unwrap_err();
        assert_eq!(err.result_code(), 5010);
        assert!(err.to_string().contains("\"b\""), "{err}");
        // Nothing advertised at all is disjoint too.
        assert_eq!(
            negotiate(&local, &caps("c")).unwrap_err().result_code(),
            5010
        );
    }

    #[test]
    fn relay_counts_as_common() {
        let server = caps("s").with_auth_apps([4]).with_acct_apps([3]);
        let relay = caps("r").with_auth_apps([application_id::RELAY]);
        let both = BTreeSet::from([Application::auth(4), Application::acct(3)]);
        assert_eq!(negotiate(&server, &relay).unwrap().common, both);
        assert_eq!(negotiate(&relay, &server).unwrap().common, both);
        let n = negotiate(&relay, &relay.clone()).unwrap();
        assert_eq!(n.common, BTreeSet::from([Application::RELAY]));
        assert!(n.allows(16777251), "relay to relay carries any application");
        // A relay still needs the other side to advertise something.
        assert_eq!(
            negotiate(&relay, &caps("x")).unwrap_err().result_code(),
            5010
        );
    }

    #[test]
    fn unknown_peer_is_3010_before_applications_are_looked_at() {
        let local = caps("a").with_auth_apps([4]);
        let stranger = caps("stranger"); // no common application either
        let policy = AcceptPolicy::known(["b"]);
        let err = process_cer(&local, &policy, &stranger).unwrap_err();
        assert_eq!(
            err,
            CapabilityError::UnknownPeer {
                origin_host: "stranger".into()
            }
        );
        assert_eq!(err.result_code(), 3010);
        let known = caps("B").with_auth_apps([4]);
        assert!(process_cer(&local, &policy, &known).is_ok());
        let open = AcceptPolicy::any();
        assert_eq!(
            process_cer(&local, &open, &stranger)
                .unwrap_err()
                .result_code(),
            5010
        );
    }

    #[test]
    fn cea_result_code_must_be_success() {
        let local = caps("a").with_auth_apps([4]);
        let remote = caps("b").with_auth_apps([4]);
        assert!(process_cea(&local, 2001, &remote).is_ok());
        let err = process_cea(&local, 3010, &remote).unwrap_err();
        assert_eq!(err.result_code(), 3010);
        assert!(matches!(err, CapabilityError::Refused { .. }));
        assert_eq!(
            process_cea(&local, 2001, &caps("c"))
                .unwrap_err()
                .result_code(),
            5010
        );
    }

    #[test]
    fn inband_security() {
        let local = caps("a").with_auth_apps([4]);
        let remote = caps("b").with_auth_apps([4]);
        let with = |c: &Capabilities, ids: &[u32]| Capabilities {
            inband_security: ids.to_vec(),
            ..c.clone()
        };
        // Neither says anything: no in-band security.
        assert_eq!(negotiate(&local, &remote).unwrap().inband_security, 0);
        // Both offer TLS: TLS after CER/CEA.
        let l = with(&local, &[0, 1]);
        assert_eq!(
            negotiate(&l, &with(&remote, &[1])).unwrap().inband_security,
            1
        );
        // One offers TLS, the other only none: none.
        assert_eq!(negotiate(&l, &remote).unwrap().inband_security, 0);
        // One insists on TLS, the other does not offer it: 5017.
        let err = negotiate(&with(&local, &[1]), &remote).unwrap_err();
        assert_eq!(err.result_code(), 5017);
    }
}
