//! The node: a Diameter identity with its peers, a typed client (`call`) and typed server
//! handlers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use diameter_messages::prelude::*;
//! use diameter_transport::{Application, Node};
//!
//! let server = Node::builder()
//!     .origin_host("ocs.example")
//!     .origin_realm("example")
//!     .applications([Application::auth(4)])
//!     .handler(|ccr: credit_control::CreditControlRequest<'static>, _ctx| async move {
//!         // Session-Id, Origin-Host and Origin-Realm left empty are filled in by the node.
//!         credit_control::CreditControlAnswer {
//!             result_code: 2001,
//!             auth_application_id: 4,
//!             cc_request_type: ccr.cc_request_type,
//!             cc_request_number: ccr.cc_request_number,
//!             ..Default::default()
//!         }
//!     })
//!     .build()?;
//! let addr = server.listen("127.0.0.1:3868".parse()?).await?;
//!
//! let client = Node::builder()
//!     .origin_host("pgw.example")
//!     .origin_realm("example")
//!     .applications([Application::auth(4)])
//!     .build()?;
//! client.connect(addr);
//! client.wait_open(std::time::Duration::from_secs(5)).await;
//! let ccr = credit_control::CreditControlRequest::builder() // Session-Id and Origin-* left to the node
//!     .destination_realm(DiameterIdentity::from_static("example"))
//!     .auth_application_id(4)
//!     .service_context_id("32251@3gpp.org")
//!     .cc_request_type(credit_control::CcRequestType::INITIAL_REQUEST)
//!     .cc_request_number(0);
//! let cca = client.call(ccr).await?;
//! assert_eq!(cca.result_code, 2001);
//! # Ok(()) }
//! ```

mod dedup;
mod error;
#[cfg(feature = "tls")]
mod inband;
mod peer_task;
mod raw;
mod redirects;
mod relay;
mod routing;
mod send;
mod service;

use std::collections::BTreeSet;

use crate::idhash::IdMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use diameter_messages::base::DisconnectCause;
use diameter_runtime::answer::Identity;
use diameter_runtime::dictionary::GrammarDef;
use diameter_runtime::header::{CommandFlags, Header};
use diameter_runtime::types::{DiameterIdentity, IntoOwned, Utf8String};
use diameter_runtime::{
    Command, CommandBuilder, DecodeError, DecodeOptions, MissingAvps, Violation,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::Instrument;

pub use error::{CallError, NodeError};
pub use routing::{Action, Route};

use crate::backoff::BackoffConfig;
use crate::capabilities::{AcceptPolicy, Application, ApplicationKind, Capabilities};
use crate::conn::{ConnConfig, Io};
use crate::peer::{Conn as Role, PeerConfig, PeerError, PeerState};
use crate::rng::JitterRng;
use crate::session_id::{process_start_secs, SessionIdGenerator};
use crate::stats::{CommandCounters, CommandKey, Snapshot};
use crate::typed::{Fill, IntoRequest, Request, Typed};
use crate::watchdog::{WatchdogConfig, WatchdogState};
use crate::wire;

use peer_task::{PeerMsg, PeerShared};

/// Something that happened to a peer, for [`NodeBuilder::on_event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NodeEvent {
    /// A CER was received and answered with this Result-Code (2001 when accepted; 3010,
    /// 5010, ... when refused).
    CerReceived {
        /// The CER's Origin-Host.
        origin_host: String,
        /// The CEA's Result-Code.
        result_code: u32,
    },
    /// The capability exchange succeeded: the peer is open.
    Connected {
        /// The peer's Origin-Host.
        origin_host: String,
        /// Which connection stayed open (ours or theirs, after an election).
        role: Role,
        /// The remote address, when the transport has one.
        remote: Option<SocketAddr>,
    },
    /// The watchdog changed state: SUSPECT (no requests go there), OKAY again, or DOWN.
    Watchdog {
        /// The peer's Origin-Host.
        origin_host: String,
        /// The new state.
        state: WatchdogState,
    },
    /// The peer went to Closed.
    Down {
        /// The peer's Origin-Host, when the capability exchange got that far.
        origin_host: Option<String>,
        /// Why, when it was not an orderly DPR/DPA.
        error: Option<PeerError>,
        /// The Disconnect-Cause of the peer's DPR, when it sent one.
        remote_cause: Option<DisconnectCause>,
    },
}

/// What a node knows about one peer now.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PeerInfo {
    /// Origin-Host, once known.
    pub origin_host: Option<String>,
    /// The RFC 6733 state.
    pub state: PeerState,
    /// The RFC 3539 state.
    pub watchdog: WatchdogState,
    /// The address dialled, for a peer this node connects to.
    pub address: Option<SocketAddr>,
    /// The applications agreed, while open.
    pub applications: BTreeSet<Application>,
    /// The open connection runs TLS (at connect or after CER/CEA), its peer authenticated
    /// by certificate.
    pub tls: bool,
    /// The peer's counters.
    pub counters: Snapshot,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What a handler made of a request.
