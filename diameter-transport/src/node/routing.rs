//! Realm-based routing (RFC 6733 sections 2.7, 2.8 and 6.1): the routing table a node is
//! built with, and what it decides for each request it receives.
//!
//! A request is for this node when its P bit is clear, or its Destination-Host names this
//! node, or it has no Destination-Host and no Destination-Realm, or its realm's route is
//! [`Action::Local`]
//! (this node's own realm is local unless a route says otherwise). A Destination-Host naming
//! an open peer sends the request straight there (section 6.1.5). Anything else is looked up
//! in the table by Destination-Realm and Application-Id: the route naming the application
//! first, then the realm's route for any application, then the default route; no route at
//! all is 3003 DIAMETER_REALM_NOT_SERVED.

use std::sync::Arc;

use diameter_messages::base::RedirectHostUsage;
use diameter_runtime::consts::avp_code;
use diameter_runtime::header::Header;
use smallvec::SmallVec;

use super::peer_task::PeerShared;
use super::{lock, NodeInner};
use crate::conn::Conn;
use crate::wire;

/// What a node does with the requests a [`Route`] matches.
///
/// Peers are named by the Origin-Host they give in CER/CEA; they must be peers of the node
/// (dialled with [`Node::connect`](crate::Node::connect) or accepted). A request goes to the
/// first of them that is open, may carry the request's application and is not on the
/// request's Route-Record: the list is primary, secondary, ... (RFC 6733 section 5.1); the
/// next one takes over when the first fails. An empty list means any open peer that may carry
/// the application, other than the previous hop and the hosts on the Route-Record, in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Served by this node's handlers.
    Local,
    /// Forwarded to one of these peers, whatever the application (the node should advertise
    /// the Relay application, [`Application::RELAY`](crate::Application::RELAY)). Only the
    /// routing AVPs change: a Route-Record naming the previous hop is appended, the
    /// hop-by-hop identifier is the next hop's.
    Relay(Vec<String>),
    /// Forwarded to one of these peers like [`Relay`](Self::Relay), but only for the
    /// applications this node advertises (others are answered 3007
    /// DIAMETER_APPLICATION_UNSUPPORTED), as a proxy agent (RFC 6733 section 2.8) must
    /// support the applications it proxies.
    Proxy(Vec<String>),
    /// Answered with 3006 DIAMETER_REDIRECT_INDICATION (E bit) naming these hosts, for the
    /// sender to try them itself (RFC 6733 section 6.1.7).
    Redirect {
        /// Redirect-Host values: a DiameterURI (`aaa://host.example:3868;transport=tcp`) or a
        /// bare host name, sent as `aaa://host`.
        hosts: Vec<String>,
        /// Redirect-Host-Usage: what the sender may cache the redirection for. Sent only when
        /// not DONT_CACHE.
        usage: RedirectHostUsage,
        /// Redirect-Max-Cache-Time, in seconds: how long the sender may cache it (sent with
        /// a `usage` other than DONT_CACHE, which requires it).
        max_cache_time: u32,
    },
}

impl Action {
    /// Relay to these peers, in order of preference.
    pub fn relay<S: Into<String>>(peers: impl IntoIterator<Item = S>) -> Action {
        Action::Relay(peers.into_iter().map(Into::into).collect())
    }

    /// Proxy to these peers, in order of preference.
    pub fn proxy<S: Into<String>>(peers: impl IntoIterator<Item = S>) -> Action {
        Action::Proxy(peers.into_iter().map(Into::into).collect())
    }

    /// Redirect to these hosts, not to be cached by the sender.
    pub fn redirect<S: Into<String>>(hosts: impl IntoIterator<Item = S>) -> Action {
        Action::Redirect {
            hosts: hosts.into_iter().map(Into::into).collect(),
            usage: RedirectHostUsage::DONT_CACHE,
            max_cache_time: 0,
        }
    }

    /// The peers a request is forwarded to, for the forwarding actions.
    fn peers(&self) -> Option<&[String]> {
        match self {
            Action::Relay(p) | Action::Proxy(p) => Some(p),
            _ => None,
        }
    }
}

