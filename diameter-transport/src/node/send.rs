//! Sending a request and waiting for its answer, with failover (RFC 6733 section 5.5.4):
//! when the connection carrying a request fails before its answer comes, or its watchdog
//! finds the peer SUSPECT (RFC 3539 section 3.4) while another peer can take the request, the
//! request goes to the next peer, with the T flag set and the same End-to-End Identifier.
//!
//! Each attempt has one entry in its connection's pending map ([`crate::pending`]), which
//! tells the caller one event at a time: the answer, the timeout at the caller's deadline
//! (the connection's sweeper, no timer per request), or SUSPECT; the channel closing means
//! the connection failed. An entry is taken out exactly once (by its answer, its timeout,
//! the connection closing, or the caller leaving it to fail over), so the caller gets one
//! answer at most: an answer arriving on a connection given up on is counted as unexpected
//! and dropped. The request's bytes are shared by every attempt; each connection's writer
//! puts its hop-by-hop identifier (and the T flag) into its own copy.

use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;

use super::peer_task::PeerShared;
use crate::conn::{Conn, Queued};
use crate::pending::{Event, Resume};
use crate::stats::Counters;

/// Why no answer came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failed {
    /// No peer to send to: nothing was sent.
    NoPeer,
    /// Every connection the request went over failed, and no other peer could take it.
    PeerDown,
    /// No answer by the deadline.
    Timeout,
}

/// An answer and the peer it came from.
pub(crate) struct Answered {
    pub(crate) frame: Bytes,
    pub(crate) peer: Arc<PeerShared>,
}

/// How one request is sent.
pub(crate) struct Attempts<'a> {
    /// The request, End-to-End Identifier set; the hop-by-hop identifier is the connection's.
    pub(crate) request: &'a Bytes,
    /// Peers not to use (the previous hop of a relayed request); the peers tried are added.
    pub(crate) skip: Vec<Arc<PeerShared>>,
    /// The command's counters.
    pub(crate) command: &'a Counters,
    /// When to give up waiting, over all attempts.
    pub(crate) deadline: Instant,
    /// Count the request as relayed on the peers it is sent to.
    pub(crate) relayed: bool,
}

/// Sends the request to the peer `choose` names (given the peers to pass over), again to the
/// next one while connections fail; returns the first answer.
pub(crate) async fn send(
    a: Attempts<'_>,
    choose: impl Fn(&[Arc<PeerShared>]) -> Option<(Arc<PeerShared>, Arc<Conn>)>,
) -> Result<Answered, Failed> {
    let Attempts {
        request,
        mut skip,
        command,
        deadline,
        relayed,
    } = a;
    let mut sent_before = false;
    // The peer of the last attempt, added to `skip` only when another peer is looked for:
    // most requests never fail over, and an empty `skip` costs no allocation.
    let mut last: Option<Arc<PeerShared>> = None;
    // Each pass adds a peer to `skip`, so the loop ends after the last peer at most.
    loop {
        skip.extend(last.take());
        let Some((peer, conn)) = choose(&skip) else {
            return Err(if sent_before {
                Failed::PeerDown
            } else {
                Failed::NoPeer
            });
        };
        last = Some(Arc::clone(&peer));
        // A retransmission (`sent_before`): the server may have seen it (RFC 6733 3, the T
        // flag).
        let queued = conn
            .send_request(request.clone(), sent_before, deadline)
            .await;
        let (hop_by_hop, mut rx) = match queued {
            Queued::Sent(hop_by_hop, rx) => (hop_by_hop, rx),
            Queued::Closed => continue,
            Queued::Full => {
                peer.counters.timeout();
                command.timeout();
                tracing::debug!("timed out waiting for a place in the send queue");
                return Err(Failed::Timeout);
            }
        };
        sent_before = true;
        peer.counters.request_sent();
        command.request_sent();
        if relayed {
            peer.counters.request_relayed();
        }
        // A caller dropped while it waits takes its entry out (its answer is then unexpected).
        let mut entry = Entry {
            conn: &conn,
            hop_by_hop,
            done: false,
        };
        let outcome = loop {
            match (&mut rx).await {
                Ok(Event::Answer(frame)) => break Outcome::Answer(frame),
                Ok(Event::Timeout) => break Outcome::Timeout,
                Err(_) => break Outcome::Failed("connection failed"),
                Ok(Event::Suspect) => {
                    // Fail over if another peer can take the request (and its answer is not
                    // in already); else keep waiting for this one.
                    skip.extend(last.take());
                    let leave = choose(&skip).is_some();
                    match conn.resume(hop_by_hop, leave) {
                        Resume::Answer(frame) => break Outcome::Answer(frame),
                        Resume::Wait(again) => rx = again,
                        Resume::Left => break Outcome::Failed("peer suspect"),
                        Resume::Timeout => break Outcome::Timeout,
                        Resume::Gone if Instant::now() >= deadline => break Outcome::Timeout,
                        Resume::Gone => break Outcome::Failed("connection failed"),
                    }
                }
            }
        };
        entry.done = true;
        match outcome {
            Outcome::Answer(frame) => return Ok(Answered { frame, peer }),
            Outcome::Timeout => {
                peer.counters.timeout();
                command.timeout();
                tracing::debug!(hop_by_hop, "timed out");
                return Err(Failed::Timeout);
            }
            Outcome::Failed(why) => {
                peer.counters.failover();
                tracing::debug!(
                    peer = peer.host().as_deref().unwrap_or("?"),
                    "{why} with the request pending: failing over"
                );
            }
        }
    }
}

/// How one attempt ended.
enum Outcome {
    Answer(Bytes),
    Timeout,
    /// The attempt is over without an answer: fail over, for this reason.
    Failed(&'static str),
}

/// An attempt's pending entry while its caller waits; a caller dropped before its attempt
/// ended (a cancelled call) takes the entry out of the connection.
struct Entry<'a> {
    conn: &'a Conn,
    hop_by_hop: u32,
    done: bool,
}

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.conn.forget(self.hop_by_hop);
        }
    }
}
