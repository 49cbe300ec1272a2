//! The AVP header (RFC 6733 section 4.1) and a borrowing, allocation-free walk over AVPs.

use bytes::BufMut;

use crate::error::{AvpError, AvpErrorKind};
use crate::header::MAX_U24;

/// Length of an AVP header without the Vendor-Id field.
pub const AVP_HEADER_LEN: usize = 8;
/// Length of an AVP header with the Vendor-Id field (V bit set).
pub const AVP_VENDOR_HEADER_LEN: usize = 12;

/// The AVP flags octet: V, M, P and five reserved bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AvpFlags(pub u8);

impl AvpFlags {
    /// V: a Vendor-Id field follows the length.
    pub const VENDOR: u8 = 0x80;
    /// M: the receiver must understand the AVP or reject the message.
    pub const MANDATORY: u8 = 0x40;
    /// P: end-to-end protection (deprecated by RFC 6733, still carried).
    pub const PROTECTED: u8 = 0x20;
    /// Bits RFC 6733 reserves; they must be zero.
    pub const RESERVED: u8 = 0x1f;

    /// Is the V bit set?
    pub fn is_vendor(self) -> bool {
        self.0 & Self::VENDOR != 0
    }
    /// Is the M bit set?
    pub fn is_mandatory(self) -> bool {
        self.0 & Self::MANDATORY != 0
    }
    /// Is the P bit set?
    pub fn is_protected(self) -> bool {
        self.0 & Self::PROTECTED != 0
    }
    /// The reserved bits, which must be zero.
    pub fn reserved(self) -> u8 {
        self.0 & Self::RESERVED
    }
}

/// A decoded AVP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AvpHeader {
    /// AVP code.
    pub code: u32,
    /// Flags, reserved bits included.
    pub flags: AvpFlags,
    /// AVP length: header plus data, padding excluded (24 bits).
    pub length: u32,
    /// Vendor-Id, present exactly when the V bit is set.
    pub vendor_id: Option<u32>,
}

impl AvpHeader {
    /// Size of this header on the wire: 8, or 12 with a Vendor-Id.
    pub fn header_len(&self) -> usize {
        if self.vendor_id.is_some() {
            AVP_VENDOR_HEADER_LEN
        } else {
            AVP_HEADER_LEN
        }
    }

    /// Vendor-Id, or 0 when the V bit is clear (the key AVPs are looked up by).
    pub fn vendor(&self) -> u32 {
        self.vendor_id.unwrap_or(0)
    }

    /// Writes the header. The V bit is set from `vendor_id`, whatever `flags` says.
    pub fn encode(&self, buf: &mut impl BufMut) {
        let flags = match self.vendor_id {
            Some(_) => self.flags.0 | AvpFlags::VENDOR,
            None => self.flags.0 & !AvpFlags::VENDOR,
        };
        buf.put_u32(self.code);
        buf.put_u32((u32::from(flags) << 24) | (self.length & MAX_U24));
        if let Some(v) = self.vendor_id {
            buf.put_u32(v);
        }
    }
}

/// Padding needed after `len` bytes to reach a multiple of 4.
pub fn padding(len: usize) -> usize {
    (4 - (len & 3)) & 3
}

/// One AVP borrowed from a buffer: its header, its data (without padding) and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvpRef<'a> {
    /// The decoded header.
    pub header: AvpHeader,
    /// The AVP data, padding excluded.
    pub data: &'a [u8],
    /// Offset of the AVP header within the buffer the walk was given.
    pub offset: usize,
    /// The whole AVP as on the wire, header through data, padding excluded.
    pub wire: &'a [u8],
}

/// What the walk tolerates. Strict (all `false`) is the default and what RFC 6733 asks for.
/// Non-exhaustive: build it from [`Leniency::strict`] with the `with_` methods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Leniency {
    /// Accept reserved flag bits, as RFC 6733 tells receivers to ignore them (sections 3 and
    /// 4.1); strict decoding reports them: 3009 DIAMETER_INVALID_AVP_BITS on an AVP, 5013
    /// DIAMETER_INVALID_BIT_IN_HEADER on the header.
    pub reserved_bits: bool,
    /// Accept non-zero padding bytes (otherwise 5014). Such a message does not re-encode
    /// byte-exactly: the encoder always pads with zeros.
    pub nonzero_padding: bool,
}

impl Leniency {
    /// Nothing tolerated (the default).
    pub const fn strict() -> Self {
        Leniency {
            reserved_bits: false,
            nonzero_padding: false,
        }
    }

    /// With reserved flag bits accepted (`true`) or reported.
    pub const fn with_reserved_bits(mut self, on: bool) -> Self {
        self.reserved_bits = on;
        self
    }