/// One entry of the routing table: a realm (compared without regard to ASCII case),
/// optionally one application of it, and what to do.
///
/// ```
/// use diameter_transport::{Action, Application, Node, Route};
///
/// // A relay for two realms: one served by two OCSs (primary, secondary), one redirected.
/// let relay = Node::builder()
///     .origin_host("dra.example")
///     .origin_realm("example")
///     .applications([Application::RELAY])
///     .route(Route::new("operator.net", Action::relay(["ocs1.operator.net", "ocs2.operator.net"])))
///     .route(Route::new("partner.net", Action::redirect(["dra.partner.net"])).application(4))
///     .build()?;
/// # Ok::<(), diameter_transport::NodeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The Destination-Realm matched.
    pub realm: String,
    /// The Application-Id matched; `None` for every application of the realm.
    pub application: Option<u32>,
    /// What to do.
    pub action: Action,
}

impl Route {
    /// A route for every application of `realm`.
    pub fn new(realm: impl Into<String>, action: Action) -> Route {
        Route {
            realm: realm.into(),
            application: None,
            action,
        }
    }

    /// Narrows the route to one application.
    pub fn application(mut self, id: u32) -> Route {
        self.application = Some(id);
        self
    }
}

/// The routes of a node and its default route.
#[derive(Debug, Default, Clone)]
pub(crate) struct RouteTable {
    pub(crate) routes: Vec<Route>,
    pub(crate) default: Option<Action>,
}

impl RouteTable {
    /// The action for `realm` and `application`: the route naming the application, then the
    /// realm's route, then the node's own realm as local, then the default route.
    fn lookup(&self, realm: &[u8], application: u32, own_realm: &[u8]) -> Option<&Action> {
        let of_realm = |r: &&Route| r.realm.as_bytes().eq_ignore_ascii_case(realm);
        self.routes
            .iter()
            .filter(of_realm)
            .find(|r| r.application == Some(application))
            .or_else(|| {
                self.routes
                    .iter()
                    .filter(of_realm)
                    .find(|r| r.application.is_none())
            })
            .map(|r| &r.action)
            .or_else(|| {
                realm
                    .eq_ignore_ascii_case(own_realm)
                    .then_some(&Action::Local)
            })
            .or(self.default.as_ref())
    }

    /// The preferred peers of `realm` for requests this node sends itself (`Node::call`).
    pub(crate) fn peers_for(
        &self,
        realm: Option<&[u8]>,
        application: u32,
        own_realm: &[u8],
    ) -> &[String] {
        realm
            .and_then(|r| self.lookup(r, application, own_realm))
            .and_then(Action::peers)
            .unwrap_or(&[])
    }
}

/// What to do with a request received.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Serve it here.
    Local,
    /// Forward it: to the peer named by Destination-Host, or to the first usable of `peers`,
    /// or (with `any`) to any usable peer.
    Forward { peers: Vec<String>, any: bool },
    /// Answer it with this routing error (3002, 3003, 3005, 3007).
    Refuse { code: u32, message: String },
    /// Answer 3006 with the redirect hosts.
    Redirect {
        hosts: Vec<String>,
        usage: RedirectHostUsage,
        max_cache_time: u32,
    },
}

impl NodeInner {
    fn is_us(&self, host: &[u8]) -> bool {
        host.eq_ignore_ascii_case(self.identity.origin_host.as_bytes())
    }