pub(crate) enum Handled {
    /// The answer, encoded with zero identifiers.
    Answer(BytesMut),
    /// The request could not be read; the grammar of its answer, when its type is known.
    Unreadable(DecodeError, Option<&'static GrammarDef>),
    /// The request breaks its grammar; the grammar of its answer, when its type is known.
    Invalid(Vec<Violation>, Option<&'static GrammarDef>),
}

pub(crate) type ErasedHandler = Arc<dyn Fn(Bytes, Context) -> BoxFuture<Handled> + Send + Sync>;

/// What a handler knows besides the request.
#[derive(Clone, Debug)]
pub struct Context {
    peer_host: Arc<str>,
    header: Header,
    session_id: Option<Bytes>,
    identity: Arc<Identity>,
}

impl Context {
    /// The Origin-Host of the peer the request came from (the previous hop).
    pub fn peer_host(&self) -> &str {
        &self.peer_host
    }

    /// The request's header (identifiers, flags).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Completes an answer builder: Origin-Host and Origin-Realm of this node, the request's
    /// Session-Id, where the builder was not given them.
    pub fn fill<'a, B: CommandBuilder<'a>>(
        &self,
        mut builder: B,
    ) -> Result<B::Command, MissingAvps> {
        let host: DiameterIdentity<'a> = self.identity.origin_host.clone();
        let realm: DiameterIdentity<'a> = self.identity.origin_realm.clone();
        builder.fill_origin(&host, &realm);
        if let Some(s) = &self.session_id {
            if let Ok(s) = std::str::from_utf8(s) {
                builder.fill_session_id(&Utf8String::from(s.to_owned()));
            }
        }
        builder.build()
    }
}

type EventHook = Arc<dyn Fn(&NodeEvent) + Send + Sync>;

/// The settings and state every task of a node shares.
pub(crate) struct NodeInner {
    pub(crate) identity: Arc<Identity>,
    pub(crate) local: Arc<Capabilities>,
    pub(crate) local_apps: BTreeSet<u32>,
    pub(crate) relay: bool,
    pub(crate) peer_config: PeerConfig,
    pub(crate) watchdog: WatchdogConfig,
    pub(crate) backoff: BackoffConfig,
    pub(crate) conn: ConnConfig,
    pub(crate) decode: DecodeOptions,
    pub(crate) request_timeout: Duration,
    pub(crate) handlers: IdMap<(u32, u32), ErasedHandler>,
    pub(crate) events: Option<EventHook>,
    pub(crate) sessions: SessionIdGenerator,
    pub(crate) peers: Mutex<Vec<Arc<PeerShared>>>,
    pub(crate) commands: CommandCounters,
    pub(crate) routes: routing::RouteTable,
    pub(crate) duplicates: dedup::Duplicates,
    redirects: redirects::Redirects,
    next_e2e: AtomicU32,
    next_conn: AtomicU64,
    next_peer: AtomicUsize,
    seed: Mutex<JitterRng>,
    listeners: Mutex<Vec<JoinHandle<()>>>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::TlsConfig>,
    /// TLS after CER/CEA is offered (RFC 3588).
    #[cfg(feature = "tls")]
    inband: bool,
}

impl std::fmt::Debug for NodeInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("origin_host", &self.local.origin_host)
            .field("origin_realm", &self.local.origin_realm)
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock means a panic elsewhere while holding it; what it guards (lists,
    // handles, counters) stays usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl NodeInner {
    pub(crate) fn emit(&self, event: NodeEvent) {
        tracing::debug!(?event, "peer event");
        if let Some(hook) = &self.events {
            hook(&event);
        }
    }

    /// The TLS settings, when this node offers TLS after CER/CEA.
    #[cfg(feature = "tls")]
    pub(crate) fn inband_tls(&self) -> Option<crate::tls::TlsConfig> {
        self.tls.clone().filter(|_| self.inband)
    }

    pub(crate) fn next_e2e(&self) -> u32 {
        self.next_e2e.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh jitter source for a peer (seeded from the node's, so a seeded node repeats).
    pub(crate) fn rng(&self) -> JitterRng {
        JitterRng::from_seed(lock(&self.seed).next_u64())
    }

    /// Does this node serve application `id` (for 3007)?
    pub(crate) fn serves(&self, id: u32) -> bool {
        self.relay || self.local_apps.contains(&id)
    }
}

/// A Diameter node. Cheap to clone: clones share the node.
#[derive(Clone, Debug)]
pub struct Node {
    inner: Arc<NodeInner>,
}

impl Node {
    /// Starts the settings of a node.
    pub fn builder() -> NodeBuilder {
        NodeBuilder::default()
    }

    /// What this node advertises in CER/CEA.
    pub fn capabilities(&self) -> &Capabilities {
        &self.inner.local
    }

    /// Listens for peers on `addr` (port 0 picks one); returns the address bound. Peers not
    /// configured are refused with 3010 unless the node accepts unknown peers.
    pub async fn listen(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let inner = Arc::clone(&self.inner);
        let task = tokio::spawn(
            async move {
                loop {
                    match listener.accept().await {
                        Ok((stream, remote)) => {
                            let _ = stream.set_nodelay(true);
                            tracing::debug!(%remote, "accepted");
                            tokio::spawn(peer_task::accept(Arc::clone(&inner), stream));
                        }
                        Err(e) => {
                            // Out of descriptors and the like: wait a little rather than spin.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }
            .instrument(tracing::info_span!("listen", %local)),
        );
        lock(&self.inner.listeners).push(task);
        Ok(local)
    }

    /// Listens for peers that start TLS at connect (RFC 6733 section 13) on `addr`; returns
    /// the address bound. Each peer must present a certificate that chains to the configured
    /// roots and names the Origin-Host of its CER. Needs [`NodeBuilder::tls`].
    #[cfg(feature = "tls")]
    pub async fn listen_tls(&self, addr: SocketAddr) -> Result<SocketAddr, NodeError> {
        let config = self.inner.tls.clone().ok_or(NodeError::NoTls)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&config.server));
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let inner = Arc::clone(&self.inner);
        let limit = inner.peer_config.cea_timeout;
        let task = tokio::spawn(
            async move {
                loop {
                    match listener.accept().await {
                        Ok((stream, remote)) => {
                            let _ = stream.set_nodelay(true);
                            let (inner, acceptor) = (Arc::clone(&inner), acceptor.clone());
                            // The handshake runs in its own task, bounded like a CER wait, so
                            // a slow peer holds up no other.
                            tokio::spawn(async move {
                                match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                                    Ok(Ok(tls)) => peer_task::accept(inner, tls).await,
                                    Ok(Err(e)) => {
                                        tracing::info!(%remote, error = %e, "TLS handshake failed");
                                    }
                                    Err(_) => tracing::info!(%remote, "TLS handshake timed out"),
                                }
                            });
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }
            .instrument(tracing::info_span!("listen_tls", %local)),
        );
        lock(&self.inner.listeners).push(task);
        Ok(local)
    }

    /// Connects to a static peer at `addr` with TLS at connect, checking its certificate
    /// against `host` (and, once its CEA arrives, against the Origin-Host it gives); reconnects
    /// like [`connect`](Self::connect). Needs [`NodeBuilder::tls`].
    #[cfg(feature = "tls")]
    pub fn connect_tls(&self, addr: SocketAddr, host: &str) -> Result<(), NodeError> {
        let config = self.inner.tls.clone().ok_or(NodeError::NoTls)?;
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|_| NodeError::InvalidServerName(host.to_owned()))?;
        peer_task::spawn_static(
            Arc::clone(&self.inner),
            peer_task::Dial::Tls { addr, name, config },
            Some(host.to_owned()),
        );
        Ok(())
    }

    /// Serves a connection the caller accepted itself (any [`Io`]: a TLS stream, an
    /// in-memory stream in tests). Its first message must be a CER.
    pub fn accept_io<I: Io>(&self, io: I) {
        tokio::spawn(peer_task::accept(Arc::clone(&self.inner), io));
    }

    /// Connects to a static peer at `addr`, and reconnects with exponential backoff whenever
    /// the connection fails (not after the peer's DPR saying DO_NOT_WANT_TO_TALK_TO_YOU).
    pub fn connect(&self, addr: SocketAddr) {
        peer_task::spawn_static(Arc::clone(&self.inner), peer_task::Dial::Tcp(addr), None);
    }

    /// Like [`connect`](Self::connect), for a peer whose Origin-Host is known in advance: it is
    /// listed by [`peers`](Self::peers) under that name before it opens, and a connection it
    /// opens to this node at the same time joins the same peer and goes through the election
    /// (RFC 6733 5.6.4) instead of making a second peer. The name its CEA gives wins.
    pub fn connect_named(&self, addr: SocketAddr, origin_host: &str) {
        peer_task::spawn_static(
            Arc::clone(&self.inner),
            peer_task::Dial::Tcp(addr),
            Some(origin_host.to_owned()),
        );
    }

    /// Runs the initiator side over a connection the caller opened itself; no reconnect.
    pub fn connect_io<I: Io>(&self, io: I) {
        peer_task::spawn_static(
            Arc::clone(&self.inner),
            peer_task::Dial::given(&self.inner, io),
            None,
        );
    }

    /// [`connect_io`](Self::connect_io) to a peer whose Origin-Host is known in advance (see
    /// [`connect_named`](Self::connect_named)).
    pub fn connect_io_named<I: Io>(&self, io: I, origin_host: &str) {
        peer_task::spawn_static(
            Arc::clone(&self.inner),
            peer_task::Dial::given(&self.inner, io),
            Some(origin_host.to_owned()),
        );
    }

    /// Waits until at least one peer is open and may carry requests, for at most `limit`.
    /// Returns whether one is.
    pub async fn wait_open(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if lock(&self.inner.peers).iter().any(|p| p.is_usable()) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            // Polling keeps the peer tasks free of waiter lists; this is a start-up helper.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Sends a request and returns its typed answer.
    ///
    /// `request` is a built request or its builder ([`IntoRequest`]); Session-Id, Origin-Host
    /// and Origin-Realm are filled in when not given (a builder) or empty (a built request);
    /// hop-by-hop and end-to-end identifiers are always the node's.
    ///
    /// The peer is the one named by Destination-Host if it is open, else the first open peer
    /// of the route of the request's Destination-Realm ([`NodeBuilder::route`]), else any
    /// open peer that agreed the application, in turn. When the connection fails before the
    /// answer comes, the request is re-sent to the next such peer with the T flag set and the
    /// same End-to-End Identifier (RFC 6733 5.5.4); the caller gets one answer either way.
    /// A 3006 answer naming a Redirect-Host that is an open peer is followed, once (and
    /// remembered for later requests as its Redirect-Host-Usage and Redirect-Max-Cache-Time
    /// allow); else it is [`CallError::Redirected`]. Other answers with the E bit set are
    /// [`CallError::ErrorAnswer`]; the rest are returned, whatever their Result-Code (a 5xxx
    /// of the application is the caller's to read).
    pub fn call<Q: IntoRequest>(
        &self,
        request: Q,
    ) -> impl Future<Output = Result<<Q::Request as Request>::Answer, CallError>> + Send + '_ {
        // Encoded before the future is made, so that the future does not carry the request
        // (a generated command is several hundred bytes, moved at each step otherwise).
        let encoded = self.encode(request);
        async move {
            let frame = self.exchange(encoded?, false).await?;
            decode_answer::<<Q::Request as Request>::Answer>(&frame, &self.inner.decode)
        }
    }

    /// Encodes a request for [`call`](Self::call).
    fn encode<Q: IntoRequest>(&self, request: Q) -> Result<BytesMut, CallError> {
        let inner = &*self.inner;
        // Room for a typical message at once: growing from empty costs several copies.
        let mut buf = BytesMut::with_capacity(wire::TYPICAL_MESSAGE);
        let session = || inner.sessions.next();
        let fill = Fill {
            origin_host: &inner.identity.origin_host,
            origin_realm: &inner.identity.origin_realm,
            session_id: &session,
        };
        request.encode_request(&fill, &mut buf)?;
        Ok(buf)
    }

    /// Sends an encoded request (identities filled in, ids set, routed, failed over,
    /// redirects followed) and returns the answer frame. With `keep_redirect`, a redirect that
    /// cannot be followed is returned as its frame rather than [`CallError::Redirected`].
    async fn exchange(&self, mut buf: BytesMut, keep_redirect: bool) -> Result<Bytes, CallError> {
        let inner = &*self.inner;
        let scan = wire::scan(&buf);
        let destination_host = scan
            .destination_host
            .and_then(|(a, b)| buf.get(a..b))
            .and_then(|d| std::str::from_utf8(d).ok())
            .map(str::to_owned);
        let mut header = Header::decode_unchecked(&buf)?;
        if let Some(app) = wire::session_command_application(&header, &scan) {
            header.application_id = app;
        }
        // Looked up before the identities are filled in, which moves the AVPs.
        let preferred = inner.routes.peers_for(
            wire::Scan::get(&buf, scan.destination_realm),
            header.application_id,
            inner.identity.origin_realm.as_bytes(),
        );
        wire::fill_identities(
            &mut buf,
            &scan,
            &wire::Identities {
                origin_host: inner.identity.origin_host.as_bytes(),
                origin_realm: inner.identity.origin_realm.as_bytes(),
                session_id: wire::SessionFill::New(&inner.sessions),
            },
        );
        let application_id = header.application_id;
        wire::set_application_id(&mut buf, application_id);
        let end_to_end = inner.next_e2e();
        wire::set_ids(&mut buf, 0, end_to_end);
        let request = buf.freeze();
        let command = inner.commands.get(application_id, header.command_code);
        let span = tracing::debug_span!(
            "call",
            app = application_id,
            code = header.command_code,
            e2e = end_to_end
        );
        async move {
            let deadline = tokio::time::Instant::now() + inner.request_timeout;
            // Set once the request is sent to a host named by a Redirect-Host (now, or in a
            // redirect remembered for requests like this one).
            let mut redirected_to: Option<String> = None;
            if !inner.redirects.is_empty() {
                let scan = wire::scan(&request);
                redirected_to = inner
                    .redirects
                    .lookup(&facts_of(&request, &scan, application_id))
                    .filter(|host| inner.is_open(application_id, host));
            }
            loop {
                let attempts = send::Attempts {
                    request: &request,
                    skip: Vec::new(),
                    command: &command,
                    deadline,
                    relayed: false,
                };
                let sent = send::send(attempts, |skip| match &redirected_to {
                    Some(host) => inner.choose_peer(
                        application_id,
                        Some(host.as_bytes()),
                        &[],
                        false,
                        skip,
                        &[],
                    ),
                    None => inner.choose_peer(
                        application_id,
                        destination_host.as_deref().map(str::as_bytes),
                        preferred,
                        true,
                        skip,
                        &[],
                    ),
                })
                .await
                .map_err(|failed| match failed {
                    send::Failed::NoPeer => CallError::NoPeer { application_id },
                    send::Failed::PeerDown => CallError::PeerDown,
                    send::Failed::Timeout => CallError::Timeout(inner.request_timeout),
                })?;
                let result_code = wire::result_code(&sent.frame).unwrap_or(0);
                sent.peer.counters.answer_received(result_code);
                command.answer_received(result_code);
                if let Some(hosts) = redirect_hosts(&sent.frame, result_code) {
                    // Followed once: a second redirect is the caller's to read.
                    let next = hosts
                        .iter()
                        .find(|h| redirected_to.is_none() && inner.is_open(application_id, h));
                    match next {
                        Some(host) => {
                            tracing::debug!(%host, "following the redirect");
                            remember_redirect(inner, &sent.frame, &request, application_id, host);
                            redirected_to = Some(host.clone());
                            continue;
                        }
                        None if keep_redirect => return Ok(sent.frame),
                        None => return Err(CallError::Redirected { hosts }),
                    }
                }
                return Ok(sent.frame);
            }
        }
        .instrument(span)
        .await
    }

    /// What the node knows about each peer.
    pub fn peers(&self) -> Vec<PeerInfo> {
        lock(&self.inner.peers).iter().map(|p| p.info()).collect()
    }

    /// The counters of each command sent or received, requests and answers together.
    pub fn command_counters(&self) -> std::collections::BTreeMap<CommandKey, Snapshot> {
        self.inner.commands.snapshot()
    }

    /// Sends DPR (REBOOTING) to every peer, waits for the answers in flight (each peer's
    /// grace period), and stops listening.
    pub async fn shutdown(&self) {
        for l in lock(&self.inner.listeners).drain(..) {
            l.abort();
        }
        let peers: Vec<Arc<PeerShared>> = lock(&self.inner.peers).clone();
        let mut waits = Vec::new();
        for p in peers {
            let (tx, rx) = oneshot::channel();
            if p.tx
                .send(PeerMsg::Stop {
                    cause: DisconnectCause::REBOOTING,
                    done: tx,
                })
                .await
                .is_ok()
            {
                waits.push(rx);
            }
        }
        let limit = self.inner.peer_config.dpa_timeout * 2 + self.inner.conn.flush_timeout;
        let _ = tokio::time::timeout(limit, async {
            for w in waits {
                let _ = w.await;
            }
        })
        .await;
    }
}

/// What a request is, for the redirects remembered.
fn facts_of<'r>(request: &'r [u8], scan: &wire::Scan, application_id: u32) -> redirects::Facts<'r> {
    redirects::Facts {
        session_id: wire::Scan::get(request, scan.session_id),
        destination_realm: wire::Scan::get(request, scan.destination_realm),
        application_id,
        destination_host: wire::Scan::get(request, scan.destination_host),
        user_name: wire::all_of(request, diameter_messages::base::defs::USER_NAME.code).next(),
    }
}

/// Remembers a redirect followed, when its answer lets requests like this one go straight to
/// `host` (Redirect-Host-Usage other than DONT_CACHE, with Redirect-Max-Cache-Time).
fn remember_redirect(
    inner: &NodeInner,
    answer: &[u8],
    request: &[u8],
    application_id: u32,
    host: &str,
) {
    use diameter_messages::base::defs;
    let read = |code| {
        wire::all_of(answer, code)
            .next()
            .and_then(|d| <[u8; 4]>::try_from(d).ok())
    };
    let usage = read(defs::REDIRECT_HOST_USAGE.code).map(i32::from_be_bytes);
    let seconds = read(defs::REDIRECT_MAX_CACHE_TIME.code).map(u32::from_be_bytes);
    if let (Some(usage), Some(seconds)) = (usage, seconds) {
        let scan = wire::scan(request);
        let facts = facts_of(request, &scan, application_id);
        inner.redirects.remember(usage, seconds, &facts, host);
    }
}

/// The hosts of a 3006 DIAMETER_REDIRECT_INDICATION answer (E bit), when it names any.
fn redirect_hosts(frame: &[u8], result_code: u32) -> Option<Vec<String>> {
    let is_error = Header::decode_unchecked(frame).is_ok_and(|h| h.flags.is_error());
    if !is_error || result_code != diameter_runtime::consts::result_code::REDIRECT_INDICATION {
        return None;
    }
    let hosts: Vec<String> = wire::all_of(frame, diameter_messages::base::defs::REDIRECT_HOST.code)
        .filter_map(|uri| std::str::from_utf8(uri).ok())
        .map(|uri| routing::uri_host(uri).to_owned())
        .collect();
    (!hosts.is_empty()).then_some(hosts)
}

/// Decodes an answer frame as `A`.
fn decode_answer<A: Typed>(frame: &Bytes, opts: &DecodeOptions) -> Result<A, CallError> {
    let header = Header::decode_unchecked(frame)?;
    if header.flags.is_error() {
        let raw = diameter_runtime::RawMessage::parse(frame, &DecodeOptions::lenient()).ok();
        let find = |code| raw.as_ref().and_then(|r| r.find(code, 0));
        let result_code = find(diameter_runtime::consts::avp_code::RESULT_CODE)
            .and_then(|a| a.value::<u32>().ok())
            .unwrap_or(0);
        let error_message = find(diameter_runtime::consts::avp_code::ERROR_MESSAGE).and_then(|a| {
            std::str::from_utf8(a.data.as_bytes())
                .ok()
                .map(str::to_owned)
        });
        return Err(CallError::ErrorAnswer {
            result_code,
            error_message,
        });
    }
    let decoded = <A::At<'_> as Command<'_>>::decode_with(frame, opts)?;
    if !decoded.is_valid() {
        return Err(CallError::InvalidAnswer {
            violations: decoded.violations,
        });
    }
    Ok(decoded.message.into_shared(frame))
}

/// A received request decoded and checked as `R`, or what the node answers instead (its
/// error answer copies from the request what `R`'s answer grammar requires).
fn decode_request<R: Request>(frame: &Bytes, opts: &DecodeOptions) -> Result<R, Handled> {
    let grammar = <R::At<'_> as Command<'_>>::ANSWER_GRAMMAR;
    match <R::At<'_> as Command<'_>>::decode_with(frame, opts) {
        Err(e) => Err(Handled::Unreadable(e, grammar)),
        Ok(d) if !d.is_valid() => Err(Handled::Invalid(d.violations, grammar)),
        Ok(d) => Ok(d.message.into_shared(frame)),
    }
}

fn erase<R, F, Fut>(f: F, opts: DecodeOptions) -> ErasedHandler
where
    R: Request,
    F: Fn(R, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R::Answer> + Send + 'static,
{
    let f = Arc::new(f);
    Arc::new(move |frame: Bytes, ctx: Context| -> BoxFuture<Handled> {
        let request: R = match decode_request(&frame, &opts) {
            Ok(r) => r,
            Err(refused) => return Box::pin(std::future::ready(refused)),
        };
        let answer = f(request, ctx);
        Box::pin(async move {
            let answer = answer.await;
            // Room for a typical message at once: growing from empty costs several copies.
            let mut buf = BytesMut::with_capacity(wire::TYPICAL_MESSAGE);
            answer.encode(0, 0, &mut buf);
            Handled::Answer(buf)
        })
    })
}

/// The settings of a [`Node`].
#[must_use]
pub struct NodeBuilder {
    origin_host: Option<String>,
    origin_realm: Option<String>,
    capabilities: Capabilities,
    accept: AcceptPolicy,
    peer_timeouts: (Duration, Duration, Duration),
    watchdog: WatchdogConfig,
    backoff: BackoffConfig,
    conn: ConnConfig,
    decode: DecodeOptions,
    request_timeout: Duration,
    handlers: IdMap<(u32, u32), ErasedHandler>,
    events: Option<EventHook>,
    seed: Option<u64>,
    routes: routing::RouteTable,
    duplicates: (usize, Duration),
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsConfig>,
    #[cfg(feature = "tls")]
    inband: bool,
}

impl Default for NodeBuilder {
    fn default() -> Self {
        NodeBuilder {
            origin_host: None,
            origin_realm: None,
            capabilities: Capabilities {
                product_name: "diameter-rs".into(),
                origin_state_id: Some(process_start_secs()),
                ..Capabilities::default()
            },
            accept: AcceptPolicy::default(),
            peer_timeouts: (
                Duration::from_secs(10),
                Duration::from_secs(10),
                Duration::from_secs(5),
            ),
            watchdog: WatchdogConfig::default(),
            backoff: BackoffConfig::default(),
            conn: ConnConfig::default(),
            decode: DecodeOptions::new(),
            request_timeout: Duration::from_secs(10),
            handlers: IdMap::default(),
            events: None,
            seed: None,
            routes: routing::RouteTable::default(),
            duplicates: (16384, Duration::from_secs(120)),
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            inband: false,
        }
    }
}

impl std::fmt::Debug for NodeBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeBuilder")
            .field("origin_host", &self.origin_host)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

impl NodeBuilder {
    /// This node's Origin-Host (required).
    pub fn origin_host(mut self, host: impl Into<String>) -> Self {
        self.origin_host = Some(host.into());
        self
    }

    /// This node's Origin-Realm (required).
    pub fn origin_realm(mut self, realm: impl Into<String>) -> Self {
        self.origin_realm = Some(realm.into());
        self
    }

    /// The applications advertised in CER/CEA (at least one).
    pub fn applications(mut self, apps: impl IntoIterator<Item = Application>) -> Self {
        for a in apps {
            match a.kind {
                ApplicationKind::Auth => self.capabilities.auth_apps.push(a.id),
                ApplicationKind::Acct => self.capabilities.acct_apps.push(a.id),
            }
        }
        self
    }

    /// An application advertised inside Vendor-Specific-Application-Id.
    pub fn vendor_specific_application(mut self, vendor_id: u32, app: Application) -> Self {
        self.capabilities = self.capabilities.with_vendor_specific_app(vendor_id, app);
        self
    }

    /// Vendor-Id (default 0) and Product-Name (default "diameter-rs").
    pub fn product(mut self, vendor_id: u32, product_name: impl Into<String>) -> Self {
        self.capabilities.vendor_id = vendor_id;
        self.capabilities.product_name = product_name.into();
        self
    }

    /// Firmware-Revision.
    pub fn firmware_revision(mut self, revision: u32) -> Self {
        self.capabilities.firmware_revision = Some(revision);
        self
    }

    /// Supported-Vendor-Id values.
    pub fn supported_vendor_ids(mut self, ids: impl IntoIterator<Item = u32>) -> Self {
        self.capabilities.supported_vendor_ids.extend(ids);
        self
    }

    /// Host-IP-Address values; by default, the local address of each connection.
    pub fn host_ip_addresses(mut self, ips: impl IntoIterator<Item = IpAddr>) -> Self {
        self.capabilities.host_ip_addresses.extend(ips);
        self
    }

    /// Origin-State-Id; by default the process start time, stable for the process's life.
    pub fn origin_state_id(mut self, id: u32) -> Self {
        self.capabilities.origin_state_id = Some(id);
        self
    }

    /// Accept CERs from hosts not configured (default: refused with 3010).
    pub fn accept_unknown_peers(mut self, accept: bool) -> Self {
        self.accept.accept_unknown = accept;
        self
    }

    /// A host allowed to connect to this node.
    pub fn allow_peer(mut self, origin_host: impl Into<String>) -> Self {
        self.accept.known_peers.push(origin_host.into());
        self
    }

    /// How long to wait for a connection (10 s), for the CEA (10 s), and for the DPA and the
    /// answers in flight when disconnecting (the grace period, 5 s).
    pub fn peer_timeouts(mut self, connect: Duration, cea: Duration, grace: Duration) -> Self {
        self.peer_timeouts = (connect, cea, grace);
        self
    }

    /// The watchdog's Tw (30 s by default).
    pub fn watchdog(mut self, config: WatchdogConfig) -> Self {
        self.watchdog = config;
        self
    }

    /// Reconnect delays of static peers.
    pub fn backoff(mut self, config: BackoffConfig) -> Self {
        self.backoff = config;
        self
    }

    /// How long `call` waits for an answer (10 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The largest message accepted (1 MiB); a longer one closes the connection.
    pub fn max_message_len(mut self, len: u32) -> Self {
        self.decode = self.decode.with_max_message_len(len);
        self
    }

    /// Request handlers that may run at once per connection (256); past it the node stops
    /// reading from that peer until one finishes.
    pub fn max_concurrent_handlers(mut self, n: usize) -> Self {
        self.conn.max_handlers = n;
        self
    }

    /// Connection settings (queues, coalescing, flush timeout).
    pub fn connection(mut self, config: ConnConfig) -> Self {
        self.conn = config;
        self
    }

    /// How received messages are decoded and checked (strict by default). Its
    /// `max_message_len` is the framing limit.
    pub fn decode_options(mut self, opts: DecodeOptions) -> Self {
        self.decode = opts;
        self
    }

    /// Seeds the jitter of watchdog and backoff timers, for repeatable tests.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Serves request type `R` with `handler`. The answer's identifiers, P bit, Origin-Host,
    /// Origin-Realm and Session-Id are the node's to fill (left empty in the answer, or set
    /// with [`Context::fill`]). Requests that break their grammar never reach the handler:
    /// the node answers them (Result-Code, Failed-AVP, E bit).
    pub fn handler<R, F, Fut>(mut self, handler: F) -> Self
    where
        R: Request,
        F: Fn(R, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R::Answer> + Send + 'static,
    {
        let key = (
            <R as Command<'static>>::APPLICATION_ID,
            <R as Command<'static>>::CODE,
        );
        // Options are read at registration: set decode options before handlers.
        self.handlers.insert(key, erase(handler, self.decode));
        self
    }

    /// Adds a route: what to do with requests for a realm (and, optionally, one application
    /// of it). Requests received for this node's own realm are served here unless a route
    /// says otherwise; requests for a realm no route names go to the
    /// [`default_route`](Self::default_route), or are answered 3003
    /// DIAMETER_REALM_NOT_SERVED. Requests this node sends with [`Node::call`] go to the
    /// peers of their realm's [`Action::Relay`] or [`Action::Proxy`] route first.
    ///
    /// ```
    /// use diameter_transport::{Action, Application, Node, Route};
    ///
    /// let node = Node::builder()
    ///     .origin_host("dra.example")
    ///     .origin_realm("example")
    ///     .applications([Application::RELAY])
    ///     .route(Route::new("home.net", Action::relay(["ocs1.home.net", "ocs2.home.net"])))
    ///     .route(Route::new("home.net", Action::redirect(["hss.home.net"])).application(16777251))
    ///     .default_route(Action::relay(["upstream-dra.example"]))
    ///     .build()?;
    /// # Ok::<(), diameter_transport::NodeError>(())
    /// ```
    pub fn route(mut self, route: Route) -> Self {
        self.routes.routes.push(route);
        self
    }

    /// What to do with requests for realms no route names (default: answer 3003).
    pub fn default_route(mut self, action: Action) -> Self {
        self.routes.default = Some(action);
        self
    }

    /// Duplicate detection of received requests: the answers of the last `capacity`
    /// requests served here, kept at most `lifetime`, are sent again to a retransmission
    /// (T flag) with the same Origin-Host and End-to-End Identifier instead of running its
    /// handler twice. 16384 answers for 120 s by default; a capacity of 0 turns it off.
    pub fn duplicate_detection(mut self, capacity: usize, lifetime: Duration) -> Self {
        self.duplicates = (capacity, lifetime);
        self
    }

    /// Serves command `command_code` of application `application_id` with an untyped handler:
    /// it gets the request's bytes and returns the answer's bytes, for answerers that work on
    /// any command (a test responder answering from the dictionary's grammars). The node sets
    /// the answer's identifiers and P bit, and fills an empty Session-Id, Origin-Host or
    /// Origin-Realm; the request reaches the handler without a grammar check.
    pub fn raw_handler<F, Fut>(mut self, application_id: u32, command_code: u32, handler: F) -> Self
    where
        F: Fn(Bytes, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = BytesMut> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let erased: ErasedHandler = Arc::new(move |frame: Bytes, ctx: Context| {
            let answer = handler(frame, ctx);
            Box::pin(async move { Handled::Answer(answer.await) }) as BoxFuture<Handled>
        });
        self.handlers.insert((application_id, command_code), erased);
        self
    }

    /// The TLS settings used by [`Node::listen_tls`], [`Node::connect_tls`] and in-band TLS.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: crate::tls::TlsConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// TLS after CER/CEA, the RFC 3588 way, on plain connections ([`Node::listen`],
    /// [`Node::connect`]): the node advertises Inband-Security-Id TLS (1), and NO_INBAND_SECURITY
    /// (0) too unless `required`; when both sides offer TLS, the handshake starts right after
    /// the CEA, and the certificate must name the Origin-Host of the CER/CEA. A peer offering
    /// only 0 gets 5017 when TLS is required. Needs [`tls`](Self::tls).
    #[cfg(feature = "tls")]
    pub fn inband_tls(mut self, required: bool) -> Self {
        use crate::capabilities::inband_security::{NO_INBAND_SECURITY, TLS};
        self.inband = true;
        self.capabilities.inband_security = if required {
            vec![TLS]
        } else {
            vec![NO_INBAND_SECURITY, TLS]
        };
        self
    }

    /// Calls `hook` on every [`NodeEvent`]. It runs inside the node's tasks: keep it short
    /// (send to a channel).
    pub fn on_event(mut self, hook: impl Fn(&NodeEvent) + Send + Sync + 'static) -> Self {
        self.events = Some(Arc::new(hook));
        self
    }

    /// The node. Must be called inside a tokio runtime only when used (it spawns nothing).
    pub fn build(self) -> Result<Node, NodeError> {
        let host = self.origin_host.ok_or(NodeError::Missing("Origin-Host"))?;
        let realm = self
            .origin_realm
            .ok_or(NodeError::Missing("Origin-Realm"))?;
        let ident = |field, v: &str| {
            DiameterIdentity::try_from(v.to_owned()).map_err(|_| NodeError::InvalidIdentity {
                field,
                value: v.to_owned(),
            })
        };
        let identity = Identity {
            origin_host: ident("Origin-Host", &host)?,
            origin_realm: ident("Origin-Realm", &realm)?,
        };
        let mut local = self.capabilities;
        local.origin_host = host.clone();
        local.origin_realm = realm;
        let apps = local.applications();
        if apps.is_empty() {
            return Err(NodeError::NoApplication);
        }
        #[cfg(feature = "tls")]
        if self.inband && self.tls.is_none() {
            return Err(NodeError::NoTls);
        }
        let local_apps = apps.iter().map(|a| a.id).collect();
        let relay = local.is_relay();
        let local = Arc::new(local);
        let accept = Arc::new(self.accept);
        let mut peer_config = PeerConfig::new(Arc::clone(&local), Arc::clone(&accept));
        (
            peer_config.connect_timeout,
            peer_config.cea_timeout,
            peer_config.dpa_timeout,
        ) = self.peer_timeouts;
        let mut seed = match self.seed {
            Some(s) => JitterRng::from_seed(s),
            None => JitterRng::from_entropy(),
        };
        // RFC 6733 section 3: end-to-end identifiers start with the low 12 bits of the time in
        // the high bits and random low bits.
        let e2e = (process_start_secs() << 20) | (seed.next_u64() as u32 & 0x000f_ffff);
        Ok(Node {
            inner: Arc::new(NodeInner {
                identity: Arc::new(identity),
                sessions: SessionIdGenerator::new(host),
                local,
                local_apps,
                relay,
                peer_config,
                watchdog: self.watchdog,
                backoff: self.backoff,
                conn: self.conn,
                decode: self.decode,
                request_timeout: self.request_timeout,
                handlers: self.handlers,
                events: self.events,
                peers: Mutex::new(Vec::new()),
                commands: CommandCounters::default(),
                routes: self.routes,
                duplicates: dedup::Duplicates::new(self.duplicates.0, self.duplicates.1),
                redirects: redirects::Redirects::default(),
                next_e2e: AtomicU32::new(e2e),
                next_conn: AtomicU64::new(1),
                next_peer: AtomicUsize::new(0),
                seed: Mutex::new(seed),
                listeners: Mutex::new(Vec::new()),
                #[cfg(feature = "tls")]
                tls: self.tls,
                #[cfg(feature = "tls")]
                inband: self.inband,
            }),
        })
    }
}

/// Marks an encoded answer as answering `request`: its identifiers and P bit.
pub(crate) fn answer_header(buf: &mut [u8], request: &Header) {
    wire::set_ids(buf, request.hop_by_hop, request.end_to_end);
    wire::set_flag(buf, CommandFlags::PROXIABLE, request.flags.is_proxiable());
}
