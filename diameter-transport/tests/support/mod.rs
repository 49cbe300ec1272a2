//! Helpers of the integration tests.
pub mod oracles;
pub mod raw_peer;
