//! The peer driver: one task per peer runs its [`PeerMachine`] and [`Watchdog`], carries out
//! their actions on the peer's connections, and publishes the open connection for requests.
//!
//! Messages take two paths. The peer layer's (CER/CEA, DWR/DWA, DPR/DPA, and anything before
//! the capability exchange is done) go from the connection's reader to this task; application
//! requests and answers never do: the reader hands answers to the waiting caller and starts
//! handlers itself ([`Dispatch`]), so the task is not on the path of every message. The
//! watchdog still sees all traffic: the reader counts messages, and at each watchdog deadline
//! the task asks whether the count moved (traffic pushes the timer back) before acting on the
//! silence.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use diameter_messages::base::{
    CapabilitiesExchangeAnswer, CapabilitiesExchangeRequest, DisconnectCause, DisconnectPeerRequest,
};
use diameter_runtime::answer::{error_answer, error_answer_with, Problem};
use diameter_runtime::consts::{command_code, result_code};
use diameter_runtime::dictionary::GrammarDef;
use diameter_runtime::frame::{self, Frame};
use diameter_runtime::header::Header;
use diameter_runtime::{Command, Violation};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::Instrument;

use super::dedup::Seen;
use super::routing::Decision;
use super::{answer_header, lock, relay, Context, Handled, NodeEvent, NodeInner, PeerInfo};
use crate::backoff::Backoff;
use crate::capabilities::{Capabilities, Negotiated};
use crate::conn::{Conn, Io, ReadEnd, Sink};
use crate::peer::{Conn as Role, PeerAction, PeerError, PeerEvent, PeerMachine, PeerState};
use crate::slots::Slot;
use crate::stats::Counters;
use crate::watchdog::{Watchdog, WatchdogAction, WatchdogState};
use crate::wire;

/// What a peer's task is told.
pub(crate) enum PeerMsg {
    /// Our connection attempt `attempt` succeeded.
    ConnAck { attempt: u64, conn: Arc<Conn> },
    /// Our connection attempt `attempt` failed.
    ConnNack { attempt: u64 },
    /// The peer connected to us and sent this CER (R-Conn-CER).
    NewConn {
        conn: Arc<Conn>,
        caps: Box<Capabilities>,
        ids: (u32, u32),
    },
    /// A message of the peer layer, or any message before the peer is open.
    Frame { conn: u64, frame: Bytes },
    /// A connection's reader stopped.
    Closed { conn: u64, end: ReadEnd },
    /// Disconnect with DPR and stop; `done` is told when the peer is closed.
    Stop {
        cause: DisconnectCause,
        done: oneshot::Sender<()>,
    },
}

/// Starts a connection over a stream the caller opened, once its peer is known.
type OpenGiven = Box<dyn FnOnce(Arc<PeerShared>) -> Arc<Conn> + Send>;

/// How a static peer is reached.
pub(crate) enum Dial {
    /// Over TCP, again after each failure.
    Tcp(SocketAddr),
    /// Over TLS over TCP (TLS at connect), the server's certificate checked against `name`;
    /// again after each failure.
    #[cfg(feature = "tls")]
    Tls {
        addr: SocketAddr,
        name: rustls::pki_types::ServerName<'static>,
        config: crate::tls::TlsConfig,
    },
    /// Over a connection opened by the caller, once.
    Given(Mutex<Option<OpenGiven>>),
}

impl Dial {
    pub(crate) fn given<I: Io>(node: &Arc<NodeInner>, io: I) -> Dial {
        let node = Arc::clone(node);
        Dial::Given(Mutex::new(Some(Box::new(move |peer: Arc<PeerShared>| {
            spawn_conn(&node, &peer, io, BytesMut::new())
        }))))
    }
}

/// What the node and the peer's task share.
pub(crate) struct PeerShared {
    pub(crate) tx: mpsc::Sender<PeerMsg>,
    /// Shared, so that the request path takes it without copying the string.
    host: Mutex<Option<Arc<str>>>,
    /// The open connection and what it agreed, while the watchdog lets it carry requests.
    usable: Mutex<Option<(Arc<Conn>, Arc<Negotiated>)>>,
    status: Mutex<(PeerState, WatchdogState)>,
    address: Option<SocketAddr>,
    pub(crate) counters: Counters,
}

impl PeerShared {
    pub(crate) fn host(&self) -> Option<String> {
        lock(&self.host).as_deref().map(str::to_owned)
    }

    /// The peer's Origin-Host without a copy (one reference count), for the request path.
    pub(crate) fn host_shared(&self) -> Option<Arc<str>> {
        lock(&self.host).clone()
    }

    /// Whether the peer has an open connection that may carry requests (of any application).
    pub(crate) fn is_usable(&self) -> bool {
        lock(&self.usable)
            .as_ref()
            .is_some_and(|(c, _)| !c.is_closing())
    }

    /// The open connection when it may carry requests of `application_id`: what routing
    /// asks of each peer, per request, with one lock and one reference count.
    pub(crate) fn usable_for(&self, application_id: u32) -> Option<Arc<Conn>> {
        let u = lock(&self.usable);
        u.as_ref()
            .filter(|(c, n)| !c.is_closing() && n.allows(application_id))
            .map(|(c, _)| Arc::clone(c))
    }

    pub(crate) fn info(&self) -> PeerInfo {
        let (state, watchdog) = *lock(&self.status);
        // One look at the open connection (a second lock in the same expression would wait
        // on the first).
        let (applications, tls) = lock(&self.usable)
            .as_ref()
            .map(|(c, n)| (n.common.clone(), c.peer_cert.is_some()))
            .unwrap_or_default();
        PeerInfo {
            origin_host: self.host(),
            state,
            watchdog,
            address: self.address,
            applications,
            tls,
            counters: self.counters.snapshot(),
        }
    }
}

