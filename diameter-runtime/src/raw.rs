//! The dictionary-free message form: every AVP kept as it came, for proxies, relays, unknown
//! commands and pretty-printing. Decoding then encoding a well-formed message gives back the
//! same bytes.

use bytes::{Bytes, BytesMut};

use crate::avp::{self, AvpFlags, AvpHeader, AvpIter, AvpRef};
use crate::error::{AvpError, DecodeError};
use crate::header::{Header, HEADER_LEN};
use crate::limits::DecodeOptions;
use crate::types::{AvpValue, IntoOwned, OctetString};

/// A message with its AVPs undecoded. `RawMessage::decode` gives a `'static` message sharing
/// the input `Bytes`; [`RawMessage::parse`] one borrowing a byte slice.
///
/// ```
/// use bytes::Bytes;
/// use diameter_runtime::{RawMessage, RawAvp};
/// use diameter_runtime::header::Header;
///
/// let mut msg = RawMessage::new(Header::request(280, 0).with_ids(1, 2));
/// msg.avps.push(RawAvp::new(264, 0x40, None, Bytes::from_static(b"a.example")));
/// msg.avps.push(RawAvp::new(296, 0x40, None, Bytes::from_static(b"example")));
/// let wire = msg.to_bytes();
/// let back = RawMessage::decode(wire.clone()).unwrap();
/// assert_eq!(back.avps.len(), 2);
/// assert_eq!(back.to_bytes(), wire);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage<'a> {
    /// The header; its `length` is recomputed on encode.
    pub header: Header,
    /// The top-level AVPs, in order.
    pub avps: Vec<RawAvp<'a>>,
}

/// One AVP: header fields and undecoded data (a slice of the message it came in).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawAvp<'a> {
    /// AVP code.
    pub code: u32,
    /// Flags as received, reserved bits included. The V bit follows `vendor_id` on encode.
    pub flags: AvpFlags,
    /// Vendor-Id, present exactly when the V bit is set.
    pub vendor_id: Option<u32>,
    /// The data, padding excluded.
    pub data: OctetString<'a>,
}

impl RawMessage<'static> {
    /// Decodes one whole message (exactly one: `bytes.len()` must equal its length) strictly,
    /// with the default limits. The AVP data shares `bytes`.
    pub fn decode(bytes: Bytes) -> Result<Self, DecodeError> {
        Self::decode_with(bytes, &DecodeOptions::default())
    }

    /// Decodes one whole message with the given limits and leniency; the AVP data shares
    /// `bytes`.
    pub fn decode_with(bytes: Bytes, opts: &DecodeOptions) -> Result<Self, DecodeError> {
        RawMessage::parse_into(&bytes, opts, |a| RawAvp::from_ref(&bytes, a))
    }
}

impl<'a> RawMessage<'a> {
    /// An empty message with this header.
    pub fn new(header: Header) -> Self {
        RawMessage {
            header,
            avps: Vec::new(),
        }
    }

    /// Decodes one whole message (exactly one: `bytes.len()` must equal its length) with the
    /// given limits and leniency, borrowing the AVP data from `bytes`.
    pub fn parse(bytes: &'a [u8], opts: &DecodeOptions) -> Result<Self, DecodeError> {
        Self::parse_into(bytes, opts, RawAvp::borrowed)
    }

    /// The walk of `parse`, with `avp` making each kept AVP.
    fn parse_into<'b>(
        bytes: &'b [u8],
        opts: &DecodeOptions,
        mut avp: impl FnMut(&AvpRef<'b>) -> RawAvp<'a>,
    ) -> Result<Self, DecodeError> {
        let header = check_message(bytes, opts)?;
        // A typical AVP takes 12 to 40 bytes: start near the right size instead of regrowing.
        let mut avps =
            Vec::with_capacity(((bytes.len() - HEADER_LEN) / 24).min(opts.max_avps as usize));
        for r in AvpIter::with_leniency(&bytes[HEADER_LEN..], opts.leniency) {
            let a = r.map_err(|e| e.at_offset(HEADER_LEN))?;
            if avps.len() >= opts.max_avps as usize {
                return Err(DecodeError::TooManyAvps {
                    limit: opts.max_avps,
                });
            }
            avps.push(avp(&a));
        }
        Ok(RawMessage { header, avps })
    }

