//! The Diameter transport: what keeps a connection to a peer up and honest, and the typed
//! async node built on it.
//!
//! Two layers. The first is *sans-IO*: pure, deterministic state machines and helpers that
//! own no socket, spawn no task and read no clock. The caller passes each event in with the
//! current [`Instant`](std::time::Instant) and carries out the actions that come back.
//!
//! - [`peer`] — the RFC 6733 section 5.6 peer state machine, election included.
//! - [`capabilities`] — the capability exchange of CER/CEA as plain functions over plain data:
//!   application intersection (5010), unknown peers (3010), in-band security (5017).
//! - [`watchdog`] — the RFC 3539 section 3.4 watchdog (DWR/DWA, OKAY/SUSPECT/DOWN/REOPEN).
//! - [`session_id`] — Session-Id values per RFC 6733 section 8.8, and the Origin-State-Id.
//! - [`backoff`] — exponential reconnect delays with jitter.
//! - [`rng`] — the small seedable generator behind every jitter, so tests are repeatable.
//!
//! The second runs them on tokio:
//!
//! - [`conn`] — one connection over any [`Io`] (TCP, TLS): framing reader with a maximum
//!   message size, coalescing writer with a priority lane for the peer layer, pending
//!   requests by hop-by-hop identifier, a limit on concurrent handlers that pushes back.
//! - [`Node`] — the peer driver (CER/CEA, DWR/DWA, DPR/DPA with typed base commands; invalid
//!   requests answered, never fatal), `call` for typed requests and answers, handlers per
//!   command, events, counters ([`stats`]) and `tracing` spans per peer and per request;
//!   realm routing ([`Route`], [`Action`]: local, relay, proxy, redirect) with Route-Record
//!   and loop detection, failover with the T flag, redirects followed by `call`, and
//!   duplicate detection of retransmitted requests.
//! - [`typed`] — which answer type belongs to which request type.
//! - [`tls`] (feature `tls`, on by default) — rustls settings, mutual authentication, and the
//!   peer certificate checked against the Origin-Host of its CER/CEA; TLS at connect and after
//!   CER/CEA.
//!
//! A credit-control server and a client on 127.0.0.1, typed end to end:
//!
//! ```
//! use diameter_messages::credit_control::{
//!     CcRequestType, CreditControlAnswer, CreditControlRequest,
//! };
//! use diameter_messages::prelude::*;
//! use diameter_transport::{Application, Context, Node};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ocs = Node::builder()
//!     .origin_host("ocs.example.net")
//!     .origin_realm("example.net")
//!     .applications([Application::auth(4)])
//!     .accept_unknown_peers(true)
//!     // Requests that break their grammar never get here: the node answers them.
//!     .handler(|ccr: CreditControlRequest<'static>, _ctx: Context| async move {
//!         CreditControlAnswer {
//!             result_code: 2001,
//!             auth_application_id: 4,
//!             cc_request_type: ccr.cc_request_type,
//!             cc_request_number: ccr.cc_request_number,
//!             ..Default::default()
//!         }
//!     })
//!     .build()?;
//! let addr = ocs.listen("127.0.0.1:0".parse()?).await?;
//!
//! let pgw = Node::builder()
//!     .origin_host("pgw.example.net")
//!     .origin_realm("example.net")
//!     .applications([Application::auth(4)])
//!     .build()?;
//! pgw.connect(addr); // CER/CEA, then the watchdog
//! assert!(pgw.wait_open(std::time::Duration::from_secs(5)).await);
//!
//! // Session-Id, Origin-Host and Origin-Realm are filled in by the node.
//! let cca = pgw
//!     .call(
//!         CreditControlRequest::builder()
//!             .destination_realm(DiameterIdentity::from_static("example.net"))
//!             .auth_application_id(4)
//!             .service_context_id("32251@3gpp.org")
//!             .cc_request_type(CcRequestType::INITIAL_REQUEST)
//!             .cc_request_number(0),
//!     )
//!     .await?;
//! assert_eq!(cca.result_code, 2001);
//! pgw.shutdown().await; // DPR/DPA
//! ocs.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod backoff;
pub mod capabilities;
pub mod conn;
mod idhash;
mod node;
pub mod peer;
mod pending;
pub mod rng;
pub mod session_id;
mod slots;
pub mod stats;
#[cfg(feature = "tls")]
pub mod tls;
pub mod typed;
pub mod watchdog;
mod wire;

pub use backoff::{Backoff, BackoffConfig};
pub use capabilities::{
    AcceptPolicy, Application, ApplicationKind, Capabilities, CapabilityError, Negotiated,
    VendorSpecificApp,
};
pub use conn::{ConnConfig, Io};
pub use node::{
    Action, CallError, Context, Node, NodeBuilder, NodeError, NodeEvent, PeerInfo, Route,
};
pub use peer::{Conn, PeerAction, PeerConfig, PeerError, PeerEvent, PeerMachine, PeerState, Step};
pub use rng::JitterRng;
pub use session_id::SessionIdGenerator;
pub use stats::{CommandKey, Snapshot};
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsError};
pub use typed::{IntoRequest, Request, Typed};
pub use watchdog::{Watchdog, WatchdogAction, WatchdogConfig, WatchdogError, WatchdogState};

/// The Disconnect-Cause values of DPR (RFC 6733 section 5.4.3), as the generated base
/// dictionary defines them.
pub use diameter_messages::base::DisconnectCause;

/// The Redirect-Host-Usage values of a redirect route (RFC 6733 section 6.13), as the
/// generated base dictionary defines them.
pub use diameter_messages::base::RedirectHostUsage;

/// Re-exported for [`typed_commands!`].
#[doc(hidden)]
pub use bytes;
#[doc(hidden)]
pub use diameter_runtime::MissingAvps;
