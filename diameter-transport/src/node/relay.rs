//! What a relay or proxy agent does with a request it forwards (RFC 6733 sections 6.1.8,
//! 6.1.9 and 6.2.2), and the answers routing gives itself (3002, 3003, 3005, 3006, 3007).
//!
//! A forwarded request keeps its bytes, End-to-End Identifier, T flag and Proxy-Info; a
//! Route-Record naming the peer it came from is appended, and the next hop's connection
//! gives it a hop-by-hop identifier. Its answer gets the hop-by-hop identifier of the
//! request as received back and goes out on the connection the request came on.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use diameter_messages::base::{defs, RedirectHostUsage};
use diameter_runtime::answer::{error_answer, Problem};
use diameter_runtime::avp::AvpFlags;
use diameter_runtime::consts::{avp_code, result_code};
use diameter_runtime::header::Header;
use diameter_runtime::{RawAvp, Violation};
use tokio::time::Instant;

use super::peer_task::PeerShared;
use super::routing::as_uri;
use super::send::{self, Attempts, Failed};
use super::NodeInner;
use crate::stats::Counters;
use crate::wire;

/// Where a request may be forwarded.
pub(crate) struct Targets<'a> {
    /// The route's peers, in order.
    pub(crate) peers: &'a [String],
    /// Any usable peer will do (a route naming none).
    pub(crate) any: bool,
}

/// Forwards a request received from `from` to the peer named by its Destination-Host or the
/// first usable of the targets, failing over to the next; returns the answer to send back
/// (the next hop's, or 3002 when none could take it or none answered).
pub(crate) async fn forward(
    node: &Arc<NodeInner>,
    from: &Arc<PeerShared>,
    command: &Counters,
    frame: &Bytes,
    header: &Header,
    scan: &wire::Scan,
    to: Targets<'_>,
) -> Option<(Bytes, u32)> {
    let previous_hop = from.host().unwrap_or_default();
    let request = wire::append_avp(
        frame,
        avp_code::ROUTE_RECORD,
        AvpFlags::MANDATORY,
        previous_hop.as_bytes(),
    )
    .freeze();
    // Hosts the request went through already are asked last (they would find a loop).
    let mut avoid: Vec<&[u8]> = wire::all_of(frame, avp_code::ROUTE_RECORD).collect();
    avoid.push(previous_hop.as_bytes());
    let destination_host = wire::Scan::get(frame, scan.destination_host);
    let application_id = header.application_id;
    let attempts = Attempts {
        request: &request,
        skip: Vec::new(),
        command,
        deadline: Instant::now() + node.request_timeout,
        relayed: true,
    };
    let sent = send::send(attempts, |skip| {
        node.choose_peer(
            application_id,
            destination_host,
            to.peers,
            to.any,
            skip,
            &avoid,
        )
    })
    .await;
    match sent {
        Ok(answered) => {
            let mut answer = BytesMut::from(&answered.frame[..]);
            wire::set_ids(&mut answer, header.hop_by_hop, header.end_to_end);
            let code = wire::scan(&answer).result_code.unwrap_or(0);
            answered.peer.counters.answer_received(code);
            Some((answer.freeze(), code))
        }
        Err(failed) => {
            from.counters.routing_error();
            let why = match failed {
                Failed::NoPeer => "no open peer can take the request".to_owned(),
                Failed::PeerDown => "every peer the request was sent to failed".to_owned(),
                Failed::Timeout => format!("no answer within {:?}", node.request_timeout),
            };
            refusal(node, frame, result_code::UNABLE_TO_DELIVER, why, Vec::new())
        }
    }
}

/// The node's answer to a request routing will not deliver: `code` with the E bit (all are
/// protocol errors), Error-Message, and `extra` AVPs before the Proxy-Info.
pub(crate) fn refusal(
    node: &NodeInner,
    frame: &[u8],
    code: u32,
    message: String,
    extra: Vec<RawAvp<'static>>,
) -> Option<(Bytes, u32)> {
    tracing::debug!(result_code = code, %message, "request answered by routing");
    let violation = [Violation::of_message(code, message)];
    let mut answer = error_answer(frame, Problem::Violations(&violation), &node.identity)?;
    let at = answer
        .avps
        .iter()
        .position(|a| a.code == avp_code::PROXY_INFO && a.vendor_id.is_none())
        .unwrap_or(answer.avps.len());
    answer.avps.splice(at..at, extra);
    Some((answer.to_bytes(), code))
}

/// 3006 DIAMETER_REDIRECT_INDICATION naming `hosts` (RFC 6733 section 6.1.7).
pub(crate) fn redirect(
    node: &NodeInner,
    frame: &[u8],
    hosts: &[String],
    usage: RedirectHostUsage,
    max_cache_time: u32,
) -> Option<(Bytes, u32)> {
    let m = AvpFlags::MANDATORY;
    let mut extra: Vec<RawAvp<'static>> = hosts
        .iter()
        .map(|h| RawAvp::new(defs::REDIRECT_HOST.code, m, None, Bytes::from(as_uri(h))))
        .collect();
    if usage != RedirectHostUsage::DONT_CACHE {
        extra.push(RawAvp::from_value(
            defs::REDIRECT_HOST_USAGE.code,
            m,
            None,
            &usage.0,
        ));
        extra.push(RawAvp::from_value(
            defs::REDIRECT_MAX_CACHE_TIME.code,
            m,
            None,
            &max_cache_time,
        ));
    }
    refusal(
        node,
        frame,
        result_code::REDIRECT_INDICATION,
        format!("redirected to {}", hosts.join(", ")),
        extra,
    )
}
