//! Untyped requests: [`Node::call_raw`] sends an encoded request and returns the answer's
//! bytes, for what has no generated type at hand (a tool sending messages given as JSON, a
//! command of an application whose types the node was not built with).

use bytes::{Bytes, BytesMut};
use diameter_runtime::header::Header;

use super::{CallError, Node};

impl Node {
    /// Sends an encoded request and returns the answer frame as received, whatever its
    /// Result-Code or E bit (the caller decodes it).
    ///
    /// `request` is a whole message with the R bit set. As with [`call`](Self::call): empty
    /// Session-Id, Origin-Host and Origin-Realm AVPs are filled in; the hop-by-hop and
    /// end-to-end identifiers are always the node's; the peer is chosen, failed over and
    /// redirects followed as for `call`. A redirect that cannot be followed is returned as
    /// its 3006 answer.
    pub async fn call_raw(&self, request: impl Into<BytesMut>) -> Result<Bytes, CallError> {
        let buf: BytesMut = request.into();
        // Framing problems are the caller's: refuse a message whose header is unreadable.
        let header = Header::decode_unchecked(&buf)?;
        if !header.flags.is_request() {
            return Err(CallError::NotARequest);
        }
        self.exchange(buf, true).await
    }
}
