//! The bytes of Failed-AVP (RFC 6733 7.5): the offending AVP as received, a zero-filled AVP
//! for a missing one, nested in its enclosing Grouped AVPs.

use bytes::{Bytes, BytesMut};

use crate::avp::{self, AvpFlags, AvpHeader};
use crate::dictionary::AvpDef;
use crate::types::AvpType;

/// The header of an AVP that a walk already accepted, read again from its bytes: cold paths
/// take only the AVP's bytes, so that the hot loop need not keep a whole [`AvpRef`] in memory.
pub(crate) fn header_of(wire: &[u8]) -> AvpHeader {
    let word = |at: usize| {
        wire.get(at..at + 4)
            .and_then(|w| w.first_chunk::<4>())
            .map_or(0, |w| u32::from_be_bytes(*w))
    };
    let flags = AvpFlags(wire.get(4).copied().unwrap_or(0));
    AvpHeader {
        code: word(0),
        flags,
        length: word(4) & 0x00ff_ffff,
        vendor_id: flags.is_vendor().then(|| word(8)),
    }
}

pub(crate) fn wrap(parent: &AvpHeader, inner: &[u8]) -> Bytes {
    let mut buf = BytesMut::with_capacity(inner.len() + 16);
    let start = avp::begin_avp(&mut buf, parent.code, parent.flags.0, parent.vendor_id);
    buf.extend_from_slice(inner);
    // The child's padding belongs to the parent's data (RFC 6733 4.4).
    bytes::BufMut::put_bytes(&mut buf, 0, avp::padding(inner.len()));
    avp::finish_avp(&mut buf, start);
    buf.freeze()
}

/// A zero-filled AVP of `def`'s code with the minimum data length of its type: what RFC 6733
/// 7.5 asks Failed-AVP to hold for a missing AVP.
pub fn zero_filled(def: &AvpDef) -> Bytes {
    let len = match def.ty {
        AvpType::Integer32
        | AvpType::Unsigned32
        | AvpType::Float32
        | AvpType::Enumerated
        | AvpType::Time => 4,
        AvpType::Integer64 | AvpType::Unsigned64 | AvpType::Float64 => 8,
        AvpType::Address => 6,
        _ => 0,
    };
    let mut buf = BytesMut::with_capacity(12 + len);
    let vendor = (def.vendor_id != 0).then_some(def.vendor_id);
    avp::put_avp(
        &mut buf,
        def.code,
        def.default_flags(),
        vendor,
        &[0u8; 8][..len],
    );
    buf.truncate(buf.len() - avp::padding(len + if vendor.is_some() { 12 } else { 8 }));
    buf.freeze()
}
