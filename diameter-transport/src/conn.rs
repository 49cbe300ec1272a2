//! One transport connection: a framing reader, a coalescing writer with a priority lane, the
//! requests waiting for answers, and the limit on concurrent request handlers.
//!
//! The reader frames the byte stream by the header's Message-Length
//! ([`diameter_runtime::frame`]) and hands each whole message to the connection's sink;
//! a length above the configured maximum (or any header that cannot start a message) is a
//! framing error, the only thing that ends a connection from the reading side. The sink
//! takes a handler slot before it starts a request handler, so when every slot is taken
//! the reader stops reading: an overloaded node slows its peer down through TCP's own flow
//! control instead of queueing without bound.
//!
//! The writer owns the write half. Two bounded queues feed it: the priority lane (the peer
//! layer's CER/CEA, DWR/DWA, DPR/DPA and the node's own error answers) is always emptied
//! first, so the watchdog is never stuck behind application traffic; the application lane
//! carries requests and answers. Whatever is queued when the writer wakes is copied into one
//! buffer and written with one `write_all`: under load many small messages cost one system
//! call. A request is queued as the caller's own bytes (shared, not copied) with its
//! hop-by-hop identifier and T flag beside it; the writer puts those into the header as it
//! copies the message into that buffer, so a request is copied once on its way out.
//!
//! How many messages one write carries follows from when the tasks run: with requests of
//! ours in flight the writer lets the callers ready to run queue theirs before it drains,
//! and the reader lets the writer send the answers of every 16 requests it served inline
//! (see `write_loop` and `read_loop`), so both ends of a busy connection work at once.
//!
//! The requests waiting for answers are in the crate's `pending` module: each has its
//! caller's deadline, and one sweeper task per connection times them out, in place of a
//! timer per request.
//!
//! The connection runs over any [`Io`]: TCP, TLS over TCP; an SCTP stream would plug in the
//! same way.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use diameter_runtime::frame::{self, Frame};
use diameter_runtime::header::{CommandFlags, HEADER_LEN};
use diameter_runtime::{DecodeError, DecodeOptions};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::pending::{AnswerRx, Pending, Resume};
use crate::slots::Slots;
use crate::wire;

/// A byte stream a connection runs over. TCP, TLS over any `Io` (feature `tls`) and tokio's
/// in-memory duplex stream (for tests) implement it; an SCTP stream would too.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {
    /// The local address, advertised in CER/CEA as Host-IP-Address when the node has none
    /// configured.
    fn local_ip(&self) -> Option<IpAddr> {
        None
    }
    /// The remote address, for logs and events.
    fn remote_addr(&self) -> Option<SocketAddr> {
        None
    }
    /// The peer's end-entity certificate (DER) when the stream is TLS: the node checks it
    /// against the Origin-Host of the peer's CER or CEA.
    fn peer_certificate(&self) -> Option<Vec<u8>> {
        None
    }
}

impl Io for TcpStream {
    fn local_ip(&self) -> Option<IpAddr> {
        self.local_addr().ok().map(|a| a.ip())
    }
    fn remote_addr(&self) -> Option<SocketAddr> {
        self.peer_addr().ok()
    }
}

impl Io for tokio::io::DuplexStream {}

#[cfg(feature = "tls")]
impl<I: Io> Io for tokio_rustls::client::TlsStream<I> {
    fn local_ip(&self) -> Option<IpAddr> {
        self.get_ref().0.local_ip()
    }
    fn remote_addr(&self) -> Option<SocketAddr> {
        self.get_ref().0.remote_addr()
    }
    fn peer_certificate(&self) -> Option<Vec<u8>> {
        let certs = self.get_ref().1.peer_certificates()?;
        certs.first().map(|c| c.to_vec())
    }
}

#[cfg(feature = "tls")]
impl<I: Io> Io for tokio_rustls::server::TlsStream<I> {
    fn local_ip(&self) -> Option<IpAddr> {
        self.get_ref().0.local_ip()
    }
    fn remote_addr(&self) -> Option<SocketAddr> {
        self.get_ref().0.remote_addr()
    }
    fn peer_certificate(&self) -> Option<Vec<u8>> {
        let certs = self.get_ref().1.peer_certificates()?;
        certs.first().map(|c| c.to_vec())
    }
}