fn new_peer(
    node: &Arc<NodeInner>,
    host: Option<String>,
    address: Option<SocketAddr>,
) -> (Arc<PeerShared>, mpsc::Receiver<PeerMsg>) {
    let (tx, rx) = mpsc::channel(64);
    let shared = Arc::new(PeerShared {
        tx,
        host: Mutex::new(host.map(Arc::from)),
        usable: Mutex::new(None),
        status: Mutex::new((PeerState::Closed, WatchdogState::Initial)),
        address,
        counters: Counters::default(),
    });
    lock(&node.peers).push(Arc::clone(&shared));
    (shared, rx)
}

/// Starts the task of a peer this node connects to; `host`, its Origin-Host when known in
/// advance (a connection it opens to us then joins this task, for the election).
pub(crate) fn spawn_static(node: Arc<NodeInner>, dial: Dial, host: Option<String>) {
    let address = match &dial {
        Dial::Tcp(a) => Some(*a),
        #[cfg(feature = "tls")]
        Dial::Tls { addr, .. } => Some(*addr),
        Dial::Given(_) => None,
    };
    let span = tracing::info_span!("peer", addr = ?address, host = host.as_deref());
    let (shared, rx) = new_peer(&node, host, address);
    let task = PeerTask::new(node, shared, rx, Some(dial));
    tokio::spawn(task.run(true).instrument(span));
}

pub(super) fn spawn_conn<I: Io>(
    node: &Arc<NodeInner>,
    peer: &Arc<PeerShared>,
    io: I,
    leftover: BytesMut,
) -> Arc<Conn> {
    let first_hbh = node.rng().next_u64() as u32;
    Conn::spawn(
        io,
        node.next_conn_id(),
        &node.conn,
        node.decode,
        leftover,
        first_hbh,
        Arc::new(Dispatch {
            node: Arc::clone(node),
            peer: Arc::clone(peer),
        }),
    )
}

/// Serves a connection a peer opened: reads its CER, finds (or starts) the peer's task and
/// hands the connection over as R-Conn-CER.
pub(crate) async fn accept<I: Io>(node: Arc<NodeInner>, mut io: I) {
    let mut buf = BytesMut::with_capacity(4096);
    let first = tokio::time::timeout(
        node.peer_config.cea_timeout,
        read_first(&mut io, &mut buf, &node),
    )
    .await;
    let frame = match first {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "no CER: closing");
            return;
        }
        Err(_) => {
            tracing::debug!("no CER in time: closing");
            return;
        }
    };
    let Ok(header) = Header::decode_unchecked(&frame) else {
        return;
    };
    if header.command_code != command_code::CAPABILITIES_EXCHANGE || !header.flags.is_request() {
        tracing::debug!(
            code = header.command_code,
            "first message is not a CER: closing"
        );
        return;
    }
    let cer = match CapabilitiesExchangeRequest::decode_with(&frame, &node.decode) {
        Ok(d) if d.is_valid() => d.message,
        other => {
            // A CER we cannot accept as written is answered (RFC 6733 7.2), then closed.
            let answer = match &other {
                Ok(d) => d.error_answer(&frame, &node.identity),
                Err(e) => error_answer(&frame, Problem::Decode(e), &node.identity),
            };
            if let Some(a) = answer {
                let _ = io.write_all(&a.to_bytes()).await;
            }
            let _ = io.shutdown().await;
            return;
        }
    };
    let caps = Box::new(wire::caps_of_cer(&cer));
    if let Err(reason) = check_identity(io.peer_certificate().as_deref(), &caps.origin_host) {
        // RFC 6733 section 13: a peer whose certificate does not name it is not who it says.
        tracing::info!(%reason, "CER refused");
        let cea = wire::cea(&node.local, io.local_ip(), result_code::UNKNOWN_PEER);
        let bytes = wire::encode(&cea, header.hop_by_hop, header.end_to_end);
        let _ = io.write_all(&bytes).await;
        let _ = io.shutdown().await;
        node.emit(NodeEvent::CerReceived {
            origin_host: caps.origin_host.clone(),
            result_code: result_code::UNKNOWN_PEER,
        });
        return;
    }
    #[cfg(feature = "tls")]
    if let Some(config) = node.inband_tls() {
        if io.peer_certificate().is_none() {
            let ids = (header.hop_by_hop, header.end_to_end);
            match super::inband::respond(&node, &config, io, buf, &caps, ids).await {
                super::inband::Responded::Plain(io, buf) => {
                    admit(node, io, buf, caps, ids, false).await
                }
                super::inband::Responded::Tls(tls) => {
                    admit(node, *tls, BytesMut::new(), caps, ids, true).await;
                }
                super::inband::Responded::Failed => {}
            }
            return;
        }
    }
    let ids = (header.hop_by_hop, header.end_to_end);
    admit(node, io, buf, caps, ids, false).await;
}

/// Hands an accepted connection to its peer's task (started if the peer is new) as
/// R-Conn-CER. `cea_sent`: the CEA went out already (in-band TLS).
async fn admit<I: Io>(
    node: Arc<NodeInner>,
    io: I,
    buf: BytesMut,
    caps: Box<Capabilities>,
    ids: (u32, u32),
    cea_sent: bool,
) {
    let peer = {
        let peers = lock(&node.peers);
        peers
            .iter()
            .find(|p| {
                p.host()
                    .is_some_and(|h| h.eq_ignore_ascii_case(&caps.origin_host))
            })
            .cloned()
    };
    let peer = match peer {
        Some(p) => p,
        None => {
            let (shared, rx) = new_peer(&node, Some(caps.origin_host.clone()), None);
            let task = PeerTask::new(Arc::clone(&node), Arc::clone(&shared), rx, None);
            let span = tracing::info_span!("peer", host = %caps.origin_host);
            tokio::spawn(task.run(false).instrument(span));
            shared
        }
    };
    let conn = spawn_conn(&node, &peer, io, buf);
    conn.cea_sent
        .store(cea_sent, std::sync::atomic::Ordering::Release);
    let _ = peer.tx.send(PeerMsg::NewConn { conn, caps, ids }).await;
}

