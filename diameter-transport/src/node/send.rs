//! Sending a request and waiting for its answer, with failover (RFC 6733 section 5.5.4):
//! when the connection carrying a request fails before its answer comes, or its watchdog
//! finds the peer SUSPECT (RFC 3539 section 3.4) while another peer can take the request, the
//! request goes to the next peer, with the T flag set and the same End-to-End Identifier.
//!
//! Each request has one answer channel per attempt, taken out of its connection's pending
//! map exactly once (by the answer, by the timeout, or by the connection closing), so the
//! caller gets exactly one answer: an answer arriving on a connection given up on is
//! counted as unexpected and dropped.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use diameter_runtime::header::CommandFlags;
use tokio::time::Instant;

use super::peer_task::PeerShared;
use crate::conn::Conn;
use crate::stats::Counters;
use crate::wire;

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
    pub(crate) request: &'a [u8],
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
        let mut msg = BytesMut::from(request);
        if sent_before {
            // A retransmission: the server may have seen it (RFC 6733 3, the T flag).
            wire::set_flag(&mut msg, CommandFlags::RETRANSMIT, true);
        }
        let mut suspect = peer.suspect_signal();
        // The deadline covers waiting for a place in a full send queue too (a peer that
        // stopped reading must not hold a caller outside every timeout).
        let queued = match tokio::time::timeout_at(deadline, conn.send_request(msg)).await {
            Ok(queued) => queued,
            Err(_) => {
                peer.counters.timeout();
                command.timeout();
                tracing::debug!("timed out waiting for a place in the send queue");
                return Err(Failed::Timeout);
            }
        };
        let Some((hop_by_hop, mut rx)) = queued else {
            continue;
        };
        sent_before = true;
        peer.counters.request_sent();
        command.request_sent();
        if relayed {
            peer.counters.request_relayed();
        }
        let waited = loop {
            tokio::select! {
                waited = tokio::time::timeout_at(deadline, &mut rx) => break Some(waited),
                Ok(()) = suspect.changed() => {
                    // The peer went SUSPECT: fail over if another peer can take the request
                    // (and its answer is not in already); else keep waiting for this one.
                    skip.extend(last.take());
                    if choose(&skip).is_some() && conn.forget(hop_by_hop) {
                        break None;
                    }
                }
            }
        };
        let Some(waited) = waited else {
            peer.counters.failover();
            tracing::debug!(
                peer = peer.host().as_deref().unwrap_or("?"),
                "peer suspect with the request pending: failing over"
            );
            continue;
        };
        match waited {
            Ok(Ok(frame)) => return Ok(Answered { frame, peer }),
            Ok(Err(_)) => {
                peer.counters.failover();
                tracing::debug!(
                    peer = peer.host().as_deref().unwrap_or("?"),
                    "connection failed with the request pending: failing over"
                );
            }
            Err(_) => {
                if conn.forget(hop_by_hop) {
                    peer.counters.timeout();
                    command.timeout();
                    tracing::debug!(hop_by_hop, "timed out");
                    return Err(Failed::Timeout);
                }
                // The answer won the race against the timer: it is in the channel.
                return match rx.await {
                    Ok(frame) => Ok(Answered { frame, peer }),
                    Err(_) => Err(Failed::Timeout),
                };
            }
        }
    }
}