    /// Bytes this message takes on the wire.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.avps.iter().map(RawAvp::encoded_len).sum::<usize>()
    }

    /// Appends the message to `buf`, with its length computed: in one pass into a buffer
    /// with room for it ([`enc::message`](crate::enc::message)).
    ///
    /// # Panics
    /// When the message is longer than the 24-bit Message-Length can say (16 MiB - 1).
    pub fn encode(&self, buf: &mut BytesMut) {
        self.encode_as(&self.header, buf);
    }

    /// [`RawMessage::encode`] with `header` in place of the message's own (its length is
    /// computed): e.g. to forward the AVPs with other identifiers.
    pub fn encode_as(&self, header: &Header, buf: &mut BytesMut) {
        crate::enc::message(buf, header, |w| put_raw(w, &self.avps));
    }

    /// The message as one buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode(&mut buf);
        buf.freeze()
    }

    /// The first top-level AVP with this code and vendor (0 for none).
    pub fn find(&self, code: u32, vendor_id: u32) -> Option<&RawAvp<'a>> {
        self.avps
            .iter()
            .find(|a| a.code == code && a.vendor() == vendor_id)
    }
}

/// The header checks of a whole message: header valid, length equal to the bytes given, and
/// within the limit.
pub fn check_message(bytes: &[u8], opts: &DecodeOptions) -> Result<Header, DecodeError> {
    let header = Header::decode_unchecked(bytes)?;
    header.check_with(opts.leniency.reserved_bits)?;
    if header.length > opts.max_message_len {
        return Err(DecodeError::MessageTooLarge {
            length: header.length,
            limit: opts.max_message_len,
        });
    }
    if header.length as usize != bytes.len() {
        return Err(DecodeError::LengthMismatch {
            length: header.length,
            available: bytes.len(),
        });
    }
    Ok(header)
}

impl IntoOwned for RawMessage<'_> {
    type Owned = RawMessage<'static>;
    fn into_owned_in(self, owner: Option<&Bytes>) -> RawMessage<'static> {
        RawMessage {
            header: self.header,
            avps: self.avps.into_owned_in(owner),
        }
    }
}

impl IntoOwned for RawAvp<'_> {
    type Owned = RawAvp<'static>;
    fn into_owned_in(self, owner: Option<&Bytes>) -> RawAvp<'static> {
        RawAvp {
            code: self.code,
            flags: self.flags,
            vendor_id: self.vendor_id,
            data: self.data.into_owned_in(owner),
        }
    }
}

impl<'a> RawAvp<'a> {
    /// An AVP from its parts.
    pub fn new(
        code: u32,
        flags: u8,
        vendor_id: Option<u32>,
        data: impl Into<OctetString<'a>>,
    ) -> Self {
        let flags = match vendor_id {
            Some(_) => flags | AvpFlags::VENDOR,
            None => flags & !AvpFlags::VENDOR,
        };
        RawAvp {
            code,
            flags: AvpFlags(flags),
            vendor_id,
            data: data.into(),
        }
    }

    /// An AVP holding `value`, encoded.
    pub fn from_value<'v, T: AvpValue<'v>>(
        code: u32,
        flags: u8,
        vendor_id: Option<u32>,
        value: &T,
    ) -> Self {
        let mut buf = BytesMut::with_capacity(value.encoded_len());
        value.encode(&mut buf);
        Self::new(code, flags, vendor_id, buf.freeze())
    }