/// Checks a TLS peer's certificate (DER) against the Origin-Host it gave; a connection
/// without TLS has nothing to check.
fn check_identity(cert: Option<&[u8]>, origin_host: &str) -> Result<(), String> {
    match cert {
        None => Ok(()),
        #[cfg(feature = "tls")]
        Some(der) => crate::tls::names_host(der, origin_host),
        // Without the feature no stream has a certificate.
        #[cfg(not(feature = "tls"))]
        Some(_) => {
            let _ = origin_host;
            Ok(())
        }
    }
}

pub(super) async fn read_first<I: Io>(
    io: &mut I,
    buf: &mut BytesMut,
    node: &NodeInner,
) -> Result<Bytes, ReadEnd> {
    loop {
        match frame::check(buf, &node.decode) {
            Ok(Frame::Complete(n)) => return Ok(buf.split_to(n).freeze()),
            Ok(Frame::Incomplete(need)) => {
                buf.reserve(need.saturating_sub(buf.len()));
                if io.read_buf(buf).await? == 0 {
                    return Err(ReadEnd::Eof);
                }
            }
            Err(e) => return Err(ReadEnd::Framing(e)),
        }
    }
}

async fn tcp_connect(addr: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Tells the peer's task how a connection attempt went; a connection its task is no longer
/// there to take is closed.
async fn deliver(peer: &PeerShared, msg: PeerMsg) {
    if let Err(mpsc::error::SendError(PeerMsg::ConnAck { conn, .. })) = peer.tx.send(msg).await {
        conn.close().await;
    }
}

/// A connection's reader hands messages here.
pub(crate) struct Dispatch {
    node: Arc<NodeInner>,
    peer: Arc<PeerShared>,
}

impl Sink for Dispatch {
    async fn frame(&self, conn: &Arc<Conn>, frame: Bytes) {
        let Ok(header) = Header::decode_unchecked(&frame) else {
            return;
        };
        if wire::is_base(&header) || !conn.open.load(std::sync::atomic::Ordering::Acquire) {
            let msg = PeerMsg::Frame {
                conn: conn.id,
                frame,
            };
            let _ = self.peer.tx.send(msg).await;
            return;
        }
        dispatch_app(&self.node, &self.peer, conn, frame, header).await;
    }

    fn closed(&self, conn: &Arc<Conn>, end: ReadEnd) {
        let tx = self.peer.tx.clone();
        let id = conn.id;
        tokio::spawn(async move {
            let _ = tx.send(PeerMsg::Closed { conn: id, end }).await;
        });
    }
}

/// An application message on an open connection: an answer goes to its caller, a request to
/// its handler (once a handler slot is free: waiting here stops the reader).
async fn dispatch_app(
    node: &Arc<NodeInner>,
    peer: &Arc<PeerShared>,
    conn: &Arc<Conn>,
    frame: Bytes,
    header: Header,
) {
    if !header.flags.is_request() {
        if !conn.answer(header.hop_by_hop, frame) {
            peer.counters.unexpected_answer();
            tracing::debug!(
                hop_by_hop = header.hop_by_hop,
                "answer to no pending request: dropped"
            );
        }
        return;
    }
    let slot = conn.handlers.take().await;
    let node = Arc::clone(node);
    let peer = Arc::clone(peer);
    let conn = Arc::clone(conn);
    let span = tracing::debug_span!(
        "request",
        app = header.application_id,
        code = header.command_code,
        hbh = header.hop_by_hop
    );
    // Most handlers answer without waiting: run the request on the reader's task until it
    // first waits, and spawn a task only for a handler that does (saves a spawn and a
    // wake-up per request under load). A wake-up that comes before the spawned task first
    // polls reaches the reader instead, which is harmless: the new task polls anyway.
    let mut served = Box::pin(serve(node, peer, conn, frame, header, slot).instrument(span));
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(served.as_mut().poll(cx))).await;
    if first.is_pending() {
        tokio::spawn(served);
    }
}

/// Answers one request: routes it (RFC 6733 6.1), then serves it here, forwards it, or
/// answers it with a routing error; the slot is held until the answer is queued.
async fn serve(
    node: Arc<NodeInner>,
    peer: Arc<PeerShared>,
    conn: Arc<Conn>,
    frame: Bytes,
    header: Header,
    slot: Slot,
) {
    let command = node
        .commands
        .get(header.application_id, header.command_code);
    peer.counters.request_received();
    command.request_received();
    let scan = wire::scan(&frame);
    let answer = match node.decide(&header, &frame, &scan) {
        Decision::Local => serve_here(&node, &peer, &command, &frame, header, &scan).await,
        Decision::Forward { peers, any } => {
            let to = relay::Targets { peers: &peers, any };
            relay::forward(&node, &peer, &command, &frame, &header, &scan, to).await
        }
        Decision::Refuse { code, message } => {
            peer.counters.routing_error();
            relay::refusal(&node, &frame, code, message, Vec::new())
        }
        Decision::Redirect {
            hosts,
            usage,
            max_cache_time,
        } => {
            peer.counters.redirect();
            relay::redirect(&node, &frame, &hosts, usage, max_cache_time)
        }
    };
    if let Some((bytes, code)) = answer {
        peer.counters.answer_sent(code);
        command.answer_sent(code);
        conn.send_app(bytes).await;
    }
    drop(slot);
    conn.handler_done();
}

