//! The bytes of Failed-AVP (RFC 6733 section 7.5): the offending AVP as received, a
//! zero-filled AVP for a missing one, a bare header for one whose length is unusable, each
//! nested in its enclosing Grouped AVPs. Typed decoding and [`AvpError`](crate::AvpError)
//! both build them here, through the same [`Writer`] as every encoded AVP, so that the
//! nesting rule exists once.

use bytes::{Bytes, BytesMut};

use crate::avp::{AvpFlags, AvpHeader, AVP_HEADER_LEN, AVP_VENDOR_HEADER_LEN};
use crate::dictionary::AvpDef;
use crate::enc::{self, Writer};
use crate::header::MAX_U24;
use crate::types::AvpType;

/// The header of an AVP that a walk already accepted, read again from its bytes: cold paths
/// take only the AVP's bytes, so that the hot loop need not keep a whole
/// [`AvpRef`](crate::avp::AvpRef) in memory.
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

/// The `len` bytes `body` writes, as one buffer. Failed-AVP entries are parts of a received
/// message, so they stay below the 24-bit limit `enc::append` checks.
fn written(len: usize, body: impl Fn(&mut Writer<'_>)) -> BytesMut {
    let mut buf = BytesMut::with_capacity(len);
    enc::append(&mut buf, MAX_U24 as usize, "Failed-AVP entry", body);
    buf
}

/// `inner` (a Failed-AVP entry, unpadded) inside its Grouped AVP `parent`: the parent's
/// header, then `inner` padded, since a child's padding belongs to its parent's data (RFC 6733
/// section 4.4). The parent holds only the offending child, as section 7.5 asks.
pub(crate) fn nest(parent: &AvpHeader, inner: &[u8]) -> Bytes {
    let len = parent.header_len() + enc::padded(inner.len());
    written(len, |w| {
        let at = w.begin_group(parent.vendor_id);
        w.put(inner);
        w.put(&[0; 3][..crate::avp::padding(inner.len())]);
        w.end_group(at, parent.code, parent.flags.0, parent.vendor_id.is_some());
    })
    .freeze()
}

/// An AVP of `code`, `flags` and `vendor_id` holding `data`, without its trailing padding
/// (whoever embeds a Failed-AVP entry pads it).
pub(crate) fn unpadded(code: u32, flags: u8, vendor_id: Option<u32>, data: &[u8]) -> Bytes {
    // Not `enc::header_len`: a Vendor-Id of 0 is kept as received.
    let hlen = if vendor_id.is_some() {
        AVP_VENDOR_HEADER_LEN
    } else {
        AVP_HEADER_LEN
    };
    let mut buf = written(enc::padded(hlen + data.len()), |w| {
        w.avp(code, flags, vendor_id, data)
    });
    buf.truncate(hlen + data.len());
    buf.freeze()
}

/// The data of a Failed-AVP holding `entries` (each unpadded), each padded in turn.
pub(crate) fn entries(entries: &[Bytes]) -> Bytes {
    let len = entries.iter().map(|e| enc::padded(e.len())).sum();
    written(len, |w| {
        for e in entries {
            w.put(e);
            w.put(&[0; 3][..crate::avp::padding(e.len())]);
        }
    })
    .freeze()
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
    let vendor = (def.vendor_id != 0).then_some(def.vendor_id);
    unpadded(def.code, def.default_flags(), vendor, &[0u8; 8][..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_entry_pads_the_child_inside_the_parent() {
        let parent = AvpHeader {
            code: 456,
            flags: AvpFlags(0x40),
            length: 0,
            vendor_id: None,
        };
        let inner = [0, 0, 1, 0xb7, 0x40, 0, 0, 9, 7];
        let b = nest(&parent, &inner);
        assert_eq!(
            &b[..],
            &[0, 0, 1, 0xc8, 0x40, 0, 0, 20, 0, 0, 1, 0xb7, 0x40, 0, 0, 9, 7, 0, 0, 0]
        );
        // A vendor parent keeps its Vendor-Id and V bit.
        let parent = AvpHeader {
            vendor_id: Some(10415),
            flags: AvpFlags(0xc0),
            ..parent
        };
        let b = nest(&parent, &inner[..8]);
        assert_eq!(&b[..12], &[0, 0, 1, 0xc8, 0xc0, 0, 0, 20, 0, 0, 0x28, 0xaf]);
    }

    #[test]
    fn unpadded_entries_keep_a_zero_vendor_id_and_drop_the_padding() {
        assert_eq!(
            &unpadded(1, 0x40, None, &[9; 6])[..],
            &[0, 0, 0, 1, 0x40, 0, 0, 14, 9, 9, 9, 9, 9, 9]
        );
        // A V bit with a cut-off Vendor-Id still gets its (zero) field.
        assert_eq!(
            &unpadded(1, 0x80, Some(0), &[])[..],
            &[0, 0, 0, 1, 0x80, 0, 0, 12, 0, 0, 0, 0]
        );
    }
}
