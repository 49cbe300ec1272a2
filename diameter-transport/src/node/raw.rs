//! Untyped requests: [`Node::call_raw`] sends an encoded request and returns the answer's
//! bytes, for what has no generated type at hand (a tool sending messages given as JSON, a
//! command of an application whose types the node was not built with).

use bytes::{Bytes, BytesMut};
use diameter_runtime::header::Header;
use tracing::Instrument;

use super::{CallError, Node};
use crate::wire;

impl Node {
    /// Sends an encoded request and returns the answer frame as received, whatever its
    /// Result-Code or E bit (the caller decodes it).
    ///
    /// `request` is a whole message with the R bit set. As with [`call`](Self::call): empty
    /// Session-Id, Origin-Host and Origin-Realm AVPs are filled in; the hop-by-hop and
    /// end-to-end identifiers are always the node's; the peer is the one named by
    /// Destination-Host if it is open, else any open peer that agreed the application.
    pub async fn call_raw(&self, request: impl Into<BytesMut>) -> Result<Bytes, CallError> {
        let inner = &*self.inner;
        let buf: BytesMut = request.into();
        // Framing problems are the caller's: refuse a message whose header is unreadable.
        let mut header = Header::decode_unchecked(&buf)?;
        if !header.flags.is_request() {
            return Err(CallError::NotARequest);
        }
        let scan = wire::scan(&buf);
        let destination_host = scan
            .destination_host
            .and_then(|(a, b)| buf.get(a..b))
            .and_then(|d| std::str::from_utf8(d).ok())
            .map(str::to_owned);
        let session_bytes = || Bytes::from(inner.sessions.next());
        let mut buf = wire::fill_identities(
            buf,
            &scan,
            &wire::Identities {
                origin_host: inner.identity.origin_host.as_bytes(),
                origin_realm: inner.identity.origin_realm.as_bytes(),
                session_id: &session_bytes,
            },
        );
        if let Some(app) = wire::session_command_application(&header, &scan) {
            wire::set_application_id(&mut buf, app);
            header.application_id = app;
        }
        let application_id = header.application_id;
        let Some((peer, conn)) = inner.pick(application_id, destination_host.as_deref()) else {
            return Err(CallError::NoPeer { application_id });
        };
        let end_to_end = inner.next_e2e();
        wire::set_ids(&mut buf, 0, end_to_end);
        let command = inner.commands.get(application_id, header.command_code);
        let span = tracing::debug_span!(
            "call_raw",
            peer = peer.host().as_deref().unwrap_or("?"),
            app = application_id,
            code = header.command_code,
            e2e = end_to_end
        );
        async move {
            let (hop_by_hop, mut rx) = conn.send_request(buf).await.ok_or(CallError::PeerDown)?;
            peer.counters.request_sent();
            command.request_sent();
            let frame = match tokio::time::timeout(inner.request_timeout, &mut rx).await {
                Ok(Ok(frame)) => frame,
                Ok(Err(_)) => return Err(CallError::PeerDown),
                Err(_) => {
                    if conn.forget(hop_by_hop) {
                        peer.counters.timeout();
                        command.timeout();
                        tracing::debug!(hop_by_hop, "timed out");
                        return Err(CallError::Timeout(inner.request_timeout));
                    }
                    // The answer won the race against the timer: it is in the channel.
                    rx.await.map_err(|_| CallError::PeerDown)?
                }
            };
            let result_code = wire::scan(&frame).result_code.unwrap_or(0);
            peer.counters.answer_received(result_code);
            command.answer_received(result_code);
            Ok(frame)
        }
        .instrument(span)
        .await
    }
}