/// Serves a request for this node, once: a retransmission (T flag) of a request served
/// already gets the same answer again (see `dedup`).
async fn serve_here(
    node: &Arc<NodeInner>,
    peer: &Arc<PeerShared>,
    command: &Counters,
    frame: &Bytes,
    header: Header,
    scan: &wire::Scan,
) -> Option<(Bytes, u32)> {
    let origin_host = wire::Scan::get(frame, scan.origin_host).unwrap_or_default();
    let retransmit = header.flags.is_retransmit();
    let ticket = match node
        .duplicates
        .check(origin_host, header.end_to_end, retransmit)
    {
        Seen::New(ticket) => ticket,
        Seen::Answered(earlier) => return Some(repeat(peer, &header, &earlier)),
        Seen::Running => {
            let earlier = node
                .duplicates
                .wait(origin_host, header.end_to_end, node.request_timeout)
                .await;
            return match earlier {
                Some(a) => Some(repeat(peer, &header, &a)),
                None => {
                    tracing::debug!("retransmission of a request not answered in time: dropped");
                    None
                }
            };
        }
    };
    let answer = answer_here(node, peer, command, frame, header, scan).await;
    if let Some(t) = ticket {
        node.duplicates
            .finish(t, answer.as_ref().map(|(bytes, _)| bytes.clone()));
    }
    answer
}

/// An answer given before, with the retransmission's hop-by-hop identifier.
fn repeat(peer: &PeerShared, header: &Header, earlier: &Bytes) -> (Bytes, u32) {
    peer.counters.duplicate_answered();
    tracing::debug!(
        e2e = header.end_to_end,
        "duplicate request: the earlier answer again"
    );
    let mut answer = BytesMut::from(&earlier[..]);
    wire::set_ids(&mut answer, header.hop_by_hop, header.end_to_end);
    let code = wire::scan(&answer).result_code.unwrap_or(0);
    (answer.freeze(), code)
}

/// The answer of this node: its handler's, or the node's own when the request is invalid or
/// has no handler (3001 unknown command, 3007 unsupported application).
async fn answer_here(
    node: &Arc<NodeInner>,
    peer: &Arc<PeerShared>,
    command: &Counters,
    frame: &Bytes,
    header: Header,
    scan: &wire::Scan,
) -> Option<(Bytes, u32)> {
    let handler = node
        .handlers
        .get(&(header.application_id, header.command_code))
        .or_else(|| {
            // A base session command (RAR, ASR, STR) serves any application the node has.
            node.serves(header.application_id)
                .then(|| node.handlers.get(&(0, header.command_code)))
                .flatten()
        });
    let handled = match handler {
        Some(h) => {
            let ctx = Context {
                peer_host: peer.host_shared().unwrap_or_else(|| Arc::from("")),
                header,
                // A slice of the frame: no copy per request.
                session_id: scan
                    .session_id
                    .filter(|&(a, b)| a <= b && b <= frame.len())
                    .map(|(a, b)| frame.slice(a..b)),
                identity: Arc::clone(&node.identity),
            };
            h(frame.clone(), ctx).await
        }
        None => {
            let (code, message) =
                if header.application_id != 0 && !node.serves(header.application_id) {
                    (
                        result_code::APPLICATION_UNSUPPORTED,
                        format!("application {} is not supported", header.application_id),
                    )
                } else {
                    (
                        result_code::COMMAND_UNSUPPORTED,
                        format!(
                            "command {} of application {} is not supported",
                            header.command_code, header.application_id
                        ),
                    )
                };
            Handled::Invalid(vec![Violation::of_message(code, message)], None)
        }
    };
    match handled {
        Handled::Answer(mut buf) => {
            answer_header(&mut buf, &header);
            let answer_scan = wire::scan(&buf);
            let session = wire::Scan::get(frame, scan.session_id).unwrap_or_default();
            wire::fill_identities(
                &mut buf,
                &answer_scan,
                &wire::Identities {
                    origin_host: node.identity.origin_host.as_bytes(),
                    origin_realm: node.identity.origin_realm.as_bytes(),
                    session_id: wire::SessionFill::Copy(session),
                },
            );
            // Filling identities leaves the Result-Code where it was.
            let code = answer_scan.result_code.unwrap_or(0);
            Some((buf.freeze(), code))
        }
        Handled::Unreadable(e, grammar) => {
            peer.counters.protocol_error_answered();
            command.protocol_error_answered();
            reject(node, frame, Problem::Decode(&e), grammar)
        }
        Handled::Invalid(v, grammar) => {
            peer.counters.protocol_error_answered();
            command.protocol_error_answered();
            reject(node, frame, Problem::Violations(&v), grammar)
        }
    }
}

/// The node's own answer to a request it will not hand to a handler; with the request's
/// answer grammar, a 5xxx answer carries the AVPs it requires that the request holds.
fn reject(
    node: &NodeInner,
    frame: &[u8],
    problem: Problem<'_>,
    answer_grammar: Option<&GrammarDef>,
) -> Option<(Bytes, u32)> {
    let answer = error_answer_with(frame, problem, &node.identity, answer_grammar)?;
    let code = answer
        .find(diameter_runtime::consts::avp_code::RESULT_CODE, 0)
        .and_then(|a| a.value::<u32>().ok())
        .unwrap_or(0);
    tracing::debug!(result_code = code, "request answered by the node");
    Some((answer.to_bytes(), code))
}

