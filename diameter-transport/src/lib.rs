//! The Diameter transport: what keeps a connection to a peer up and honest.
//!
//! This first layer is *sans-IO*: pure, deterministic state machines and helpers that own no
//! socket, spawn no task and read no clock. The caller passes each event in with the current
//! [`Instant`](std::time::Instant) and carries out the actions that come back; a tokio driver
//! (with a paused clock in tests) is one such caller.
//!
//! - [`peer`] — the RFC 6733 section 5.6 peer state machine, election included.
//! - [`capabilities`] — the capability exchange of CER/CEA as plain functions over plain data:
//!   application intersection (5010), unknown peers (3010), in-band security (5017).
//! - [`watchdog`] — the RFC 3539 section 3.4 watchdog (DWR/DWA, OKAY/SUSPECT/DOWN/REOPEN).
//! - [`session_id`] — Session-Id values per RFC 6733 section 8.8, and the Origin-State-Id.
//! - [`backoff`] — exponential reconnect delays with jitter.
//! - [`rng`] — the small seedable generator behind every jitter, so tests are repeatable.

pub mod backoff;
pub mod capabilities;
pub mod peer;
pub mod rng;
pub mod session_id;
pub mod watchdog;

pub use backoff::{Backoff, BackoffConfig};
pub use capabilities::{
    AcceptPolicy, Application, ApplicationKind, Capabilities, CapabilityError, Negotiated,
    VendorSpecificApp,
};
pub use peer::{Conn, PeerAction, PeerConfig, PeerError, PeerEvent, PeerMachine, PeerState, Step};
pub use rng::JitterRng;
pub use session_id::SessionIdGenerator;
pub use watchdog::{Watchdog, WatchdogAction, WatchdogConfig, WatchdogError, WatchdogState};

/// The Disconnect-Cause values of DPR (RFC 6733 section 5.4.3), as the generated base
/// dictionary defines them.
pub use diameter_messages::base::DisconnectCause;
