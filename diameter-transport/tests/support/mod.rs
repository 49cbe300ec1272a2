//! Helpers of the integration tests.
pub mod node_events;
pub mod oracles;
pub mod raw_peer;
