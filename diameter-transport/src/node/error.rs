//! The errors of the node API.

use diameter_runtime::{DecodeError, MissingAvps, Violation};

/// Why [`Node::call`](crate::Node::call) got no answer it could return.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No answer came within the request timeout. The request may still be processed by the
    /// peer; a late answer is counted and dropped.
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// No open peer that may carry the request's application (and that the watchdog lets
    /// carry requests): nothing was sent.
    #[error("no open peer for application {application_id}")]
    NoPeer {
        /// The request's Application-Id.
        application_id: u32,
    },
    /// The connection carrying the request closed before the answer came, and no other peer
    /// could take the request (failover found none).
    #[error("the peer's connection closed before the answer came, and no other peer could take the request")]
    PeerDown,
    /// The answer is a protocol error (E bit set): its Result-Code and Error-Message.
    #[error("error answer {result_code}{}", .error_message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    ErrorAnswer {
        /// The answer's Result-Code.
        result_code: u32,
        /// The answer's Error-Message, if any.
        error_message: Option<String>,
    },
    /// The answer was 3006 DIAMETER_REDIRECT_INDICATION naming hosts none of which is an open
    /// peer of this node (or a second redirect, after one was followed).
    #[error("redirected to {}, not an open peer", .hosts.join(", "))]
    Redirected {
        /// The host names of the answer's Redirect-Host AVPs.
        hosts: Vec<String>,
    },
    /// The answer could not be read as the expected answer type.
    #[error("the answer could not be decoded: {0}")]
    Decode(#[from] DecodeError),
    /// The answer decoded, but breaks the answer's grammar.
    #[error("the answer is invalid: {}", .violations.first().map(ToString::to_string).unwrap_or_default())]
    InvalidAnswer {
        /// What is wrong with it.
        violations: Vec<Violation>,
    },
    /// The request's builder lacked required AVPs the node does not fill in.
    #[error(transparent)]
    Build(#[from] MissingAvps),
    /// [`Node::call_raw`](crate::Node::call_raw) was given a message without the R bit.
    #[error("the message to send is not a request (R bit clear)")]
    NotARequest,
}

/// Why [`NodeBuilder::build`](crate::NodeBuilder::build) refused its settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// Origin-Host or Origin-Realm was not set.
    #[error("{0} is required")]
    Missing(&'static str),
    /// Origin-Host or Origin-Realm is not a valid DiameterIdentity.
    #[error("{field} {value:?} is not a valid DiameterIdentity")]
    InvalidIdentity {
        /// Which setting.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// The node advertises no application, so every capability exchange would fail (5010).
    #[error("the node advertises no application")]
    NoApplication,
    /// TLS was asked for but the node has no [`TlsConfig`](crate::TlsConfig).
    #[error("TLS asked for, but the node was built without TLS settings")]
    NoTls,
    /// A host name is not usable as a TLS server name.
    #[error("{0:?} is not a valid TLS server name")]
    InvalidServerName(String),
    /// Binding a listening socket failed.
    #[error("listen: {0}")]
    Io(#[from] std::io::Error),
}
