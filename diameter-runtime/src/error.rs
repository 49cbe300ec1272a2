//! Typed decode errors, each mapped to the RFC 6733 Result-Code a receiver answers with and
//! carrying what the Failed-AVP AVP of that answer must hold.

use bytes::Bytes;

use crate::avp::{AvpFlags, AvpHeader};
use crate::consts::result_code as rc;

/// An error that makes a whole message unreadable. Non-exhaustive: a later version may add kinds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than a 20-byte header.
    #[error("truncated message: {len} bytes, a header needs 20")]
    Truncated {
        /// Bytes available.
        len: usize,
    },
    /// Version other than 1.
    #[error("unsupported Diameter version {version}")]
    UnsupportedVersion {
        /// The version found.
        version: u8,
    },
    /// Message-Length below 20 or not a multiple of 4.
    #[error("invalid message length {length}")]
    InvalidMessageLength {
        /// The length the header declares.
        length: u32,
    },
    /// Message-Length disagrees with the bytes given.
    #[error("message length {length} does not match the {available} bytes given")]
    LengthMismatch {
        /// The length the header declares.
        length: u32,
        /// Bytes available.
        available: usize,
    },
    /// Reserved command flag bits set (RFC 6733 section 3 says senders must clear them).
    #[error("reserved command flag bits set ({flags:#04x})")]
    ReservedHeaderBits {
        /// The flags octet.
        flags: u8,
    },
    /// An invalid combination of command flags: E set in a request.
    #[error("invalid command flags {flags:#04x}")]
    InvalidHeaderBits {
        /// The flags octet.
        flags: u8,
    },
    /// The message is longer than the configured limit.
    #[error("message length {length} exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// The length the header declares.
        length: u32,
        /// The configured limit.
        limit: u32,
    },
    /// More AVPs in one list than the configured limit.
    #[error("more than {limit} AVPs")]
    TooManyAvps {
        /// The configured limit.
        limit: u32,
    },
    /// Grouped AVPs nested deeper than the configured limit.
    #[error("grouped AVPs nested deeper than {limit}")]
    TooDeep {
        /// The configured limit.
        limit: u32,
    },
    /// A typed decoder was given another command.
    #[error("command {command_code} ({}) is not a {expected}", if *request { "request" } else { "answer" })]
    UnexpectedCommand {
        /// The command code found.
        command_code: u32,
        /// The R bit found.
        request: bool,
        /// The command the decoder decodes.
        expected: &'static str,
    },
    /// A malformed AVP.
    #[error(transparent)]
    Avp(#[from] Box<AvpError>),
}

impl From<AvpError> for DecodeError {
    fn from(e: AvpError) -> Self {
        DecodeError::Avp(Box::new(e))
    }
}

impl DecodeError {
    /// The Result-Code RFC 6733 section 7.1 gives for this error.
    ///
    /// Limits are ours, not the RFC's: exceeding one is answered with 5012 UNABLE_TO_COMPLY,
    /// since the message may well be valid.
    pub fn result_code(&self) -> u32 {
        match self {
            DecodeError::Truncated { .. }
            | DecodeError::InvalidMessageLength { .. }
            | DecodeError::LengthMismatch { .. } => rc::INVALID_MESSAGE_LENGTH,
            DecodeError::UnsupportedVersion { .. } => rc::UNSUPPORTED_VERSION,
            DecodeError::InvalidHeaderBits { .. } => rc::INVALID_HDR_BITS,
            DecodeError::ReservedHeaderBits { .. } => rc::INVALID_BIT_IN_HEADER,
            DecodeError::UnexpectedCommand { .. } => rc::COMMAND_UNSUPPORTED,
            DecodeError::MessageTooLarge { .. }
            | DecodeError::TooManyAvps { .. }
            | DecodeError::TooDeep { .. } => rc::UNABLE_TO_COMPLY,
            DecodeError::Avp(e) => e.result_code(),
        }
    }

    /// The AVP to put in Failed-AVP, when the error concerns one.
    pub fn failed_avp(&self) -> Option<&Bytes> {
        match self {
            DecodeError::Avp(e) => Some(&e.failed_avp),
            _ => None,
        }
    }
}

/// What is wrong with an AVP. Non-exhaustive: a later version may add kinds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AvpErrorKind {
    /// Fewer than 8 bytes left for a header.
    #[error("only {available} bytes left for an AVP header")]
    HeaderTruncated {
        /// Bytes left.
        available: usize,
    },
    /// AVP Length smaller than the AVP's header.
    #[error("AVP length {length} is shorter than its header")]
    LengthTooSmall {
        /// The AVP Length field.
        length: u32,
    },
    /// AVP Length (plus padding) past the end of its container.
    #[error("AVP length {length} overruns the {available} bytes left")]
    LengthOverrun {
        /// The AVP Length field.
        length: u32,
        /// Bytes left in the container.
        available: usize,
    },
    /// Reserved AVP flag bits set.
    #[error("reserved AVP flag bits set ({flags:#04x})")]
    ReservedBits {
        /// The flags octet.
        flags: u8,
    },
    /// Padding bytes that are not zero: the AVP Length does not cover the data sent.
    #[error("non-zero padding after the AVP data")]
    NonZeroPadding,
    /// The data is not a valid value of the AVP's type.
    #[error(transparent)]
    Value(#[from] ValueError),
}

/// One element of an AVP path: the grouped AVPs enclosing the offending AVP, outermost first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PathElem {
    /// AVP code.
    pub code: u32,
    /// Vendor-Id, 0 when none.
    pub vendor_id: u32,
}