    /// With non-zero padding accepted (`true`) or reported.
    pub const fn with_nonzero_padding(mut self, on: bool) -> Self {
        self.nonzero_padding = on;
        self
    }
}

/// An iterator over the AVPs of a buffer holding a sequence of them (a message body or the
/// data of a Grouped AVP). It yields each AVP borrowed, with no allocation, and stops after the
/// first error. Errors are boxed: they are rare, and it keeps the `Ok` path small.
///
/// ```
/// use diameter_runtime::avp::AvpIter;
/// // Origin-State-Id (278) = 7, then a vendor AVP 1 of vendor 10415 = 0x01020304.
/// let body = [0, 0, 1, 22, 0x40, 0, 0, 12, 0, 0, 0, 7,
///             0, 0, 0, 1, 0xc0, 0, 0, 16, 0, 0, 0x28, 0xaf, 1, 2, 3, 4];
/// let avps: Vec<_> = AvpIter::new(&body).collect::<Result<_, _>>().unwrap();
/// assert_eq!(avps[0].header.code, 278);
/// assert_eq!(avps[1].header.vendor_id, Some(10415));
/// assert_eq!(avps[1].data, &[1, 2, 3, 4]);
/// ```
#[derive(Clone, Debug)]
pub struct AvpIter<'a> {
    buf: &'a [u8],
    pos: usize,
    leniency: Leniency,
}

impl<'a> AvpIter<'a> {
    /// Walks `buf` strictly.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_leniency(buf, Leniency::default())
    }

    /// Walks `buf`, tolerating what `leniency` allows.
    pub fn with_leniency(buf: &'a [u8], leniency: Leniency) -> Self {
        AvpIter {
            buf,
            pos: 0,
            leniency,
        }
    }

    /// Offset of the next AVP in the buffer.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Continues a walk of `buf` at `pos` (an AVP boundary).
    pub(crate) fn at(buf: &'a [u8], pos: usize, leniency: Leniency) -> Self {
        AvpIter { buf, pos, leniency }
    }

    #[inline(always)]
    fn next_avp(&mut self) -> Result<AvpRef<'a>, Box<AvpError>> {
        match parse_at(self.buf, self.pos, self.leniency) {
            Some((a, next)) => {
                self.pos = next;
                Ok(a)
            }
            None => self.next_slow(),
        }
    }

    /// Every check again, one at a time, to say exactly what is wrong.
    #[cold]
    #[inline(never)]
    fn next_slow(&mut self) -> Result<AvpRef<'a>, Box<AvpError>> {
        let start = self.pos;
        let rest = self.buf.get(start..).unwrap_or_default();
        if rest.len() < AVP_HEADER_LEN {
            // RFC 6733 7.5 (5014): pad an incomplete header with zeros up to the minimum.
            let mut failed = [0u8; AVP_HEADER_LEN];
            failed[..rest.len()].copy_from_slice(rest);
            return Err(AvpError::from_wire(
                AvpErrorKind::HeaderTruncated {
                    available: rest.len(),
                },
                &failed,
                start,
            ));
        }
        let code = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let flags = AvpFlags(rest[4]);
        let length = u32::from_be_bytes([0, rest[5], rest[6], rest[7]]);
        let vendor_id = if flags.is_vendor() {
            match rest.get(8..12) {
                Some(v) if length as usize >= AVP_VENDOR_HEADER_LEN => {
                    Some(u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
                }
                _ => {
                    return Err(AvpError::header_only(
                        AvpErrorKind::LengthTooSmall { length },
                        code,
                        flags,
                        rest.get(8..12)
                            .map(|v| u32::from_be_bytes([v[0], v[1], v[2], v[3]])),
                        start,
                    ))
                }
            }
        } else {
            None
        };
        let header = AvpHeader {
            code,
            flags,
            length,
            vendor_id,
        };
        let hlen = header.header_len();
        let len = length as usize;
        if len < hlen {
            return Err(AvpError::header_only(
                AvpErrorKind::LengthTooSmall { length },
                code,
                flags,
                vendor_id,
                start,
            ));
        }
        if len > rest.len() {
            return Err(AvpError::header_only(
                AvpErrorKind::LengthOverrun {
                    length,
                    available: rest.len(),
                },
                code,
                flags,
                vendor_id,
                start,
            ));
        }
        let wire = &rest[..len];
        let pad = padding(len);
        // The last AVP of a buffer may omit its padding only if the buffer itself is padded
        // by its container; a message body and a Grouped AVP's data always end aligned, so a
        // missing pad means the container length disagrees.
        let Some(pad_bytes) = rest.get(len..len + pad) else {
            return Err(AvpError::from_wire(
                AvpErrorKind::LengthOverrun {
                    length,
                    available: rest.len(),
                },
                wire,
                start,
            ));
        };
        if flags.reserved() != 0 && !self.leniency.reserved_bits {
            return Err(AvpError::from_wire(
                AvpErrorKind::ReservedBits { flags: flags.0 },
                wire,
                start,
            ));
        }
        if !self.leniency.nonzero_padding && pad_bytes.iter().any(|&b| b != 0) {
            return Err(AvpError::from_wire(
                AvpErrorKind::NonZeroPadding,
                wire,
                start,
            ));
        }
        self.pos = start + len + pad;
        Ok(AvpRef {
            header,
            data: &wire[hlen..],
            offset: start,
            wire,
        })
    }
}

