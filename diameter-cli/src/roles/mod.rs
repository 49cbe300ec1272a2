//! The built-in answerers of `diameter demo` and `diameter serve`: an online charging server
//! (`ocs`), an accounting server (`acct`), an HSS for S6a (`hss`) and Sh (`sh`), and `echo`,
//! which answers every request the dictionaries know with 2001.
//!
//! Each role is plain state behind a mutex and one function per request type that turns a
//! typed request into a typed answer; [`install`] registers them as handlers of a node and
//! [`advertise`] adds their applications to its CER/CEA. They are test-bench servers: small
//! tables, deterministic answers, nothing persisted.

pub mod acct;
pub mod echo;
pub mod hss;
pub mod ocs;
pub mod sh;

use std::sync::Arc;
use std::time::Instant;

use diameter_transport::{Application, NodeBuilder};
use serde::Deserialize;

use crate::metrics::Metrics;

/// The 3GPP Vendor-Id.
pub const VENDOR_3GPP: u32 = 10415;
/// Credit control (RFC 4006; Gy and Ro are its 3GPP profiles).
pub const APP_CREDIT_CONTROL: u32 = 4;
/// Base accounting (RFC 6733; Rf is its 3GPP profile).
pub const APP_ACCOUNTING: u32 = 3;
/// S6a/S6d (TS 29.272).
pub const APP_S6A: u32 = 16_777_251;
/// Sh (TS 29.329).
pub const APP_SH: u32 = 16_777_217;

/// Result-Codes and Experimental-Result-Codes the roles answer with.
pub mod codes {
    /// DIAMETER_SUCCESS.
    pub const SUCCESS: u32 = 2001;
    /// DIAMETER_CREDIT_LIMIT_REACHED (RFC 4006).
    pub const CREDIT_LIMIT_REACHED: u32 = 4012;
    /// DIAMETER_UNKNOWN_SESSION_ID.
    pub const UNKNOWN_SESSION_ID: u32 = 5002;
    /// DIAMETER_UNABLE_TO_COMPLY.
    pub const UNABLE_TO_COMPLY: u32 = 5012;
    /// DIAMETER_USER_UNKNOWN (RFC 4006).
    pub const USER_UNKNOWN: u32 = 5030;
    /// DIAMETER_ERROR_USER_UNKNOWN (3GPP, with Vendor-Id 10415).
    pub const ERROR_USER_UNKNOWN: u32 = 5001;
}

/// A built-in role, as named on the command line and in the configuration file.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Online charging (Gy/Ro credit control): quota from per-subscriber balances.
    Ocs,
    /// Accounting (Rf / base accounting): every record answered 2001 and kept.
    Acct,
    /// HSS for S6a: AIR (authentication vectors) and ULR (subscription data).
    Hss,
    /// HSS for Sh: UDR answered with Sh-Data XML.
    Sh,
    /// Relay agent: forwards requests for other realms by the routes (`--route`, `[[routes]]`).
    Relay,
    /// Answers every request of every application compiled in with 2001.
    Echo,
}

impl Role {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Ocs => "ocs",
            Role::Acct => "acct",
            Role::Hss => "hss",
            Role::Sh => "sh",
            Role::Relay => "relay",
            Role::Echo => "echo",
        }
    }
}

/// Why the roles could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// No role was given.
    #[error("no role given: name at least one of ocs, acct, hss, sh, echo, relay")]
    NoRole,
}

/// Records what a role answered, for `--metrics`: per peer and command, the Result-Code and
/// the time the role took.
#[derive(Clone, Default)]
pub struct Observer(Option<Arc<Metrics>>);

impl Observer {
    /// Records into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Observer(Some(metrics))
    }

    /// One request answered.
    pub fn record(&self, peer: &str, command: &str, result_code: u32, started: Instant) {
        if let Some(m) = &self.0 {
            m.record_served(peer, command, result_code, started.elapsed());
        }
    }
}