/// The settings of each connection.
#[derive(Debug, Clone)]
pub struct ConnConfig {
    /// Messages each writer queue holds before senders wait.
    pub queue_len: usize,
    /// Request handlers that may run at once on one connection; past it the reader waits.
    pub max_handlers: usize,
    /// The writer copies queued messages into one buffer up to this many bytes per write.
    pub coalesce_bytes: usize,
    /// How long a closing connection may take to write out what is queued.
    pub flush_timeout: Duration,
}

impl Default for ConnConfig {
    /// 1024 queued messages per lane, 256 concurrent handlers, 64 KiB writes, 5 s to flush.
    fn default() -> Self {
        ConnConfig {
            queue_len: 1024,
            max_handlers: 256,
            coalesce_bytes: 64 * 1024,
            flush_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a connection's reader stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadEnd {
    /// The peer closed the stream (a partial message, if any, is dropped).
    #[error("the peer closed the connection")]
    Eof,
    /// The stream failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// A header that cannot start a message, or a message above the maximum length: the
    /// stream cannot be resynchronised.
    #[error("framing error: {0}")]
    Framing(DecodeError),
    /// The connection was closed from this side.
    #[error("closed by this node")]
    Closed,
}

/// Where a connection's reader delivers messages.
pub(crate) trait Sink: Send + Sync + 'static {
    /// One whole message. The reader waits for the returned future before reading on, which
    /// is how handler permits push back.
    fn frame(&self, conn: &Arc<Conn>, frame: Bytes) -> impl Future<Output = ()> + Send;
    /// The reader stopped.
    fn closed(&self, conn: &Arc<Conn>, end: ReadEnd);
}

/// A message on the application lane.
#[derive(Debug)]
enum Outgoing {
    /// Written as it is (an answer).
    Plain(Bytes),
    /// A request, written with this hop-by-hop identifier and, on a retransmission, the T
    /// flag.
    Request {
        msg: Bytes,
        hop_by_hop: u32,
        retransmit: bool,
    },
}

/// What became of [`Conn::send_request`].
#[derive(Debug)]
pub(crate) enum Queued {
    /// Queued under this hop-by-hop identifier; the answer comes on the channel.
    Sent(u32, AnswerRx),
    /// The connection is closing or closed: nothing was sent.
    Closed,
    /// The deadline passed while the queue was full (a peer that stopped reading).
    Full,
}

/// One connection. Shared by the node (sending), its reader and its peer's task.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) id: u64,
    prio: mpsc::Sender<Bytes>,
    app: mpsc::Sender<Outgoing>,
    pending: Arc<Pending>,
    next_hbh: AtomicU32,
    /// The capability exchange is done: application messages go to handlers and callers.
    pub(crate) open: AtomicBool,
    closing: AtomicBool,
    /// Messages received so far: the watchdog reads it as "any traffic".
    rx_count: AtomicU64,
    /// When the last message arrived, in nanoseconds after `epoch`.
    last_rx: AtomicU64,
    epoch: tokio::time::Instant,
    pub(crate) handlers: Arc<Slots>,
    /// Wakes a closing connection waiting for its handlers and requests to finish.
    idle: Notify,
    /// A close waits on `idle`: only then do handlers and answers wake it.
    draining: AtomicBool,
    /// Tells the writer to write out what is queued and stop. A oneshot rather than a watch:
    /// the writer waits on it each time its queues run dry, and a oneshot's wait takes no
    /// lock.
    close_tx: Mutex<Option<oneshot::Sender<()>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    reader: Mutex<Option<JoinHandle<()>>>,
    sweeper: Mutex<Option<JoinHandle<()>>>,
    flush_timeout: Duration,
    pub(crate) local_ip: Option<IpAddr>,
    pub(crate) remote: Option<SocketAddr>,
    /// The peer's TLS certificate (DER), when the connection runs TLS.
    pub(crate) peer_cert: Option<Vec<u8>>,
    /// The CEA the dialer already read: with in-band TLS, CER/CEA go over the plain stream
    /// before the connection starts. The peer task takes it in place of sending a CER.
    pre_cea: Mutex<Option<Bytes>>,
    /// The acceptor already answered the CER (in-band TLS): the peer task must not again.
    pub(crate) cea_sent: AtomicBool,
}