impl<'a> Iterator for AvpIter<'a> {
    type Item = Result<AvpRef<'a>, Box<AvpError>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let r = self.next_avp();
        if r.is_err() {
            // Nothing after a malformed AVP can be trusted: end the walk.
            self.pos = self.buf.len();
        }
        Some(r)
    }
}

/// The well-formed AVP at `pos` of `buf` and the offset after it (padding included), with as
/// few branches as the checks need; `None` when it is malformed in any way (an [`AvpIter`]
/// at `pos` then says exactly how). Reserved flag bits and non-zero padding are malformed
/// unless `leniency` accepts them.
#[inline(always)]
pub fn parse_at(buf: &[u8], pos: usize, leniency: Leniency) -> Option<(AvpRef<'_>, usize)> {
    let rest = buf.get(pos..)?;
    let &[c0, c1, c2, c3, f, l0, l1, l2] = rest.first_chunk::<8>()?;
    // Flags and length read as one word (one load and a byte swap), then split.
    let word = u32::from_be_bytes([f, l0, l1, l2]);
    let flags = (word >> 24) as u8;
    let len = (word & 0x00ff_ffff) as usize;
    // Written as an addition so that the compiler knows `padded >= len` (one check fewer).
    let padded = len + (len.wrapping_neg() & 3);
    let vendor = flags & AvpFlags::VENDOR != 0;
    let hlen = if vendor {
        AVP_VENDOR_HEADER_LEN
    } else {
        AVP_HEADER_LEN
    };
    // A mask rather than `&& !leniency.reserved_bits`: one test in the loop, once hoisted.
    let reserved = if leniency.reserved_bits {
        0
    } else {
        AvpFlags::RESERVED
    };
    if len < hlen || flags & reserved != 0 {
        return None;
    }
    // One bounds check for the AVP and its padding; the splits below stay within it.
    let avp = rest.get(..padded)?;
    let (wire, padding) = avp.split_at_checked(len)?;
    if !padding.is_empty() && !leniency.nonzero_padding {
        // The padding is the low (padded - len) bytes of the AVP's last big-endian word.
        let &[w0, w1, w2, w3] = avp.last_chunk::<4>()?;
        let mask = (1u32 << (8 * padding.len())) - 1;
        if u32::from_be_bytes([w0, w1, w2, w3]) & mask != 0 {
            return None;
        }
    }
    let (head, data) = wire.split_at_checked(hlen)?;
    let vendor_id = if vendor {
        let &[v0, v1, v2, v3] = head.last_chunk::<4>()?;
        Some(u32::from_be_bytes([v0, v1, v2, v3]))
    } else {
        None
    };
    Some((
        AvpRef {
            header: AvpHeader {
                code: u32::from_be_bytes([c0, c1, c2, c3]),
                flags: AvpFlags(flags),
                length: len as u32,
                vendor_id,
            },
            data,
            offset: pos,
            wire,
        },
        pos + padded,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::RawAvp;
    use bytes::BytesMut;

    /// An AVP appended to `buf` as the encoder writes it.
    fn put_avp(buf: &mut BytesMut, code: u32, flags: u8, vendor_id: Option<u32>, data: &[u8]) {
        RawAvp::new(code, flags, vendor_id, data.to_vec()).encode(buf);
    }

    fn one(buf: &[u8]) -> Result<AvpRef<'_>, Box<AvpError>> {
        AvpIter::new(buf).next().unwrap()
    }

    #[test]
    fn encodes_and_walks_plain_and_vendor_avps() {
        let mut buf = BytesMut::new();
        put_avp(&mut buf, 264, 0x40, None, b"host.example");
        put_avp(&mut buf, 1, 0xc0, Some(10415), b"abcde");
        assert_eq!(buf.len(), 20 + 20);
        let avps: Vec<_> = AvpIter::new(&buf).map(Result::unwrap).collect();
        assert_eq!(avps.len(), 2);
        assert_eq!(avps[0].header.length, 20);
        assert_eq!(avps[0].data, b"host.example");
        assert_eq!(avps[1].header.vendor_id, Some(10415));
        assert_eq!(avps[1].header.length, 17);
        assert_eq!(avps[1].data, b"abcde");
        assert_eq!(avps[1].offset, 20);
        assert_eq!(&buf[37..40], &[0, 0, 0], "padding is zero");
    }

    #[test]
    fn v_bit_follows_vendor_id() {
        let mut buf = BytesMut::new();
        put_avp(&mut buf, 1, 0x80, None, &[]);
        assert_eq!(buf[4], 0);
        let mut buf = BytesMut::new();
        put_avp(&mut buf, 1, 0x00, Some(5), &[]);
        assert_eq!(buf[4], 0x80);
        assert_eq!(buf.len(), 12);
    }

    #[test]
    fn nested_lengths_are_patched() {
        let kids = [
            RawAvp::new(432, 0x40, None, vec![0, 0, 0, 100]),
            RawAvp::grouped_from(437, 0x40, None, &[]),
        ];
        let mut buf = BytesMut::new();
        RawAvp::grouped_from(456, 0x40, None, &kids).encode(&mut buf);
        let top = one(&buf).unwrap();
        assert_eq!(top.header.length, 8 + 12 + 8);
        let kids: Vec<_> = AvpIter::new(top.data).map(Result::unwrap).collect();
        assert_eq!(kids[0].header.code, 432);
        assert_eq!(kids[1].data.len(), 0);
    }

    #[test]
    fn truncated_header_is_5014_with_zero_padded_failed_avp() {
        let e = one(&[0, 0, 1, 8, 0x40]).unwrap_err();
        assert_eq!(e.result_code(), 5014);
        assert_eq!(&e.failed_avp[..], &[0, 0, 1, 8, 0x40, 0, 0, 0]);
    }

    #[test]
    fn length_below_header_is_5014() {
        let e = one(&[0, 0, 1, 8, 0x40, 0, 0, 4, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(e.result_code(), 5014);
        assert_eq!(e.code, 264);
        assert!(matches!(e.kind, AvpErrorKind::LengthTooSmall { length: 4 }));
        // Failed-AVP: the header with an empty payload, length fixed up to the header size.
        assert_eq!(&e.failed_avp[..], &[0, 0, 1, 8, 0x40, 0, 0, 8]);
    }

    #[test]
    fn vendor_avp_shorter_than_vendor_header_is_5014() {
        let e = one(&[0, 0, 5, 0x7f, 0xc0, 0, 0, 10, 0, 0, 0x28, 0xaf]).unwrap_err();
        assert_eq!(e.result_code(), 5014);
        assert_eq!(e.vendor_id, 10415);
        assert_eq!(e.failed_avp.len(), 12);
    }

    #[test]
    fn overrun_is_5014() {
        let e = one(&[0, 0, 1, 8, 0x40, 0, 0, 200, 0, 0, 0, 0]).unwrap_err();
        assert!(matches!(
            e.kind,
            AvpErrorKind::LengthOverrun {
                length: 200,
                available: 12
            }
        ));
        assert_eq!(e.result_code(), 5014);
        // Missing padding at the end of the buffer is an overrun as well.
        let e = one(&[0, 0, 1, 8, 0x40, 0, 0, 9, 7]).unwrap_err();
        assert_eq!(e.result_code(), 5014);
    }

    #[test]
    fn reserved_bits_are_3009_unless_lenient() {
        let avp = [0, 0, 1, 0x28, 0x5f, 0, 0, 8];
        let e = one(&avp).unwrap_err();
        assert_eq!(e.result_code(), 3009);
        assert_eq!(&e.failed_avp[..], &avp);
        let lenient = Leniency {
            reserved_bits: true,
            ..Leniency::default()
        };
        let ok = AvpIter::with_leniency(&avp, lenient)
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(ok.header.flags.reserved(), 0x1f);
    }

    #[test]
    fn nonzero_padding_is_rejected_unless_lenient() {
        let avp = [0, 0, 1, 0x28, 0x40, 0, 0, 9, b'x', 0, 1, 0];
        assert_eq!(one(&avp).unwrap_err().result_code(), 5014);
        let lenient = Leniency {
            nonzero_padding: true,
            ..Leniency::default()
        };
        assert_eq!(
            AvpIter::with_leniency(&avp, lenient)
                .next()
                .unwrap()
                .unwrap()
                .data,
            b"x"
        );
    }

    #[test]
    fn iteration_stops_after_an_error() {
        let buf = [0, 0, 1, 8, 0x40, 0, 0, 4, 0, 0, 1, 8, 0x40, 0, 0, 8];
        let mut it = AvpIter::new(&buf);
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }
}
