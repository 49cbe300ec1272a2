//! The 20-byte Diameter message header (RFC 6733 section 3).

use bytes::BufMut;

use crate::error::DecodeError;

/// Length of the fixed message header in bytes.
pub const HEADER_LEN: usize = 20;

/// The only Diameter protocol version (RFC 6733 section 3).
pub const VERSION: u8 = 1;

/// Largest value the 24-bit length and command-code fields can hold.
pub const MAX_U24: u32 = 0x00ff_ffff;

/// The command flags octet: R, P, E, T and four reserved bits.
///
/// Reserved bits are kept as they came so that a lenient decode still re-encodes byte-exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CommandFlags(pub u8);

impl CommandFlags {
    /// R: the message is a request.
    pub const REQUEST: u8 = 0x80;
    /// P: the message may be proxied, relayed or redirected.
    pub const PROXIABLE: u8 = 0x40;
    /// E: the answer carries a protocol error (3xxx Result-Code).
    pub const ERROR: u8 = 0x20;
    /// T: the request may be a retransmission after a failover.
    pub const RETRANSMIT: u8 = 0x10;
    /// Bits RFC 6733 reserves; they must be zero.
    pub const RESERVED: u8 = 0x0f;

    /// Is the R bit set?
    pub fn is_request(self) -> bool {
        self.0 & Self::REQUEST != 0
    }
    /// Is the P bit set?
    pub fn is_proxiable(self) -> bool {
        self.0 & Self::PROXIABLE != 0
    }
    /// Is the E bit set?
    pub fn is_error(self) -> bool {
        self.0 & Self::ERROR != 0
    }
    /// Is the T bit set?
    pub fn is_retransmit(self) -> bool {
        self.0 & Self::RETRANSMIT != 0
    }
    /// The reserved bits, which must be zero.
    pub fn reserved(self) -> u8 {
        self.0 & Self::RESERVED
    }
    /// Returns the flags with `bit` set or cleared.
    #[must_use]
    pub fn with(self, bit: u8, on: bool) -> Self {
        if on {
            CommandFlags(self.0 | bit)
        } else {
            CommandFlags(self.0 & !bit)
        }
    }
}

/// A decoded message header.
///
/// ```
/// use diameter_runtime::header::{CommandFlags, Header};
/// let h = Header::request(272, 4).with_ids(1, 2);
/// let mut buf = bytes::BytesMut::new();
/// h.encode(&mut buf);
/// let back = Header::decode(&buf).unwrap();
/// assert_eq!(back.command_code, 272);
/// assert!(back.flags.is_request());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// Protocol version; 1 on the wire.
    pub version: u8,
    /// Message length in bytes, header included (24 bits).
    pub length: u32,
    /// Command flags.
    pub flags: CommandFlags,
    /// Command code (24 bits).
    pub command_code: u32,
    /// Application-Id.
    pub application_id: u32,
    /// Hop-by-Hop Identifier.
    pub hop_by_hop: u32,
    /// End-to-End Identifier.
    pub end_to_end: u32,
}

impl Header {
    /// A request header (R and P set) with zero length and ids, to be filled in.
    pub fn request(command_code: u32, application_id: u32) -> Self {
        Header {
            version: VERSION,
            length: HEADER_LEN as u32,
            flags: CommandFlags(CommandFlags::REQUEST | CommandFlags::PROXIABLE),
            command_code,
            application_id,
            hop_by_hop: 0,
            end_to_end: 0,
        }
    }

    /// An answer header for `request`: same code, application, ids and P bit; R cleared.
    pub fn answer_to(request: &Header) -> Self {
        Header {
            version: VERSION,
            length: HEADER_LEN as u32,
            flags: CommandFlags(request.flags.0 & CommandFlags::PROXIABLE),
            command_code: request.command_code,
            application_id: request.application_id,
            hop_by_hop: request.hop_by_hop,
            end_to_end: request.end_to_end,
        }
    }

    /// Returns the header with the given Hop-by-Hop and End-to-End identifiers.
    #[must_use]
    pub fn with_ids(mut self, hop_by_hop: u32, end_to_end: u32) -> Self {
        self.hop_by_hop = hop_by_hop;
        self.end_to_end = end_to_end;
        self
    }

    /// Reads a header from the first 20 bytes of `buf`.
    ///
    /// Checks what can be checked from the header alone: version (5011), a length that is at
    /// least 20 and a multiple of 4 (5015), the reserved flag bits (5013) and E with R (3008).
    /// It does not compare the length with `buf.len()`; framing does that.
    pub fn decode(buf: &[u8]) -> Result<Header, DecodeError> {
        let h = Self::decode_unchecked(buf)?;
        h.check()?;
        Ok(h)
    }