impl Conn {
    /// Starts the reader and writer of `io`. `leftover` holds bytes already read from it
    /// (after the first message, read before the connection existed).
    pub(crate) fn spawn<I: Io, S: Sink>(
        io: I,
        id: u64,
        config: &ConnConfig,
        opts: DecodeOptions,
        leftover: BytesMut,
        first_hbh: u32,
        sink: Arc<S>,
    ) -> Arc<Conn> {
        let local_ip = io.local_ip();
        let remote = io.remote_addr();
        let peer_cert = io.peer_certificate();
        let (rd, wr) = tokio::io::split(io);
        let (prio_tx, prio_rx) = mpsc::channel(config.queue_len.max(1));
        let (app_tx, app_rx) = mpsc::channel(config.queue_len.max(1));
        let (close_tx, close_rx) = oneshot::channel();
        let conn = Arc::new(Conn {
            id,
            prio: prio_tx,
            app: app_tx,
            pending: Arc::default(),
            next_hbh: AtomicU32::new(first_hbh),
            open: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            rx_count: AtomicU64::new(0),
            last_rx: AtomicU64::new(0),
            epoch: Instant::now(),
            handlers: Arc::new(Slots::new(config.max_handlers)),
            idle: Notify::new(),
            draining: AtomicBool::new(false),
            close_tx: Mutex::new(Some(close_tx)),
            writer: Mutex::new(None),
            reader: Mutex::new(None),
            sweeper: Mutex::new(None),
            flush_timeout: config.flush_timeout,
            local_ip,
            remote,
            peer_cert,
            pre_cea: Mutex::new(None),
            cea_sent: AtomicBool::new(false),
        });
        let span = tracing::Span::current();
        let writer = tokio::spawn(write_loop(
            wr,
            Arc::clone(&conn.pending),
            prio_rx,
            app_rx,
            close_rx,
            config.coalesce_bytes.max(1),
        ));
        let reader = {
            let conn = Arc::clone(&conn);
            tokio::spawn(tracing::Instrument::instrument(
                read_loop(conn, rd, leftover, opts, sink),
                span,
            ))
        };
        // Holds the connection weakly: a connection dropped without closing stops it.
        let sweeper = {
            let weak = Arc::downgrade(&conn);
            tokio::spawn(Arc::clone(&conn.pending).sweep_loop(move || {
                if let Some(conn) = weak.upgrade() {
                    conn.wake_idle();
                }
            }))
        };
        *lock(&conn.writer) = Some(writer);
        *lock(&conn.reader) = Some(reader);
        *lock(&conn.sweeper) = Some(sweeper);
        conn
    }

    /// Keeps the CEA the dialer read before the connection started (in-band TLS).
    #[cfg(feature = "tls")]
    pub(crate) fn set_pre_cea(&self, cea: Bytes) {
        *lock(&self.pre_cea) = Some(cea);
    }

    /// Takes the CEA read before the connection started, if any.
    pub(crate) fn take_pre_cea(&self) -> Option<Bytes> {
        lock(&self.pre_cea).take()
    }

    /// Queues a message of the peer layer (or an error answer) on the priority lane.
    pub(crate) async fn send_priority(&self, msg: Bytes) -> bool {
        self.prio.send(msg).await.is_ok()
    }

    /// Queues an application answer.
    pub(crate) async fn send_app(&self, msg: Bytes) -> bool {
        self.app.send(Outgoing::Plain(msg)).await.is_ok()
    }