    /// A Grouped AVP holding `children`.
    pub fn grouped_from(
        code: u32,
        flags: u8,
        vendor_id: Option<u32>,
        children: &[RawAvp<'_>],
    ) -> Self {
        let mut buf = BytesMut::new();
        for c in children {
            c.encode(&mut buf);
        }
        Self::new(code, flags, vendor_id, buf.freeze())
    }

    /// The AVP `r` found in `message`, sharing its bytes.
    pub fn from_ref(message: &Bytes, r: &AvpRef<'_>) -> RawAvp<'static> {
        RawAvp {
            code: r.header.code,
            flags: r.header.flags,
            vendor_id: r.header.vendor_id,
            data: OctetString::from(message.slice_ref(r.data)),
        }
    }

    /// The AVP `r`, borrowing its data.
    #[inline]
    pub fn borrowed(r: &AvpRef<'a>) -> Self {
        RawAvp {
            code: r.header.code,
            flags: r.header.flags,
            vendor_id: r.header.vendor_id,
            data: OctetString::borrowed(r.data),
        }
    }

    /// Vendor-Id, or 0 when none.
    pub fn vendor(&self) -> u32 {
        self.vendor_id.unwrap_or(0)
    }

    /// The header this AVP is written with.
    pub fn header(&self) -> AvpHeader {
        AvpHeader {
            code: self.code,
            flags: self.flags,
            length: (self.header_len() + self.data.len()) as u32,
            vendor_id: self.vendor_id,
        }
    }

    fn header_len(&self) -> usize {
        if self.vendor_id.is_some() {
            avp::AVP_VENDOR_HEADER_LEN
        } else {
            avp::AVP_HEADER_LEN
        }
    }

    /// Bytes on the wire, padding included.
    pub fn encoded_len(&self) -> usize {
        let len = self.header_len() + self.data.len();
        len + avp::padding(len)
    }

    /// Appends the AVP, padded, to `buf`.
    ///
    /// # Panics
    /// When the AVP is longer than the 24-bit AVP Length can say (16 MiB - 1).
    pub fn encode(&self, buf: &mut BytesMut) {
        crate::enc::append(buf, crate::header::MAX_U24 as usize, "AVP", |w| {
            put_raw(w, std::slice::from_ref(self))
        });
    }

    /// The AVP as on the wire (padding excluded), e.g. for a Failed-AVP.
    pub fn wire(&self) -> Bytes {
        crate::failed::unpadded(self.code, self.flags.0, self.vendor_id, &self.data)
    }

    /// Decodes the data as `T`. On failure the error names this AVP and carries it as
    /// Failed-AVP.
    pub fn value<'s, T: AvpValue<'s>>(&'s self) -> Result<T, Box<AvpError>> {
        T::decode(self.data.as_bytes())
            .map_err(|e| AvpError::from_wire(crate::error::AvpErrorKind::Value(e), &self.wire(), 0))
    }

    /// Parses the data as a Grouped AVP's children, strictly, with the default limits. The
    /// children borrow or share the data as this AVP does.
    pub fn grouped(&self) -> Result<Vec<RawAvp<'a>>, Box<AvpError>> {
        self.grouped_with(&DecodeOptions::default())
            .map_err(|e| match e {
                DecodeError::Avp(e) => e,
                // Only the AVP count limit can trip on one level.
                other => AvpError::from_wire(
                    crate::error::AvpErrorKind::Value(crate::error::ValueError::Invalid {
                        ty: "Grouped",
                        reason: other.to_string(),
                    }),
                    &self.wire(),
                    0,
                ),
            })
    }

    /// Parses the data as a Grouped AVP's children with the given limits and leniency. An error
    /// in a child is reported inside this AVP (path and Failed-AVP).
    pub fn grouped_with(&self, opts: &DecodeOptions) -> Result<Vec<RawAvp<'a>>, DecodeError> {
        let mut out = Vec::new();
        for r in AvpIter::with_leniency(&self.data, opts.leniency) {
            let a = r.map_err(|e| e.inside(&self.header()))?;
            if out.len() >= opts.max_avps as usize {
                return Err(DecodeError::TooManyAvps {
                    limit: opts.max_avps,
                });
            }
            out.push(RawAvp {
                code: a.header.code,
                flags: a.header.flags,
                vendor_id: a.header.vendor_id,
                data: self.data.slice_ref(a.data),
            });
        }
        Ok(out)
    }
}