/// A malformed AVP: what is wrong, which AVP it is, where, and the Failed-AVP content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("AVP {code}{} at offset {offset}{}: {kind}", vendor_suffix(*vendor_id), path_suffix(path))]
pub struct AvpError {
    /// What is wrong.
    pub kind: AvpErrorKind,
    /// Code of the offending AVP (0 when even that could not be read).
    pub code: u32,
    /// Vendor-Id of the offending AVP, 0 when none.
    pub vendor_id: u32,
    /// Flags of the offending AVP.
    pub flags: u8,
    /// Offset of the offending AVP within the buffer its container's walk was given.
    pub offset: usize,
    /// Enclosing grouped AVPs, outermost first; empty for a top-level AVP.
    pub path: Vec<PathElem>,
    /// The AVP to send back in Failed-AVP, as RFC 6733 section 7.5 describes for this error,
    /// without trailing padding (whoever embeds it pads it).
    pub failed_avp: Bytes,
}

fn vendor_suffix(vendor_id: u32) -> String {
    if vendor_id == 0 {
        String::new()
    } else {
        format!(" (vendor {vendor_id})")
    }
}

fn path_suffix(path: &[PathElem]) -> String {
    if path.is_empty() {
        return String::new();
    }
    let names: Vec<String> = path.iter().map(|p| p.code.to_string()).collect();
    format!(" inside {}", names.join("/"))
}

impl AvpError {
    /// An error whose Failed-AVP is `wire`, the offending AVP as it came (or a fixed-up copy).
    // Errors are rare: keep their construction out of the decoders' hot loops.
    #[cold]
    #[inline(never)]
    pub(crate) fn from_wire(kind: AvpErrorKind, wire: &[u8], offset: usize) -> Box<Self> {
        let word = |i: usize| {
            wire.get(i..i + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                .unwrap_or(0)
        };
        let flags = wire.get(4).copied().unwrap_or(0);
        let vendor_id = if AvpFlags(flags).is_vendor() {
            word(8)
        } else {
            0
        };
        Box::new(AvpError {
            kind,
            code: word(0),
            vendor_id,
            flags,
            offset,
            path: Vec::new(),
            failed_avp: Bytes::copy_from_slice(wire),
        })
    }

    /// An error whose length is unusable: Failed-AVP is the header with an empty payload and a
    /// length that matches it (RFC 6733 section 7.5, DIAMETER_INVALID_AVP_LENGTH).
    #[cold]
    #[inline(never)]
    pub(crate) fn header_only(
        kind: AvpErrorKind,
        code: u32,
        flags: AvpFlags,
        vendor_id: Option<u32>,
        offset: usize,
    ) -> Box<Self> {
        // A V bit whose Vendor-Id is cut off still gets a (zero) Vendor-Id field.
        let vendor_field = flags.is_vendor().then(|| vendor_id.unwrap_or(0));
        let failed_avp = crate::failed::unpadded(code, flags.0, vendor_field, &[]);
        Box::new(AvpError {
            kind,
            code,
            vendor_id: vendor_id.unwrap_or(0),
            flags: flags.0,
            offset,
            path: Vec::new(),
            failed_avp,
        })
    }

    /// An error about the value of a well-framed AVP; Failed-AVP holds the AVP as it came.
    pub fn invalid_value(kind: ValueError, avp: &crate::avp::AvpRef<'_>) -> Box<Self> {
        AvpError::from_wire(AvpErrorKind::Value(kind), avp.wire, avp.offset)
    }

    /// The same error seen from the Grouped AVP that contains it: the path gains `parent`, and
    /// Failed-AVP becomes the parent holding only the offending AVP (RFC 6733 section 7.5).
    #[must_use]
    pub fn inside(mut self: Box<Self>, parent: &AvpHeader) -> Box<Self> {
        self.path.insert(
            0,
            PathElem {
                code: parent.code,
                vendor_id: parent.vendor(),
            },
        );
        self.failed_avp = crate::failed::nest(parent, &self.failed_avp);
        self
    }

    /// The same error with its offset moved by `base` (the offset of the walked buffer).
    #[must_use]
    pub fn at_offset(mut self: Box<Self>, base: usize) -> Box<Self> {
        self.offset += base;
        self
    }

    /// The Result-Code RFC 6733 section 7.1 gives for this error.
    pub fn result_code(&self) -> u32 {
        match &self.kind {
            AvpErrorKind::HeaderTruncated { .. }
            | AvpErrorKind::LengthTooSmall { .. }
            | AvpErrorKind::LengthOverrun { .. }
            | AvpErrorKind::NonZeroPadding => rc::INVALID_AVP_LENGTH,
            AvpErrorKind::ReservedBits { .. } => rc::INVALID_AVP_BITS,
            AvpErrorKind::Value(v) => v.result_code(),
        }
    }
}

/// A value that is not valid for its type. Non-exhaustive: a later version may add kinds.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The data length is wrong for the type (e.g. 5 bytes for an Unsigned32).
    #[error("{ty} data of {actual} bytes, expected {expected}")]
    Length {
        /// The type's name.
        ty: &'static str,
        /// What the type needs.
        expected: &'static str,
        /// Bytes found.
        actual: usize,
    },
    /// Text that is not UTF-8.
    #[error("{ty} is not valid UTF-8 (byte {valid_up_to})")]
    Utf8 {
        /// The type's name.
        ty: &'static str,
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// Data of the right shape but an invalid content.
    #[error("invalid {ty}: {reason}")]
    Invalid {
        /// The type's name.
        ty: &'static str,
        /// Why.
        reason: String,
    },
}

impl ValueError {
    /// 5014 for a length that is wrong for the type, 5004 for anything else.
    pub fn result_code(&self) -> u32 {
        match self {
            ValueError::Length { .. } => rc::INVALID_AVP_LENGTH,
            _ => rc::INVALID_AVP_VALUE,
        }
    }
}