    /// The next hop-by-hop identifier of this connection.
    pub(crate) fn next_hop_by_hop(&self) -> u32 {
        self.next_hbh.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends a request (its end-to-end identifier set; its hop-by-hop identifier is
    /// assigned here, and written by the writer with the T flag when `retransmit`) and
    /// returns its hop-by-hop identifier and where the answer, or the timeout at `deadline`,
    /// will come. Waits while the queue is full (the peer reads slower than we send), until
    /// `deadline` at most; cancelling the wait is safe.
    pub(crate) async fn send_request(
        &self,
        msg: Bytes,
        retransmit: bool,
        deadline: Instant,
    ) -> Queued {
        if self.closing.load(Ordering::Acquire) {
            return Queued::Closed;
        }
        let hop_by_hop = self.next_hop_by_hop();
        let suspects = self.pending.suspects();
        // A place in the queue first, then the pending entry: a caller whose deadline ends
        // the wait for a place leaves nothing behind. A timer only when the queue is full.
        let place = match self.app.try_reserve() {
            Ok(place) => place,
            Err(mpsc::error::TrySendError::Closed(())) => return Queued::Closed,
            Err(mpsc::error::TrySendError::Full(())) => {
                match tokio::time::timeout_at(deadline, self.app.reserve()).await {
                    Ok(Ok(place)) => place,
                    Ok(Err(_)) => return Queued::Closed,
                    Err(_) => return Queued::Full,
                }
            }
        };
        let rx = self.pending.insert(hop_by_hop, deadline, suspects);
        place.send(Outgoing::Request {
            msg,
            hop_by_hop,
            retransmit,
        });
        Queued::Sent(hop_by_hop, rx)
    }

    /// Hands an answer to the request waiting for it. `false` when none waits (answered
    /// already, timed out, or never sent): the caller counts and drops it.
    pub(crate) fn answer(&self, hop_by_hop: u32, frame: Bytes) -> bool {
        let delivered = self.pending.answer(hop_by_hop, frame);
        self.wake_idle();
        delivered
    }

    /// Stops waiting for `hop_by_hop` (its caller went away). `true` when it still waited.
    pub(crate) fn forget(&self, hop_by_hop: u32) -> bool {
        let removed = self.pending.forget(hop_by_hop);
        self.wake_idle();
        removed
    }

    /// Tells every request waiting on this connection that its peer went SUSPECT.
    pub(crate) fn suspect(&self) {
        self.pending.suspect();
    }

    /// A caller told SUSPECT decides: see [`Pending::resume`].
    pub(crate) fn resume(&self, hop_by_hop: u32, leave: bool) -> Resume {
        let resumed = self.pending.resume(hop_by_hop, leave, Instant::now());
        if !matches!(resumed, Resume::Wait(_)) {
            self.wake_idle();
        }
        resumed
    }

    /// Requests sent and not yet answered.
    pub(crate) fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Handlers running now.
    pub(crate) fn handlers_running(&self) -> usize {
        self.handlers.running()
    }

    /// A handler finished (its slot is given back by the caller first).
    pub(crate) fn handler_done(&self) {
        self.wake_idle();
    }

    /// Wakes a close waiting for the connection to be idle, if one is; called wherever a
    /// request of ours stops waiting or a handler finishes. Every request pays for this
    /// check, so it is a fence and a load, not the lock `notify_waiters` takes.
    fn wake_idle(&self) {
        // Pairs with the fence in `start_draining`: either the close sees what this task
        // changed before (a request answered, a slot given back), or this task sees the
        // close waiting and wakes it.
        fence(Ordering::SeqCst);
        if self.draining.load(Ordering::Relaxed) {
            self.idle.notify_waiters();
        }
    }

    /// Marks the connection as waited on, after the caller created its `idle.notified()`
    /// and before it looks at what is still running.
    fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// Messages received so far.
    pub(crate) fn rx_count(&self) -> u64 {
        self.rx_count.load(Ordering::Relaxed)
    }

    /// When the last message arrived (the connection's start before any did).
    pub(crate) fn last_rx(&self) -> std::time::Instant {
        let nanos = self.last_rx.load(Ordering::Relaxed);
        (self.epoch + Duration::from_nanos(nanos)).into_std()
    }

    /// Is the connection closing or closed?
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Closes the connection after the answers in flight, both ways: waits (at most `grace`)
    /// until no handler runs and no request of ours waits, then closes. New requests are
    /// refused from now on.
    pub(crate) async fn close_gracefully(&self, grace: Duration) {
        self.closing.store(true, Ordering::Release);
        let drained = async {
            loop {
                let notified = self.idle.notified();
                self.start_draining();
                if self.handlers_running() == 0 && self.pending_len() == 0 {
                    return;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(grace, drained).await.is_err() {
            tracing::debug!(
                pending = self.pending_len(),
                handlers = self.handlers_running(),
                "grace period over with answers still in flight"
            );
        }
        self.close().await;
    }

    /// Closes now: the reader stops (no new request is accepted), every request of ours still
    /// waiting fails at once, the requests already handed to handlers are let finish and
    /// queue their answers, and the writer writes out what is queued. Handlers and writer
    /// together get at most the flush timeout (a peer that stopped reading gets no more).
    pub(crate) async fn close(&self) {
        self.closing.store(true, Ordering::Release);
        if let Some(r) = lock(&self.reader).take() {
            r.abort();
        }
        // Dropping the senders wakes every waiting caller with "connection gone".
        if let Some(s) = lock(&self.sweeper).take() {
            s.abort();
        }
        self.pending.close();
        self.idle.notify_waiters();
        let deadline = Instant::now() + self.flush_timeout;
        // What the node accepted is answered: a framing error or a watchdog close does not
        // drop the answers of requests read before it.
        let handlers_done = async {
            loop {
                let notified = self.idle.notified();
                self.start_draining();
                if self.handlers_running() == 0 {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout_at(deadline, handlers_done).await;
        if let Some(tx) = lock(&self.close_tx).take() {
            let _ = tx.send(());
        }
        let writer = lock(&self.writer).take();
        if let Some(mut w) = writer {
            if tokio::time::timeout_at(deadline, &mut w).await.is_err() {
                w.abort();
            }
        }
        self.idle.notify_waiters();
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(w) = lock(&self.writer).take() {
            w.abort();
        }
        if let Some(s) = lock(&self.sweeper).take() {
            s.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock means a panic elsewhere while holding it; the data (a map of senders,
    // a task handle) is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many messages of one read the reader hands on before it lets other tasks run.
const READ_RUN: u32 = 16;

async fn read_loop<R: AsyncRead + Unpin, S: Sink>(
    conn: Arc<Conn>,
    mut rd: R,
    mut buf: BytesMut,
    opts: DecodeOptions,
    sink: Arc<S>,
) {
    // Messages handed on since the reader last let other tasks run.
    let mut run = 0;
    let end = loop {
        match frame::check(&buf, &opts) {
            Ok(Frame::Complete(n)) => {
                let frame = buf.split_to(n).freeze();
                conn.rx_count.fetch_add(1, Ordering::Release);
                sink.frame(&conn, frame).await;
                run += 1;
                if run == READ_RUN {
                    // Requests served inline queue their answers, but the writer runs on this
                    // worker only when the reader lets it: without a pause it would write the
                    // answers of a whole read at once, and the peer would wait for all of them
                    // while this side works, then the other way round. A pause every few
                    // messages keeps both sides busy.
                    run = 0;
                    tokio::task::yield_now().await;
                }
            }
            Ok(Frame::Incomplete(need)) => {
                run = 0;
                // Read at least a few KiB at a time, and the whole announced message at once
                // when it is large.
                buf.reserve(need.saturating_sub(buf.len()).max(8 * 1024));
                match rd.read_buf(&mut buf).await {
                    Ok(0) => break ReadEnd::Eof,
                    // Once per read, not per message: the watchdog needs no finer time.
                    Ok(_) => {
                        let since =
                            u64::try_from(conn.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
                        conn.last_rx.store(since, Ordering::Relaxed);
                    }
                    Err(e) => break ReadEnd::Io(e),
                }
            }
            Err(e) => break ReadEnd::Framing(e),
        }
    };
    tracing::debug!(conn = conn.id, %end, "reader stopped");
    sink.closed(&conn, end);
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut wr: W,
    pending: Arc<Pending>,
    mut prio: mpsc::Receiver<Bytes>,
    mut app: mpsc::Receiver<Outgoing>,
    mut close: oneshot::Receiver<()>,
    coalesce: usize,
) {
    let mut out = BytesMut::with_capacity(coalesce);
    let mut closing = false;
    loop {
        if !closing {
            let first = tokio::select! {
                biased;
                m = prio.recv() => m.map(Outgoing::Plain),
                m = app.recv() => m,
                _ = &mut close => { closing = true; None }
            };
            match first {
                Some(m) => put(&mut out, m),
                None if closing => {}
                // Both senders live as long as the connection: it is gone.
                None => return,
            }
            // With more than one request of ours in flight, let the tasks that are ready to
            // run queue their messages first. The task that queued this one woke the writer,
            // and tokio runs a task woken that way next on the same worker, so without this
            // the writer and the callers take turns and each request of a burst goes out in a
            // system call of its own. (Answers need no such help: the reader serves a whole
            // read's requests before the writer gets its turn.) At one request in flight
            // there is no burst to wait for, and the yield, which lets the I/O driver run
            // first, would only add its cost.
            if pending.busy() {
                tokio::task::yield_now().await;
            }
        }
        // Whatever else is queued goes into the same write, the priority lane first.
        while out.len() < coalesce {
            let next = match prio.try_recv() {
                Ok(m) => Outgoing::Plain(m),
                Err(_) => match app.try_recv() {
                    Ok(m) => m,
                    Err(_) => break,
                },
            };
            put(&mut out, next);
        }
        if !out.is_empty() {
            if let Err(e) = wr.write_all(&out).await {
                tracing::debug!(error = %e, "write failed");
                return;
            }
            out.clear();
            continue;
        }
        if closing {
            let _ = wr.flush().await;
            let _ = wr.shutdown().await;
            return;
        }
    }
}

/// Appends a message to the writer's buffer; a request gets its hop-by-hop identifier and T
/// flag there, in the copy, since its bytes are shared with its caller.
fn put(out: &mut BytesMut, m: Outgoing) {
    match m {
        Outgoing::Plain(msg) => out.extend_from_slice(&msg),
        Outgoing::Request {
            msg,
            hop_by_hop,
            retransmit,
        } => {
            let start = out.len();
            out.extend_from_slice(&msg);
            // Shorter than a header cannot be a request the node built; written as it is.
            let copy = &mut out[start..];
            if copy.len() >= HEADER_LEN {
                wire::set_hop_by_hop(copy, hop_by_hop);
                if retransmit {
                    wire::set_flag(copy, CommandFlags::RETRANSMIT, true);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    fn message(hbh: u32, flags: u8) -> Bytes {
        let mut m = vec![0u8; 24];
        m[0] = 1;
        m[3] = 24;
        m[4] = flags;
        m[12..16].copy_from_slice(&hbh.to_be_bytes());
        m[20..24].copy_from_slice(b"body");
        Bytes::from(m)
    }

    #[tokio::test]
    async fn the_writer_puts_the_hop_by_hop_and_t_flag_into_its_copy() {
        let (near, mut far) = tokio::io::duplex(1024);
        let (prio_tx, prio_rx) = mpsc::channel(4);
        let (app_tx, app_rx) = mpsc::channel(4);
        let (close_tx, close_rx) = oneshot::channel();
        let request = message(0, 0x80);
        let answer = message(9, 0x00);
        for m in [
            Outgoing::Request {
                msg: request.clone(),
                hop_by_hop: 0x0102_0304,
                retransmit: false,
            },
            Outgoing::Request {
                msg: request.clone(),
                hop_by_hop: 5,
                retransmit: true,
            },
            Outgoing::Plain(answer.clone()),
        ] {
            app_tx.send(m).await.expect("queued");
        }
        prio_tx.send(answer.clone()).await.expect("queued");
        let writer = tokio::spawn(write_loop(
            near,
            Arc::default(),
            prio_rx,
            app_rx,
            close_rx,
            1024,
        ));
        close_tx.send(()).expect("writer listens");
        let mut wrote = Vec::new();
        far.read_to_end(&mut wrote).await.expect("read");
        writer.await.expect("writer ends");

        let frames: Vec<&[u8]> = wrote.chunks(24).collect();
        assert_eq!(frames.len(), 4);
        // The priority lane first, as it is.
        assert_eq!(frames[0], &answer[..]);
        assert_eq!(frames[1][12..16], [1, 2, 3, 4]);
        assert_eq!(frames[1][4], 0x80, "first attempt: no T flag");
        assert_eq!(frames[2][12..16], 5u32.to_be_bytes());
        assert_eq!(frames[2][4], 0x80 | CommandFlags::RETRANSMIT);
        assert_eq!(frames[2][16..], request[16..], "the rest as it was");
        assert_eq!(frames[3], &answer[..]);
        // The caller's bytes are untouched: the next attempt starts from them.
        assert_eq!(&request[..], &message(0, 0x80)[..]);
    }
}