/// Visits every AVP of `body` depth first, descending into those `is_grouped` says are
/// Grouped, with no allocation. `visit` gets the depth (1 for top level) and the AVP. Stops at
/// the first malformed AVP (reported inside its parents) or when nesting passes
/// `opts.max_depth`. Returns the number of AVPs visited.
///
/// ```
/// use diameter_runtime::raw::walk;
/// use diameter_runtime::DecodeOptions;
/// // A grouped AVP 456 holding Unsigned32 AVP 432.
/// let body = [0, 0, 1, 0xc8, 0x40, 0, 0, 20, 0, 0, 1, 0xb0, 0x40, 0, 0, 12, 0, 0, 0, 100];
/// let mut seen = vec![];
/// let n = walk(&body, &DecodeOptions::default(), &|code, _| code == 456,
///              &mut |depth, avp| seen.push((depth, avp.header.code))).unwrap();
/// assert_eq!(n, 2);
/// assert_eq!(seen, vec![(1, 456), (2, 432)]);
/// ```
pub fn walk<'a>(
    body: &'a [u8],
    opts: &DecodeOptions,
    is_grouped: &dyn Fn(u32, u32) -> bool,
    visit: &mut dyn FnMut(u32, &AvpRef<'a>),
) -> Result<usize, DecodeError> {
    walk_level(body, opts, 1, is_grouped, visit)
}

fn walk_level<'a>(
    buf: &'a [u8],
    opts: &DecodeOptions,
    depth: u32,
    is_grouped: &dyn Fn(u32, u32) -> bool,
    visit: &mut dyn FnMut(u32, &AvpRef<'a>),
) -> Result<usize, DecodeError> {
    // An empty Grouped AVP opens no new level.
    if depth > opts.max_depth && !buf.is_empty() {
        return Err(DecodeError::TooDeep {
            limit: opts.max_depth,
        });
    }
    let mut count = 0usize;
    let mut in_list = 0u32;
    for r in AvpIter::with_leniency(buf, opts.leniency) {
        let a = r?;
        in_list += 1;
        if in_list > opts.max_avps {
            return Err(DecodeError::TooManyAvps {
                limit: opts.max_avps,
            });
        }
        visit(depth, &a);
        count += 1;
        if is_grouped(a.header.code, a.header.vendor()) {
            count +=
                walk_level(a.data, opts, depth + 1, is_grouped, visit).map_err(|e| match e {
                    DecodeError::Avp(inner) => DecodeError::Avp(inner.inside(&a.header)),
                    other => other,
                })?;
        }
    }
    Ok(count)
}