    /// Routes a request received (RFC 6733 section 6.1).
    pub(crate) fn decide(&self, header: &Header, frame: &[u8], scan: &wire::Scan) -> Decision {
        // RFC 6733 3: a request with the P bit clear must be processed where it arrives.
        if !header.flags.is_proxiable() {
            return Decision::Local;
        }
        let application_id = header.application_id;
        let dest_host = wire::Scan::get(frame, scan.destination_host);
        if dest_host.is_some_and(|h| self.is_us(h)) {
            return Decision::Local;
        }
        let forward = |peers: Vec<String>, any: bool| {
            if wire::all_of(frame, avp_code::ROUTE_RECORD).any(|r| self.is_us(r)) {
                return Decision::Refuse {
                    code: diameter_runtime::consts::result_code::LOOP_DETECTED,
                    message: format!("{} is on the Route-Record already", self.local.origin_host),
                };
            }
            Decision::Forward { peers, any }
        };
        if let Some(host) = dest_host {
            // RFC 6733 6.1.5: a request for a host this node talks to goes there directly.
            let is_peer = lock(&self.peers).iter().any(|p| {
                p.is_usable()
                    && p.host()
                        .is_some_and(|h| h.as_bytes().eq_ignore_ascii_case(host))
            });
            if is_peer {
                // That host only: no other peer stands in for it.
                return forward(Vec::new(), false);
            }
        }
        let Some(realm) = wire::Scan::get(frame, scan.destination_realm) else {
            return Decision::Local;
        };
        let own_realm = self.identity.origin_realm.as_bytes();
        let Some(action) = self.routes.lookup(realm, application_id, own_realm) else {
            return Decision::Refuse {
                code: diameter_runtime::consts::result_code::REALM_NOT_SERVED,
                message: format!("no route to realm {}", String::from_utf8_lossy(realm)),
            };
        };
        match action {
            Action::Local => match dest_host {
                // Local realm, but a host that is neither us nor a peer.
                Some(host) => Decision::Refuse {
                    code: diameter_runtime::consts::result_code::UNABLE_TO_DELIVER,
                    message: format!(
                        "Destination-Host {} is not connected",
                        String::from_utf8_lossy(host)
                    ),
                },
                None => Decision::Local,
            },
            Action::Relay(peers) => forward(peers.clone(), peers.is_empty()),
            Action::Proxy(peers) => {
                if self.local_apps.contains(&application_id) {
                    forward(peers.clone(), peers.is_empty())
                } else {
                    Decision::Refuse {
                        code: diameter_runtime::consts::result_code::APPLICATION_UNSUPPORTED,
                        message: format!("application {application_id} is not proxied"),
                    }
                }
            }
            Action::Redirect {
                hosts,
                usage,
                max_cache_time,
            } => Decision::Redirect {
                hosts: hosts.clone(),
                usage: *usage,
                max_cache_time: *max_cache_time,
            },
        }
    }

    /// Is the peer named `host` open for requests of `application_id`?
    pub(crate) fn is_open(&self, application_id: u32, host: &str) -> bool {
        self.choose_peer(application_id, Some(host.as_bytes()), &[], false, &[], &[])
            .is_some()
    }