    /// Reads the header fields without judging them; fails only when fewer than 20 bytes exist.
    pub fn decode_unchecked(buf: &[u8]) -> Result<Header, DecodeError> {
        let b: &[u8; HEADER_LEN] = buf
            .get(..HEADER_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(DecodeError::Truncated { len: buf.len() })?;
        let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Ok(Header {
            version: b[0],
            length: word(0) & MAX_U24,
            flags: CommandFlags(b[4]),
            command_code: word(4) & MAX_U24,
            application_id: word(8),
            hop_by_hop: word(12),
            end_to_end: word(16),
        })
    }

    /// The checks of [`Header::decode`], on an already read header.
    pub fn check(&self) -> Result<(), DecodeError> {
        self.check_with(false)
    }

    /// The checks of [`Header::decode`]; with `allow_reserved`, reserved flag bits are ignored
    /// as RFC 6733 section 3 tells receivers to (strict decoding reports them as 5013).
    pub fn check_with(&self, allow_reserved: bool) -> Result<(), DecodeError> {
        if self.version != VERSION {
            return Err(DecodeError::UnsupportedVersion {
                version: self.version,
            });
        }
        if self.length < HEADER_LEN as u32 || self.length % 4 != 0 {
            return Err(DecodeError::InvalidMessageLength {
                length: self.length,
            });
        }
        if self.flags.reserved() != 0 && !allow_reserved {
            return Err(DecodeError::ReservedHeaderBits {
                flags: self.flags.0,
            });
        }
        if self.flags.is_request() && self.flags.is_error() {
            return Err(DecodeError::InvalidHeaderBits {
                flags: self.flags.0,
            });
        }
        Ok(())
    }

    /// Writes the header; the length written is `self.length`.
    pub fn encode(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.to_array());
    }

    /// The header's 20 bytes.
    pub fn to_array(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..4].copy_from_slice(
            &((u32::from(self.version) << 24) | (self.length & MAX_U24)).to_be_bytes(),
        );
        h[4..8].copy_from_slice(
            &((u32::from(self.flags.0) << 24) | (self.command_code & MAX_U24)).to_be_bytes(),
        );
        h[8..12].copy_from_slice(&self.application_id.to_be_bytes());
        h[12..16].copy_from_slice(&self.hop_by_hop.to_be_bytes());
        h[16..].copy_from_slice(&self.end_to_end.to_be_bytes());
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(h: &Header) -> Vec<u8> {
        let mut v = Vec::new();
        h.encode(&mut v);
        v
    }

    #[test]
    fn round_trip_all_fields() {
        let h = Header {
            version: 1,
            length: 0x00ab_cdec,
            flags: CommandFlags(0xd0),
            command_code: 0x00fe_dcba,
            application_id: 0xffff_ffff,
            hop_by_hop: 0x0102_0304,
            end_to_end: 0xa0b0_c0d0,
        };
        let b = bytes(&h);
        assert_eq!(b.len(), HEADER_LEN);
        assert_eq!(&b[..8], &[1, 0xab, 0xcd, 0xec, 0xd0, 0xfe, 0xdc, 0xba]);
        assert_eq!(Header::decode(&b).unwrap(), h);
    }

    #[test]
    fn flags_accessors() {
        let f = CommandFlags(0xf0);
        assert!(f.is_request() && f.is_proxiable() && f.is_error() && f.is_retransmit());
        assert_eq!(f.reserved(), 0);
        assert_eq!(CommandFlags(0x8f).reserved(), 0x0f);
        assert_eq!(CommandFlags(0).with(CommandFlags::ERROR, true).0, 0x20);
        assert_eq!(CommandFlags(0xff).with(CommandFlags::ERROR, false).0, 0xdf);
    }

    #[test]
    fn rejects_bad_headers_with_their_result_codes() {
        let good = bytes(&Header::request(257, 0));
        let mut v2 = good.clone();
        v2[0] = 2;
        assert_eq!(Header::decode(&v2).unwrap_err().result_code(), 5011);
        let mut odd = good.clone();
        odd[3] = 22;
        assert_eq!(Header::decode(&odd).unwrap_err().result_code(), 5015);
        let mut small = good.clone();
        small[3] = 16;
        assert_eq!(Header::decode(&small).unwrap_err().result_code(), 5015);
        let mut reserved = good.clone();
        reserved[4] = 0x81;
        assert_eq!(Header::decode(&reserved).unwrap_err().result_code(), 5013);
        let h = Header::decode_unchecked(&reserved).unwrap();
        assert!(h.check_with(true).is_ok());
        let mut req_err = good.clone();
        req_err[4] = 0xa0;
        assert_eq!(Header::decode(&req_err).unwrap_err().result_code(), 3008);
        assert_eq!(Header::decode(&good[..19]).unwrap_err().result_code(), 5015);
    }

    #[test]
    fn answer_copies_ids_and_p_bit() {
        let req = Header::request(272, 4).with_ids(7, 9);
        let ans = Header::answer_to(&req);
        assert!(!ans.flags.is_request());
        assert!(ans.flags.is_proxiable());
        assert_eq!(
            (ans.hop_by_hop, ans.end_to_end, ans.application_id),
            (7, 9, 4)
        );
    }
}