/// The state of every role a node may run, shared by its handlers.
pub struct Roles {
    /// Credit control.
    pub ocs: Arc<ocs::Ocs>,
    /// Accounting.
    pub acct: Arc<acct::Accounting>,
    /// S6a.
    pub hss: Arc<hss::Hss>,
    /// Sh.
    pub sh: Arc<sh::ShServer>,
    /// Where answers are recorded.
    pub observer: Observer,
}

/// The tables the roles answer from.
pub struct Tables {
    /// Balances and grant size.
    pub ocs: ocs::OcsConfig,
    /// S6a subscribers.
    pub hss: hss::Hss,
    /// Sh users.
    pub sh: sh::ShServer,
}

impl Default for Tables {
    /// The built-in test tables (see each module).
    fn default() -> Self {
        Tables {
            ocs: ocs::OcsConfig::default(),
            hss: hss::Hss::with_test_subscribers(),
            sh: sh::ShServer::with_test_users(),
        }
    }
}

impl Roles {
    /// The roles answering from `tables`.
    pub fn new(tables: Tables, observer: Observer) -> Self {
        Roles {
            ocs: Arc::new(ocs::Ocs::new(tables.ocs)),
            acct: Arc::new(acct::Accounting::default()),
            hss: Arc::new(tables.hss),
            sh: Arc::new(tables.sh),
            observer,
        }
    }
}

/// The applications `roles` advertise, added to the node's CER/CEA: the 3GPP ones inside
/// Vendor-Specific-Application-Id, as deployed peers expect.
pub fn advertise(mut builder: NodeBuilder, roles: &[Role]) -> NodeBuilder {
    let mut plain = Vec::new();
    let mut vendor = Vec::new();
    for role in roles {
        match role {
            Role::Ocs => plain.push(Application::auth(APP_CREDIT_CONTROL)),
            Role::Acct => plain.push(Application::acct(APP_ACCOUNTING)),
            Role::Hss => vendor.push(Application::auth(APP_S6A)),
            Role::Sh => vendor.push(Application::auth(APP_SH)),
            // Relayed requests need no application of ours in common (RFC 6733 2.8).
            Role::Relay => plain.push(Application::RELAY),
            Role::Echo => {
                for a in crate::dict::applications() {
                    let app = if a.id == APP_ACCOUNTING {
                        Application::acct(a.id)
                    } else {
                        Application::auth(a.id)
                    };
                    match a.id {
                        0 => {}
                        _ if a.vendor_id != 0 => vendor.push(app),
                        _ => plain.push(app),
                    }
                }
            }
        }
    }
    plain.sort();
    plain.dedup();
    vendor.sort();
    vendor.dedup();
    if !vendor.is_empty() {
        builder = builder.supported_vendor_ids([VENDOR_3GPP]);
    }
    builder = builder.applications(plain);
    for app in vendor {
        builder = builder.vendor_specific_application(VENDOR_3GPP, app);
    }
    builder
}

/// Registers the handlers of `roles` on `builder`. `echo` goes first, so that a typed role
/// named beside it answers its own commands.
pub fn install(
    mut builder: NodeBuilder,
    roles: &[Role],
    state: &Roles,
) -> Result<NodeBuilder, RoleError> {
    if roles.is_empty() {
        return Err(RoleError::NoRole);
    }
    if roles.contains(&Role::Echo) {
        builder = echo::install(builder, state.observer.clone());
    }
    for role in roles {
        builder = match role {
            Role::Ocs => ocs::install(builder, &state.ocs, &state.observer),
            Role::Acct => acct::install(builder, &state.acct, &state.observer),
            Role::Hss => hss::install(builder, &state.hss, &state.observer),
            Role::Sh => sh::install(builder, &state.sh, &state.observer),
            Role::Echo | Role::Relay => builder,
        };
    }
    Ok(builder)
}

/// The text of a Session-Id or identity, lossy (for keys and logs).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