/// Wire size of AVPs kept raw.
#[inline]
pub fn raw_len(avps: &[RawAvp<'_>]) -> usize {
    avps.iter().map(RawAvp::encoded_len).sum()
}

/// Writes AVPs kept raw (`*[ AVP ]`), flags and Vendor-Id field as received (even a Vendor-Id
/// of 0), so that they re-encode unchanged.
#[inline]
pub fn put_raw(w: &mut crate::enc::Writer<'_>, avps: &[RawAvp<'_>]) {
    for a in avps {
        w.avp(a.code, a.flags.0, a.vendor_id, &a.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::CommandFlags;

    fn sample() -> RawMessage<'static> {
        let mut m = RawMessage::new(Header::request(272, 4).with_ids(0x1234, 0x5678));
        m.avps.push(RawAvp::from_value(
            263,
            0x40,
            None,
            &crate::types::Utf8String::from("s;1"),
        ));
        let rg = RawAvp::from_value(432, 0x40, None, &100u32);
        m.avps.push(RawAvp::grouped_from(456, 0x40, None, &[rg]));
        m.avps.push(RawAvp::new(
            1,
            0xc0,
            Some(10415),
            Bytes::from_static(&[1, 2, 3]),
        ));
        m
    }

    #[test]
    fn round_trip_is_byte_exact() {
        let m = sample();
        let wire = m.to_bytes();
        assert_eq!(wire.len(), m.encoded_len());
        assert_eq!(&wire[1..4], &(wire.len() as u32).to_be_bytes()[1..]);
        let back = RawMessage::decode(wire.clone()).unwrap();
        assert_eq!(back.header.length as usize, wire.len());
        assert_eq!(back.avps, m.avps);
        assert_eq!(back.to_bytes(), wire);
        // The data shares the input buffer.
        let off = back.avps[0].data.as_ptr() as usize - wire.as_ptr() as usize;
        assert_eq!(off, HEADER_LEN + 8);
    }

    #[test]
    fn grouped_children_on_demand() {
        let m = RawMessage::decode(sample().to_bytes()).unwrap();
        let mscc = m.find(456, 0).unwrap();
        let kids = mscc.grouped().unwrap();
        assert_eq!(kids.len(), 1);
        assert_eq!(kids[0].value::<u32>().unwrap(), 100);
        assert_eq!(m.find(1, 10415).unwrap().data.len(), 3);
        assert!(m.find(1, 0).is_none());
    }

    #[test]
    fn error_inside_grouped_is_nested() {
        // Child claims 20 bytes inside a parent holding 12.
        let bad_child = RawAvp::new(
            456,
            0x40,
            None,
            Bytes::from_static(&[0, 0, 1, 0xb0, 0x40, 0, 0, 20, 0, 0, 0, 100]),
        );
        let e = bad_child.grouped().unwrap_err();
        assert_eq!(e.result_code(), 5014);
        assert_eq!(e.code, 432);
        assert_eq!(
            e.path,
            vec![crate::error::PathElem {
                code: 456,
                vendor_id: 0
            }]
        );
        // Failed-AVP: the parent holding the child's header with an empty payload.
        assert_eq!(
            &e.failed_avp[..],
            &[0, 0, 1, 0xc8, 0x40, 0, 0, 16, 0, 0, 1, 0xb0, 0x40, 0, 0, 8]
        );
    }

    #[test]
    fn header_length_must_match_the_bytes() {
        let wire = sample().to_bytes();
        let mut longer = wire.to_vec();
        longer.extend([0; 4]);
        assert!(matches!(
            RawMessage::decode(Bytes::from(longer)),
            Err(DecodeError::LengthMismatch { .. })
        ));
        let e = RawMessage::decode(wire.slice(..wire.len() - 4)).unwrap_err();
        assert_eq!(e.result_code(), 5015);
    }

    #[test]
    fn avp_errors_report_message_offsets() {
        let mut wire = sample().to_bytes().to_vec();
        wire[HEADER_LEN + 4] |= 0x01; // reserved bit on the first AVP
        let e = RawMessage::decode(Bytes::from(wire)).unwrap_err();
        assert_eq!(e.result_code(), 3009);
        match e {
            DecodeError::Avp(a) => assert_eq!(a.offset, HEADER_LEN),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn limits_are_enforced() {
        let wire = sample().to_bytes();
        let few = DecodeOptions {
            max_avps: 2,
            ..DecodeOptions::default()
        };
        assert_eq!(
            RawMessage::decode_with(wire.clone(), &few),
            Err(DecodeError::TooManyAvps { limit: 2 })
        );
        let tiny = DecodeOptions {
            max_message_len: 24,
            ..DecodeOptions::default()
        };
        assert!(matches!(
            RawMessage::decode_with(wire, &tiny),
            Err(DecodeError::MessageTooLarge { .. })
        ));
    }

    #[test]
    fn walk_respects_depth() {
        // 20 levels of grouped AVP code 1, innermost empty.
        let mut inner = RawAvp::new(1, 0, None, Bytes::new());
        for _ in 0..19 {
            inner = RawAvp::grouped_from(1, 0, None, &[inner]);
        }
        let mut buf = BytesMut::new();
        inner.encode(&mut buf);
        let mut n = 0;
        let e = walk(
            &buf,
            &DecodeOptions::default(),
            &|_, _| true,
            &mut |_, _| n += 1,
        )
        .unwrap_err();
        assert_eq!(e, DecodeError::TooDeep { limit: 16 });
        let deep = DecodeOptions {
            max_depth: 20,
            ..DecodeOptions::default()
        };
        assert_eq!(walk(&buf, &deep, &|_, _| true, &mut |_, _| {}).unwrap(), 20);
    }

    #[test]
    #[should_panic(expected = "longer than a 24-bit length allows (16777215)")]
    fn oversized_messages_are_refused_not_mislabelled() {
        let mut m = RawMessage::new(Header::request(1, 0));
        m.avps.push(RawAvp::new(
            1,
            0,
            None,
            Bytes::from(vec![0u8; (1 << 24) - 4]),
        ));
        let _ = m.to_bytes();
    }

    #[test]
    fn flags_are_kept() {
        let mut m = sample();
        m.header.flags = CommandFlags(0xd0);
        m.avps[0].flags = AvpFlags(0x60);
        let back = RawMessage::decode(m.to_bytes()).unwrap();
        assert_eq!(back.header.flags.0, 0xd0);
        assert_eq!(back.avps[0].flags.0, 0x60);
    }
}