    /// The next peer for a request of `application_id`: the open peer named by
    /// `destination_host`, then the open one of `preferred` first in the list, then (with
    /// `any`) any open peer that agreed the application, in turn. Peers in `skip` (tried
    /// already) are passed over; hosts in `avoid` (the previous hop and the request's
    /// Route-Record) are taken only when named and no other will do, so that a request
    /// routed back along its path is still caught as a loop (3005) by the host that finds
    /// itself there.
    pub(crate) fn choose_peer(
        &self,
        application_id: u32,
        destination_host: Option<&[u8]>,
        preferred: &[String],
        any: bool,
        skip: &[Arc<PeerShared>],
        avoid: &[&[u8]],
    ) -> Option<(Arc<PeerShared>, Arc<Conn>)> {
        // On the stack for up to eight peers, borrowing the peer list (locked meanwhile): this
        // runs once per request sent, and a node has few peers that take an application.
        let peers = lock(&self.peers);
        let usable: SmallVec<[Candidate<'_>; 8]> = peers
            .iter()
            .filter(|p| !skip.iter().any(|s| Arc::ptr_eq(s, p)))
            .filter_map(|p| {
                let conn = p.usable_for(application_id)?;
                let host = p.host_shared();
                let avoided = host
                    .as_deref()
                    .is_some_and(|h| avoid.iter().any(|a| a.eq_ignore_ascii_case(h.as_bytes())));
                Some(Candidate {
                    peer: p,
                    conn,
                    host,
                    avoided,
                })
            })
            .collect();
        // `fresh`: only the candidates not avoided. Filtering in place rather than into new
        // vectors: this runs once per request sent.
        let choose = |fresh: bool, any: bool| {
            let among = || usable.iter().filter(move |c| !(fresh && c.avoided));
            let named = |name: &[u8]| {
                among().find(|c| {
                    c.host
                        .as_deref()
                        .is_some_and(|h| h.as_bytes().eq_ignore_ascii_case(name))
                })
            };
            let hit = destination_host
                .and_then(named)
                .or_else(|| preferred.iter().find_map(|p| named(p.as_bytes())));
            let c = match hit {
                Some(c) => Some(c),
                None if any => {
                    let count = among().count();
                    if count == 0 {
                        None
                    } else {
                        let turn = self
                            .next_peer
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        among().nth(turn % count)
                    }
                }
                None => None,
            };
            c.map(|c| (Arc::clone(c.peer), Arc::clone(&c.conn)))
        };
        // Avoided hosts are taken when named (a route back along the path ends in 3005 there),
        // never as "any peer".
        choose(true, any).or_else(|| choose(false, false))
    }
}

/// An open peer that may carry a request.
struct Candidate<'p> {
    peer: &'p Arc<PeerShared>,
    conn: Arc<Conn>,
    host: Option<Arc<str>>,
    avoided: bool,
}

/// The host of a Redirect-Host value: `aaa://host:port;transport=tcp` gives `host`; a bare
/// host name is itself.
pub(crate) fn uri_host(uri: &str) -> &str {
    let rest = uri
        .strip_prefix("aaas://")
        .or_else(|| uri.strip_prefix("aaa://"))
        .unwrap_or(uri);
    let end = rest.find([':', ';', '/']).unwrap_or(rest.len());
    &rest[..end]
}

/// A Redirect-Host value for a configured host: as given when it is a URI, else `aaa://host`.
pub(crate) fn as_uri(host: &str) -> String {
    if host.starts_with("aaa://") || host.starts_with("aaas://") {
        host.to_owned()
    } else {
        format!("aaa://{host}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable {
            routes: vec![
                Route::new("a.net", Action::relay(["x"])),
                Route::new("A.NET", Action::relay(["y"])).application(4),
                Route::new("b.net", Action::Local),
            ],
            default: None,
        }
    }

    #[test]
    fn the_route_naming_the_application_wins_then_the_realm_then_own_then_default() {
        let mut t = table();
        assert_eq!(t.lookup(b"a.net", 4, b"me"), Some(&Action::relay(["y"])));
        assert_eq!(t.lookup(b"a.NET", 5, b"me"), Some(&Action::relay(["x"])));
        assert_eq!(t.lookup(b"b.net", 5, b"me"), Some(&Action::Local));
        assert_eq!(t.lookup(b"ME", 5, b"me"), Some(&Action::Local));
        assert_eq!(t.lookup(b"c.net", 5, b"me"), None);
        t.default = Some(Action::relay(["z"]));
        assert_eq!(t.lookup(b"c.net", 5, b"me"), Some(&Action::relay(["z"])));
        assert_eq!(t.peers_for(Some(b"c.net"), 5, b"me"), ["z"]);
        assert!(t.peers_for(None, 5, b"me").is_empty());
    }

    #[test]
    fn redirect_host_uris() {
        assert_eq!(
            uri_host("aaa://ocs.example:3868;transport=tcp"),
            "ocs.example"
        );
        assert_eq!(uri_host("aaas://ocs.example"), "ocs.example");
        assert_eq!(uri_host("ocs.example"), "ocs.example");
        assert_eq!(as_uri("ocs.example"), "aaa://ocs.example");
        assert_eq!(as_uri("aaa://ocs.example:3868"), "aaa://ocs.example:3868");
    }
}
