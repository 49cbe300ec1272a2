//! # diameter-runtime
//!
//! The wire codec and value types of a Diameter (RFC 6733) stack: message and AVP headers,
//! the dictionary-free [`RawMessage`] form, every RFC 6733 data type ([`types`]), stream
//! framing ([`frame`]), and typed errors that map to the Result-Code a receiver must answer
//! with ([`DecodeError::result_code`]) and carry the Failed-AVP content.
//!
//! The runtime names no application AVP: typed messages are generated from XML dictionaries
//! into the `diameter-messages` crate, which builds on this one.
//!
//! ```
//! use bytes::Bytes;
//! use diameter_runtime::RawMessage;
//!
//! // A Device-Watchdog-Request: header, Origin-Host, Origin-Realm.
//! let hex = "0100003c800001180000000000000001000000020000010840000011612e6578616d706c6500000000000128400000136578616d706c652e6f726700";
//! let wire = Bytes::from((0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect::<Vec<u8>>());
//! let msg = RawMessage::decode(wire.clone()).unwrap();
//! assert_eq!(msg.header.command_code, 280);
//! assert_eq!(msg.avps[0].value::<diameter_runtime::types::DiameterIdentity>().unwrap(), "a.example");
//! assert_eq!(msg.to_bytes(), wire);
//! ```

#[doc(hidden)]
#[path = "generated_api.rs"]
pub mod __private;
pub mod answer;
pub mod avp;
pub mod build;
pub mod consts;
pub mod dictionary;
pub mod enc;
pub mod error;
mod failed;
pub mod frame;
pub mod header;
pub mod limits;
pub mod raw;
pub mod typed;
pub mod types;
pub mod view;
pub mod violation;

/// Re-exported so that generated code and users name the same `Bytes`.
pub use bytes;
/// Re-exported: short repeated fields of generated types are `SmallVec`s (no allocation for
/// the usual one or few values); build them with `smallvec![..]` or `.into()` from a `Vec`.
pub use smallvec;

pub use avp::{AvpFlags, AvpHeader, Leniency};
pub use build::{CommandBuilder, MissingAvps};
pub use error::{AvpError, AvpErrorKind, DecodeError, ValueError};
pub use header::{CommandFlags, Header};
pub use limits::DecodeOptions;
pub use raw::{RawAvp, RawMessage};
pub use typed::{Command, Decoded, Group, Note, NoteKind, Violation};
pub use view::{CommandView, GroupView};