/// One peer's task. See the module documentation.
struct PeerTask {
    node: Arc<NodeInner>,
    shared: Arc<PeerShared>,
    rx: mpsc::Receiver<PeerMsg>,
    dial: Option<Dial>,
    machine: PeerMachine,
    watchdog: Watchdog,
    backoff: Backoff,
    initiator: Option<Arc<Conn>>,
    responder: Option<Arc<Conn>>,
    /// The connection of an R-Conn-CER until the machine accepts or rejects it, with the
    /// CER's identifiers.
    candidate: Option<(Arc<Conn>, (u32, u32))>,
    responder_cer: (u32, u32),
    /// The identifiers of the DWR or DPR being answered.
    answering: (u32, u32),
    attempt: u64,
    reconnect_at: Option<Instant>,
    reconnect: bool,
    /// The next Disconnect closes after the answers in flight (an orderly DPR/DPA), not at
    /// once (a broken connection).
    graceful: bool,
    seen_rx: u64,
    error: Option<PeerError>,
    /// Why the last CEA was refused on TLS grounds, reported instead of the machine's error.
    identity_error: Option<PeerError>,
    stop_waiters: Vec<oneshot::Sender<()>>,
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl PeerTask {
    fn new(
        node: Arc<NodeInner>,
        shared: Arc<PeerShared>,
        rx: mpsc::Receiver<PeerMsg>,
        dial: Option<Dial>,
    ) -> Self {
        let machine = PeerMachine::new(node.peer_config.clone());
        let watchdog = Watchdog::new(node.watchdog, node.rng(), now());
        let backoff = Backoff::new(node.backoff.clone(), node.rng());
        let reconnect = matches!(dial, Some(Dial::Tcp(_)));
        #[cfg(feature = "tls")]
        let reconnect = reconnect || matches!(dial, Some(Dial::Tls { .. }));
        PeerTask {
            node,
            shared,
            rx,
            dial,
            machine,
            watchdog,
            backoff,
            initiator: None,
            responder: None,
            candidate: None,
            responder_cer: (0, 0),
            answering: (0, 0),
            attempt: 0,
            reconnect_at: None,
            reconnect,
            graceful: false,
            seen_rx: 0,
            error: None,
            identity_error: None,
            stop_waiters: Vec::new(),
        }
    }

    async fn run(mut self, start: bool) {
        if start {
            self.feed(PeerEvent::Start).await;
        }
        loop {
            let peer_deadline = self.machine.deadline().map(Instant::from_std);
            let wd_deadline = matches!(
                self.watchdog.state(),
                WatchdogState::Okay | WatchdogState::Suspect | WatchdogState::Reopen
            )
            .then(|| Instant::from_std(self.watchdog.deadline()));
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(m) => self.on_msg(m).await,
                    None => break,
                },
                _ = sleep_until(peer_deadline) => self.feed(PeerEvent::Timeout).await,
                _ = sleep_until(wd_deadline) => self.on_watchdog_timer().await,
                _ = sleep_until(self.reconnect_at) => {
                    self.reconnect_at = None;
                    self.feed(PeerEvent::Start).await;
                }
            }
            if self.machine.state() == PeerState::Closed
                && self.reconnect_at.is_none()
                && self.candidate.is_none()
            {
                break;
            }
        }
        for w in self.stop_waiters.drain(..) {
            let _ = w.send(());
        }
        self.publish(false);
        lock(&self.node.peers).retain(|p| !Arc::ptr_eq(p, &self.shared));
        tracing::debug!("peer task ended");
    }

    fn role_of(&self, conn: u64) -> Option<Role> {
        if self.initiator.as_ref().is_some_and(|c| c.id == conn) {
            Some(Role::Initiator)
        } else if self.responder.as_ref().is_some_and(|c| c.id == conn) {
            Some(Role::Responder)
        } else {
            None
        }
    }

    fn conn(&self, role: Role) -> Option<&Arc<Conn>> {
        match role {
            Role::Initiator => self.initiator.as_ref(),
            Role::Responder => self.responder.as_ref(),
        }
    }

    async fn on_msg(&mut self, msg: PeerMsg) {
        match msg {
            PeerMsg::ConnAck { attempt, conn } if attempt == self.attempt => {
                self.initiator = Some(conn);
                self.feed(PeerEvent::IRcvConnAck).await;
            }
            PeerMsg::ConnAck { conn, .. } => {
                // A stale attempt (its timer ran out already).
                tokio::spawn(async move { conn.close().await });
            }
            PeerMsg::ConnNack { attempt } if attempt == self.attempt => {
                self.feed(PeerEvent::IRcvConnNack).await;
            }
            PeerMsg::ConnNack { .. } => {}
            PeerMsg::NewConn { conn, caps, ids } => {
                if let Some((old, _)) = self.candidate.replace((conn, ids)) {
                    tokio::spawn(async move { old.close().await });
                }
                self.feed(PeerEvent::RConnCer(caps)).await;
                // Whatever the machine did not adopt is closed.
                if let Some((c, _)) = self.candidate.take() {
                    tokio::spawn(async move { c.close().await });
                }
            }
            PeerMsg::Frame { conn, frame } => self.on_frame(conn, frame).await,
            PeerMsg::Closed { conn, end } => {
                let Some(role) = self.role_of(conn) else {
                    return;
                };
                self.graceful = false;
                if let ReadEnd::Framing(e) = &end {
                    // The stream is unreadable from here on: say goodbye if the peer still
                    // listens, then close.
                    tracing::info!(error = %e, "framing error: closing the connection");
                    if let Some(c) = self.conn(role) {
                        let dpr = wire::dpr(
                            &self.node.local,
                            DisconnectCause::DO_NOT_WANT_TO_TALK_TO_YOU,
                        );
                        let bytes = wire::encode(&dpr, c.next_hop_by_hop(), self.node.next_e2e());
                        c.send_priority(bytes).await;
                    }
                }
                self.feed(PeerEvent::PeerDisc(role)).await;
            }
            PeerMsg::Stop { cause, done } => {
                self.reconnect = false;
                self.reconnect_at = None;
                self.stop_waiters.push(done);
                self.graceful = true;
                self.feed(PeerEvent::Stop(cause)).await;
            }
        }
    }

    async fn on_frame(&mut self, conn_id: u64, frame: Bytes) {
        let Some(role) = self.role_of(conn_id) else {
            return;
        };
        let Ok(header) = Header::decode_unchecked(&frame) else {
            return;
        };
        let ids = (header.hop_by_hop, header.end_to_end);
        let request = header.flags.is_request();
        match (header.command_code, request) {
            (command_code::CAPABILITIES_EXCHANGE, false) => {
                let event = match CapabilitiesExchangeAnswer::decode_with(&frame, &self.node.decode)
                {
                    // A CEA with violations still says yes or no; its Result-Code decides.
                    Ok(d) => {
                        let caps = wire::caps_of_cea(&d.message);
                        let cert = self.initiator.as_ref().and_then(|c| c.peer_cert.as_deref());
                        match check_identity(cert, &caps.origin_host) {
                            Ok(()) => PeerEvent::IRcvCea {
                                result_code: d.message.result_code,
                                capabilities: Box::new(caps),
                            },
                            Err(reason) => {
                                // Not the peer it claims to be: the exchange fails as if no
                                // CEA came, with this error reported.
                                self.identity_error = Some(PeerError::Tls {
                                    origin_host: caps.origin_host,
                                    reason,
                                });
                                PeerEvent::IRcvNonCea
                            }
                        }
                    }
                    Err(_) => PeerEvent::IRcvNonCea,
                };
                self.feed(event).await;
            }
            (command_code::DEVICE_WATCHDOG, true) => {
                self.shared.counters.watchdog_request_received();
                self.answering = ids;
                self.feed(PeerEvent::RcvDwr(role)).await;
            }
            (command_code::DEVICE_WATCHDOG, false) => {
                self.shared.counters.watchdog_answer_received();
                self.feed(PeerEvent::RcvDwa(role)).await;
            }
            (command_code::DISCONNECT_PEER, true) => {
                let cause = DisconnectPeerRequest::decode_with(&frame, &self.node.decode)
                    .map(|d| d.message.disconnect_cause)
                    .unwrap_or(DisconnectCause::REBOOTING);
                self.answering = ids;
                self.graceful = true;
                self.feed(PeerEvent::RcvDpr(role, cause)).await;
            }
            (command_code::DISCONNECT_PEER, false) => {
                self.graceful = true;
                self.feed(PeerEvent::RcvDpa(role)).await;
            }
            _ if self.machine.state() == PeerState::WaitICea && role == Role::Initiator => {
                self.feed(PeerEvent::IRcvNonCea).await;
            }
            _ => {
                // An application message that crossed our setting the connection open: serve
                // it as the reader would have.
                let open = self.machine.is_open() || self.machine.state() == PeerState::Closing;
                if let (true, Some(c)) = (open, self.conn(role).cloned()) {
                    dispatch_app(&self.node, &self.shared, &c, frame, header).await;
                }
            }
        }
    }

    async fn on_watchdog_timer(&mut self) {
        let t = now();
        let rx = self
            .machine
            .open_conn()
            .and_then(|r| self.conn(r))
            .map(|c| (c.rx_count(), c.last_rx()));
        let actions = match rx {
            // Traffic since the last look: a sign of life, as RFC 3539 counts any message.
            // The timer restarts from the last message, so silence is measured from there
            // (a deadline already past fires again at once, now as silence).
            Some((count, at)) if count != self.seen_rx => {
                self.seen_rx = count;
                self.watchdog.on_receive(false, at.min(t))
            }
            _ => self.watchdog.on_timer(t),
        };
        self.watchdog_actions(actions).await;
    }

    async fn watchdog_actions(&mut self, actions: crate::watchdog::WatchdogActions) {
        let host = self.shared.host().unwrap_or_default();
        for a in actions {
            match a {
                WatchdogAction::SendDwr => {
                    if let Some(c) = self.machine.open_conn().and_then(|r| self.conn(r)) {
                        let dwr = wire::dwr(&self.node.local);
                        let bytes = wire::encode(&dwr, c.next_hop_by_hop(), self.node.next_e2e());
                        if c.send_priority(bytes).await {
                            self.shared.counters.watchdog_request_sent();
                        }
                    }
                }
                WatchdogAction::Failover => {
                    self.publish(false);
                    // Requests waiting on the peer fail over to another peer when there is
                    // one (RFC 3539 section 3.4); their callers decide.
                    for c in [&self.initiator, &self.responder].into_iter().flatten() {
                        c.suspect();
                    }
                    self.node.emit(NodeEvent::Watchdog {
                        origin_host: host.clone(),
                        state: self.watchdog.state(),
                    });
                }
                WatchdogAction::Failback => {
                    self.publish(true);
                    self.node.emit(NodeEvent::Watchdog {
                        origin_host: host.clone(),
                        state: self.watchdog.state(),
                    });
                }
                WatchdogAction::CloseConnection => {
                    self.node.emit(NodeEvent::Watchdog {
                        origin_host: host.clone(),
                        state: self.watchdog.state(),
                    });
                    if let Some(role) = self.machine.open_conn() {
                        self.graceful = false;
                        // Boxed: feeding the machine can lead back here.
                        Box::pin(self.feed(PeerEvent::PeerDisc(role))).await;
                    }
                }
                // Reconnecting is the backoff's job; nothing else is received while REOPEN.
                WatchdogAction::AttemptOpen | WatchdogAction::Discard => {}
            }
        }
        self.update_status();
    }

    /// Feeds the machine, carries out its actions, and follows the state change.
    async fn feed(&mut self, event: PeerEvent) {
        let step = self.machine.handle(event, now());
        if step.ignored {
            tracing::trace!(state = %step.from, "event ignored");
        }
        for a in step.actions {
            self.act(a).await;
        }
        if step.from != step.to {
            tracing::debug!(from = %step.from, to = %step.to, "peer state");
            self.entered(step.from, step.to).await;
        }
        self.update_status();
    }

    async fn send_on(&self, role: Role, bytes: Bytes) {
        if let Some(c) = self.conn(role) {
            c.send_priority(bytes).await;
        }
    }

    async fn act(&mut self, action: PeerAction) {
        let local = Arc::clone(&self.node.local);
        match action {
            PeerAction::Connect => self.dial(),
            PeerAction::Accept => {
                if let Some((c, ids)) = self.candidate.take() {
                    self.responder = Some(c);
                    self.responder_cer = ids;
                }
            }
            PeerAction::Reject { result_code } => {
                if let Some((c, (hbh, e2e))) = self.candidate.take() {
                    if let Some(code) = result_code {
                        let cea = wire::cea(&local, c.local_ip, code);
                        c.send_priority(wire::encode(&cea, hbh, e2e)).await;
                        self.node.emit(NodeEvent::CerReceived {
                            origin_host: self.shared.host().unwrap_or_default(),
                            result_code: code,
                        });
                    }
                    tokio::spawn(async move { c.close().await });
                }
            }
            PeerAction::SendCer => {
                if let Some((c, cea)) = self
                    .initiator
                    .as_ref()
                    .and_then(|c| c.take_pre_cea().map(|cea| (c.id, cea)))
                {
                    // CER/CEA went over the plain stream before TLS (in-band TLS): the CEA
                    // is read now, as if it had just arrived.
                    let tx = self.shared.tx.clone();
                    tokio::spawn(async move {
                        let _ = tx
                            .send(PeerMsg::Frame {
                                conn: c,
                                frame: cea,
                            })
                            .await;
                    });
                } else if let Some(c) = &self.initiator {
                    let cer = wire::cer(&local, c.local_ip);
                    let bytes = wire::encode(&cer, c.next_hop_by_hop(), self.node.next_e2e());
                    c.send_priority(bytes).await;
                }
            }
            PeerAction::SendCea { result_code } => {
                if let Some(c) = &self.responder {
                    let cea = wire::cea(&local, c.local_ip, result_code);
                    let (hbh, e2e) = self.responder_cer;
                    // Open before the CEA leaves, so that a request right behind it is served.
                    c.open.store(true, std::sync::atomic::Ordering::Release);
                    // With in-band TLS the CEA went out before the handshake.
                    if !c.cea_sent.swap(false, std::sync::atomic::Ordering::AcqRel) {
                        c.send_priority(wire::encode(&cea, hbh, e2e)).await;
                    }
                    self.node.emit(NodeEvent::CerReceived {
                        origin_host: self.shared.host().unwrap_or_default(),
                        result_code,
                    });
                }
            }
            PeerAction::SendDpr { conn, cause } => {
                let bytes = self.conn(conn).map(|c| {
                    wire::encode(
                        &wire::dpr(&local, cause),
                        c.next_hop_by_hop(),
                        self.node.next_e2e(),
                    )
                });
                if let Some(b) = bytes {
                    self.send_on(conn, b).await;
                }
            }
            PeerAction::SendDpa { conn } => {
                let (hbh, e2e) = self.answering;
                self.send_on(conn, wire::encode(&wire::dpa(&local), hbh, e2e))
                    .await;
            }
            PeerAction::SendDwa { conn } => {
                let (hbh, e2e) = self.answering;
                self.send_on(conn, wire::encode(&wire::dwa(&local), hbh, e2e))
                    .await;
            }
            PeerAction::ProcessDwa { conn } => {
                // The DWA is the traffic the count shows: already accounted for.
                if let Some(c) = self.conn(conn) {
                    self.seen_rx = c.rx_count();
                }
                let actions = self.watchdog.on_receive(true, now());
                Box::pin(self.watchdog_actions(actions)).await;
            }
            // Application messages do not pass through the machine (see the module docs).
            PeerAction::Send { .. } | PeerAction::Process { .. } => {}
            PeerAction::Disconnect(role) => {
                let conn = match role {
                    Role::Initiator => self.initiator.take(),
                    Role::Responder => self.responder.take(),
                };
                if let Some(c) = conn {
                    let grace = self.graceful.then_some(self.node.peer_config.dpa_timeout);
                    tokio::spawn(async move {
                        match grace {
                            Some(g) => c.close_gracefully(g).await,
                            None => c.close().await,
                        }
                    });
                }
            }
            PeerAction::Error(e) => {
                let e = self.identity_error.take().unwrap_or(e);
                tracing::info!(error = %e, "peer error");
                self.error = Some(e);
            }
        }
    }

    fn dial(&mut self) {
        self.attempt += 1;
        let attempt = self.attempt;
        match &self.dial {
            Some(Dial::Tcp(addr)) => {
                let (addr, node, peer) = (*addr, Arc::clone(&self.node), Arc::clone(&self.shared));
                let limit = node.peer_config.connect_timeout;
                tokio::spawn(
                    async move {
                        let msg = match tokio::time::timeout(limit, tcp_connect(addr)).await {
                            #[cfg(feature = "tls")]
                            Ok(Ok(stream)) if node.inband_tls().is_some() => {
                                match super::inband::initiate(&node, &peer, stream).await {
                                    Ok(conn) => PeerMsg::ConnAck { attempt, conn },
                                    Err(e) => {
                                        tracing::info!(error = %e, "in-band TLS failed");
                                        PeerMsg::ConnNack { attempt }
                                    }
                                }
                            }
                            Ok(Ok(stream)) => {
                                let conn = spawn_conn(&node, &peer, stream, BytesMut::new());
                                PeerMsg::ConnAck { attempt, conn }
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, "connect failed");
                                PeerMsg::ConnNack { attempt }
                            }
                            Err(_) => PeerMsg::ConnNack { attempt },
                        };
                        deliver(&peer, msg).await;
                    }
                    .in_current_span(),
                );
            }
            #[cfg(feature = "tls")]
            Some(Dial::Tls { addr, name, config }) => {
                let (addr, node, peer) = (*addr, Arc::clone(&self.node), Arc::clone(&self.shared));
                let (name, connector) = (
                    name.clone(),
                    tokio_rustls::TlsConnector::from(Arc::clone(&config.client)),
                );
                // The connection timer covers TCP and the TLS handshake.
                let limit = node.peer_config.connect_timeout;
                tokio::spawn(
                    async move {
                        let open = async {
                            let stream = tcp_connect(addr).await?;
                            connector.connect(name, stream).await
                        };
                        let msg = match tokio::time::timeout(limit, open).await {
                            Ok(Ok(stream)) => {
                                let conn = spawn_conn(&node, &peer, stream, BytesMut::new());
                                PeerMsg::ConnAck { attempt, conn }
                            }
                            Ok(Err(e)) => {
                                tracing::info!(error = %e, "TLS connect failed");
                                PeerMsg::ConnNack { attempt }
                            }
                            Err(_) => PeerMsg::ConnNack { attempt },
                        };
                        deliver(&peer, msg).await;
                    }
                    .in_current_span(),
                );
            }
            Some(Dial::Given(slot)) => {
                let open = lock(slot).take();
                let peer = Arc::clone(&self.shared);
                let msg = match open {
                    Some(f) => PeerMsg::ConnAck {
                        attempt,
                        conn: f(Arc::clone(&peer)),
                    },
                    None => PeerMsg::ConnNack { attempt },
                };
                tokio::spawn(async move {
                    let _ = peer.tx.send(msg).await;
                });
            }
            None => {
                let peer = Arc::clone(&self.shared);
                tokio::spawn(async move {
                    let _ = peer.tx.send(PeerMsg::ConnNack { attempt }).await;
                });
            }
        }
    }

    /// Follows a change of state: opening, leaving open, closing.
    async fn entered(&mut self, from: PeerState, to: PeerState) {
        let was_open = matches!(from, PeerState::ROpen | PeerState::IOpen);
        let is_open = self.machine.is_open();
        if is_open && !was_open {
            let role = self.machine.open_conn();
            let conn = role.and_then(|r| self.conn(r)).cloned();
            if let Some(remote) = self.machine.remote() {
                let host = remote.origin_host.clone();
                *lock(&self.shared.host) = Some(Arc::from(host.as_str()));
                tracing::Span::current().record("host", host.as_str());
                if let Some(c) = &conn {
                    c.open.store(true, std::sync::atomic::Ordering::Release);
                    self.seen_rx = c.rx_count();
                }
                self.node.emit(NodeEvent::Connected {
                    origin_host: host,
                    role: role.unwrap_or(Role::Initiator),
                    remote: conn.as_ref().and_then(|c| c.remote),
                });
            }
            self.backoff.reset();
            self.error = None;
            let actions = self.watchdog.connection_up(now());
            self.watchdog_actions(actions).await;
            self.publish(self.watchdog.can_send_requests());
        }
        if was_open && !is_open {
            // Closing or Closed: no new requests; answers in flight still arrive.
            self.publish(false);
        }
        if to == PeerState::Closed {
            let orderly = self.error.is_none();
            if was_open || from == PeerState::Closing {
                let actions = self.watchdog.connection_down(now());
                // Failover/CloseConnection: the connection is gone already.
                drop(actions);
            }
            if orderly && (was_open || from == PeerState::Closing) {
                // An orderly close starts the next connection afresh, not in REOPEN.
                self.watchdog = Watchdog::new(self.node.watchdog, self.node.rng(), now());
            }
            let remote_cause = self.machine.remote_disconnect_cause();
            self.node.emit(NodeEvent::Down {
                origin_host: self.shared.host(),
                error: self.error.take(),
                remote_cause,
            });
            for w in self.stop_waiters.drain(..) {
                let _ = w.send(());
            }
            if remote_cause == Some(DisconnectCause::DO_NOT_WANT_TO_TALK_TO_YOU) {
                self.reconnect = false;
            }
            if self.reconnect {
                if remote_cause == Some(DisconnectCause::REBOOTING) {
                    self.backoff.reset();
                }
                let delay: Duration = self.backoff.next_delay();
                tracing::debug!(?delay, "reconnecting");
                self.reconnect_at = Some(Instant::now() + delay);
            }
        }
    }

    fn publish(&self, usable: bool) {
        let open = self
            .machine
            .open_conn()
            .and_then(|r| self.conn(r))
            .cloned()
            .zip(self.machine.negotiated().cloned());
        *lock(&self.shared.usable) = match open {
            Some((c, n)) if usable && self.machine.is_open() => Some((c, Arc::new(n))),
            _ => None,
        };
    }

    fn update_status(&self) {
        *lock(&self.shared.status) = (self.machine.state(), self.watchdog.state());
    }
}
