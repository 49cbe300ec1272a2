//! The AVP writer: every AVP the runtime encodes (typed fields, raw AVPs, Failed-AVP) is
//! written through [`Writer`], each in one pass.
//!
//! A message is written straight into the spare capacity of the output buffer: no length is
//! measured first and nothing is zero-filled. A scalar AVP's header is written with its final
//! length, and its padding as part of it; a Grouped AVP's length and the message's are
//! patched in once their contents are written. A message that does not fit in the spare
//! capacity is measured by the same pass (a short writer counts the bytes it does not write),
//! room is reserved once, and it is written again: so a reused buffer costs one pass, a
//! fresh one two, and no type needs a separate function to measure itself.

use std::mem::MaybeUninit;

use bytes::buf::UninitSlice;
use bytes::BytesMut;

use crate::avp::{AvpFlags, AVP_HEADER_LEN, AVP_VENDOR_HEADER_LEN};
use crate::dictionary::AvpDef;
use crate::header::{Header, MAX_U24};
use crate::types::AvpValue;

/// Where an encoding message goes: the spare capacity of the output buffer.
///
/// Only this module makes writers. Each write either writes every byte it adds to
/// `position()`, or adds nothing, marks the writer short and counts the bytes it did not
/// write: so the bytes before the position are always initialised, the invariant [`message`]
/// relies on to show them, and at the end the position plus the bytes not written is the
/// length the output needs.
pub struct Writer<'b> {
    out: &'b mut [MaybeUninit<u8>],
    /// Bytes written so far.
    pos: usize,
    /// A write did not fit: what was written is to be thrown away.
    short: bool,
    /// Bytes of the writes that did not fit: with `pos`, what the output needs.
    missing: usize,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("position", &self.pos)
            .field("room", &self.out.len())
            .field("short", &self.short)
            .finish()
    }
}

impl Writer<'_> {
    /// Bytes written so far: where the next byte goes.
    #[inline(always)]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The `n` bytes of room at `at`, the position; `None` (the writer marked short, the
    /// bytes counted as missing) when they do not fit. The caller writes all of them, then
    /// moves the position past them: after the bytes, not before, so that nothing comes
    /// between that store and the next write's load, and the compiler keeps the position in a
    /// register from one AVP to the next. (Moving the position past bytes that did not fit,
    /// to measure, cost 3% of encoding the reference CCR: the compiler no longer knew the
    /// position within the room.)
    #[inline(always)]
    fn room(&mut self, at: usize, n: usize) -> Option<&mut [MaybeUninit<u8>]> {
        let room = at.checked_add(n).and_then(|end| self.out.get_mut(at..end));
        if room.is_none() {
            self.short = true;
            self.missing = self.missing.saturating_add(n);
        }
        room
    }

    /// Appends `bytes`.
    #[inline(always)]
    pub fn put(&mut self, bytes: &[u8]) {
        let at = self.pos;
        let n = bytes.len();
        if let Some(room) = self.room(at, n) {
            copy(room, bytes);
            self.pos = at + n;
        }
    }

    /// Appends a whole AVP, padded: its header (`code`, `flags` with the V bit set as
    /// `vendor_id` is given, the AVP Length of header and `data`, the Vendor-Id when given),
    /// then `data`. One bounds check for all of it.
    // `inline`, not `inline(always)` (which debug builds honour too): called for every field
    // of every generated type, it made a debug build of diameter-messages 20% slower, and
    // release builds inline it anyway.
    #[inline]
    pub fn avp(&mut self, code: u32, flags: u8, vendor_id: Option<u32>, data: &[u8]) {
        let hlen = if vendor_id.is_some() {
            AVP_VENDOR_HEADER_LEN
        } else {
            AVP_HEADER_LEN
        };
        let word = header_word(code, flags, vendor_id.is_some(), hlen + data.len());
        // No overflow: a slice is at most isize::MAX bytes long.
        let n = hlen + ((data.len() + 3) & !3);
        let at = self.pos;
        let Some(room) = self.room(at, n) else {
            return;
        };
        // The last word first, zero: the padding, under whatever the header and the data
        // then write over it (an AVP is at least 8 bytes long).
        if let Some(last) = room.last_chunk_mut::<4>() {
            *last = [MaybeUninit::new(0); 4];
        }
        let (head, rest) = room.split_at_mut(hlen);
        let (first, vendor) = head.split_at_mut(AVP_HEADER_LEN);
        fill(first, &word.to_be_bytes());
        if let Some(v) = vendor_id {
            fill(vendor, &v.to_be_bytes());
        }
        copy(&mut rest[..data.len()], data);
        self.pos = at + n;
    }

    /// Starts a Grouped AVP: room for its first header word (written by
    /// [`Writer::end_group`] once the children are), then its Vendor-Id when given. Returns
    /// where the AVP starts.
    #[inline]
    pub fn begin_group(&mut self, vendor_id: Option<u32>) -> usize {
        let at = self.pos;
        self.put(&[0; AVP_HEADER_LEN]);
        if let Some(v) = vendor_id {
            self.put(&v.to_be_bytes());
        }
        at
    }

    /// Ends the Grouped AVP begun at `at`: its header word, with the length its children took
    /// (they end aligned: every AVP is padded).
    #[inline]
    pub fn end_group(&mut self, at: usize, code: u32, flags: u8, vendor: bool) {
        let len = self.pos.saturating_sub(at);
        let word = header_word(code, flags, vendor, len);
        self.patch(at, &word.to_be_bytes());
    }

    /// Overwrites bytes already written at `at` (a header written after its contents).
    #[inline(always)]
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        let end = at.saturating_add(bytes.len());
        if end <= self.pos {
            UninitSlice::uninit(&mut self.out[at..end]).copy_from_slice(bytes);
        }
    }
}

/// Writes `bytes` into `out` (of the same length, a constant here: stores, not a call).
#[inline(always)]
fn fill(out: &mut [MaybeUninit<u8>], bytes: &[u8]) {
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = MaybeUninit::new(*b);
    }
}

/// Copies `src` into `out`, of the same length. Up to 32 bytes (most text AVPs: hosts,
/// realms, numbers) as two overlapping chunks of a constant size, loads and stores in line;
/// longer ones with `memcpy`.
#[inline]
fn copy(out: &mut [MaybeUninit<u8>], src: &[u8]) {
    #[inline(always)]
    fn chunks<const N: usize>(out: &mut [MaybeUninit<u8>], src: &[u8]) {
        if let (Some(o), Some(s)) = (out.first_chunk_mut::<N>(), src.first_chunk::<N>()) {
            *o = s.map(MaybeUninit::new);
        }
        if let (Some(o), Some(s)) = (out.last_chunk_mut::<N>(), src.last_chunk::<N>()) {
            *o = s.map(MaybeUninit::new);
        }
    }
    match src.len() {
        0 => {}
        1..=3 => fill(out, src),
        4..=7 => chunks::<4>(out, src),
        8..=15 => chunks::<8>(out, src),
        16..=32 => chunks::<16>(out, src),
        _ => UninitSlice::uninit(out).copy_from_slice(src),
    }
}

/// Size of an AVP header: 12 with a Vendor-Id, else 8.
#[inline(always)]
pub const fn header_len(vendor_id: u32) -> usize {
    if vendor_id != 0 {
        AVP_VENDOR_HEADER_LEN
    } else {
        AVP_HEADER_LEN
    }
}

/// Bytes an AVP takes on the wire, padding included, given its AVP Length.
#[inline(always)]
pub const fn padded(avp_len: usize) -> usize {
    (avp_len + 3) & !3
}

/// The first 8 bytes of an AVP header, as one big-endian word: `code`, `flags` (the V bit set
/// when `vendor`) and AVP Length `len` (header and data, padding excluded). Built in a
/// register and stored whole: bytes stored one at a time and then copied as a word would
/// stall the store forwarding. Past 24 bits the length is cut short, but then so is the
/// message, which [`message`] refuses to finish.
#[inline(always)]
fn header_word(code: u32, flags: u8, vendor: bool, len: usize) -> u64 {
    let flags = if vendor {
        flags | AvpFlags::VENDOR
    } else {
        flags & !AvpFlags::VENDOR
    };
    u64::from(code) << 32 | u64::from(flags) << 24 | (len as u64 & 0xff_ffff)
}

/// The Vendor-Id field of a dictionary AVP: present when not 0.
#[inline(always)]
fn vendor(vendor_id: u32) -> Option<u32> {
    (vendor_id != 0).then_some(vendor_id)
}

#[doc(hidden)]
/// A scalar AVP; generated code passes the code, flags (M when the dictionary says must) and
/// Vendor-Id (0 for none) as constants.
#[inline(always)]
pub fn scalar<'v, T: AvpValue<'v>>(
    w: &mut Writer<'_>,
    code: u32,
    flags: u8,
    vendor_id: u32,
    value: &T,
) {
    w.avp(code, flags, vendor(vendor_id), &value.wire());
}

/// The flags a sender sets for `def`.
pub fn flags(def: &AvpDef) -> AvpFlags {
    AvpFlags(def.default_flags())
}

/// Appends message `header` (its length patched in) and the AVPs `body` writes: in one pass
/// when `buf`'s spare capacity holds the message (a reused buffer); otherwise that pass
/// measures the AVPs, room is reserved once, and `body` is called again.
///
/// # Panics
/// When the message is longer than the 24-bit Message-Length can say (16 MiB - 1), or when
/// `body` writes more the second time than the first (a bug in an [`AvpValue`]
/// implementation); `buf` is then left as it was.
pub fn message(buf: &mut BytesMut, header: &Header, body: impl Fn(&mut Writer<'_>)) {
    let start = buf.len();
    let header = header.to_array();
    let len = append(buf, MAX_U24 as usize, "message", |w| {
        w.put(&header);
        body(w);
    });
    buf[start + 1..start + 4].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
}

/// Appends what `body` writes to `buf` and returns its length: in one pass when it fits in
/// `buf`'s spare capacity, else room is reserved for the bytes that pass measured and `body`
/// is called again.
///
/// # Panics
/// When `body` takes more than `max` bytes (`what` names them in the message), or more the
/// second time than the first; `buf` is then left as it was.
pub(crate) fn append(
    buf: &mut BytesMut,
    max: usize,
    what: &str,
    body: impl Fn(&mut Writer<'_>),
) -> usize {
    let written = match write(buf, &body) {
        Ok(n) => n,
        Err(needed) => {
            if needed > max {
                too_long(what, needed, max);
            }
            buf.reserve(needed);
            match write(buf, &body) {
                Ok(n) => n,
                Err(_) => panic!("the {what} took more than the {needed} bytes measured"),
            }
        }
    };
    if written > max {
        too_long(what, written, max);
    }
    let end = buf.len() + written;
    #[allow(unsafe_code)]
    // SAFETY: the `written` bytes after the buffer's length are initialised: `write` returns
    // its writer's position, before which every byte was written (see `Writer`).
    unsafe {
        buf.set_len(end);
    }
    written
}

#[cold]
#[inline(never)]
fn too_long(what: &str, len: usize, max: usize) -> ! {
    panic!("{what} of {len} bytes: longer than a 24-bit length allows ({max})");
}

/// Writes into `buf`'s spare capacity: the number of bytes written, or `Err` with the number
/// needed when they did not all fit.
#[inline(always)]
fn write(buf: &mut BytesMut, body: &impl Fn(&mut Writer<'_>)) -> Result<usize, usize> {
    let out = buf.spare_capacity_mut();
    let room = (out.as_ptr(), out.len());
    let mut w = Writer {
        out,
        pos: 0,
        short: false,
        missing: 0,
    };
    body(&mut w);
    // No writer can be made outside this module for `body` to swap in, but the invariant
    // `append` relies on is cheap to check: the writer still holds the same room.
    assert!(
        (w.out.as_ptr(), w.out.len()) == room,
        "the writer given was the one used"
    );
    if w.short {
        Err(w.pos.saturating_add(w.missing))
    } else {
        Ok(w.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::{put_raw, raw_len, RawAvp};

    /// An AVP as RFC 6733 section 4.1 lays it out, built byte by byte (not by the writer).
    fn by_hand(code: u32, flags: u8, vendor_id: Option<u32>, data: &[u8]) -> Vec<u8> {
        let hlen = if vendor_id.is_some() { 12 } else { 8 };
        let len = (hlen + data.len()) as u32;
        let flags = if vendor_id.is_some() {
            flags | 0x80
        } else {
            flags
        };
        let mut v = code.to_be_bytes().to_vec();
        v.push(flags);
        v.extend_from_slice(&len.to_be_bytes()[1..]);
        if let Some(id) = vendor_id {
            v.extend_from_slice(&id.to_be_bytes());
        }
        v.extend_from_slice(data);
        v.resize(v.len().next_multiple_of(4), 0);
        v
    }

    /// Bytes 1, 2, 3, ... (never 0, so that a byte left unwritten would show).
    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251 + 1) as u8).collect()
    }

    /// `body` appended after "x" into a buffer with `room` bytes of spare capacity.
    fn appended(room: usize, len: usize, body: impl Fn(&mut Writer<'_>)) -> BytesMut {
        let mut buf = BytesMut::with_capacity(1 + room);
        buf.extend_from_slice(b"x");
        let n = append(&mut buf, usize::MAX, "test", body);
        assert_eq!(n, len);
        buf
    }

    #[test]
    fn put_copies_every_length_whatever_the_room() {
        for n in 0..=80 {
            let data = pattern(n);
            for room in [0, n / 2, n, n + 7] {
                let buf = appended(room, n, |w| w.put(&data));
                assert_eq!(&buf[1..], &data[..], "{n} bytes, room {room}");
                assert_eq!(buf[0], b'x');
            }
        }
    }

    #[test]
    fn raw_avps_encode_as_rfc_6733_lays_them_out() {
        // Every data length through the padding cycle and the inline copy's chunk sizes,
        // with and without a Vendor-Id (0 included: kept as received).
        for n in 0..=70 {
            for vendor_id in [None, Some(0), Some(10415)] {
                let avps = [RawAvp::new(1, 0x40, vendor_id, pattern(n))];
                let expected = by_hand(1, 0x40, vendor_id, &pattern(n));
                for room in [0, expected.len() - 1, expected.len()] {
                    let buf = appended(room, raw_len(&avps), |w| put_raw(w, &avps));
                    assert_eq!(&buf[1..], &expected[..], "{n} bytes, {vendor_id:?}");
                }
            }
        }
    }

    #[test]
    fn short_writer_throws_its_bytes_away_and_writes_again() {
        let data = pattern(30);
        let calls = std::cell::Cell::new(0);
        let buf = appended(10, 30, |w| {
            calls.set(calls.get() + 1);
            w.put(&data[..20]);
            w.put(&data[20..]);
        });
        assert_eq!(calls.get(), 2, "one short pass, one that fits");
        assert_eq!(&buf[1..], &data[..]);
    }

    #[test]
    #[should_panic(expected = "took more than the 4 bytes measured")]
    fn writing_more_than_measured_panics() {
        let calls = std::cell::Cell::new(0);
        appended(0, 4, |w| {
            calls.set(calls.get() + 1);
            let n = if calls.get() == 1 { 4 } else { 64 };
            w.put(&vec![1; n]);
        });
    }

    #[test]
    fn a_short_group_measures_its_children() {
        // A group header patched while short must not write into room it never had.
        let data = pattern(40);
        let expected = {
            let mut b = BytesMut::with_capacity(100);
            append(&mut b, usize::MAX, "test", |w| {
                let at = w.begin_group(None);
                w.avp(1, 0, None, &data);
                w.end_group(at, 2, 0x40, false);
            });
            b
        };
        for room in 0..expected.len() {
            let buf = appended(room, expected.len(), |w| {
                let at = w.begin_group(None);
                w.avp(1, 0, None, &data);
                w.end_group(at, 2, 0x40, false);
            });
            assert_eq!(&buf[1..], &expected[..], "room {room}");
        }
    }

    #[test]
    fn header_word_sets_the_vendor_bit_as_the_vendor_id_is_present() {
        let w = header_word(263, 0xc0, false, 0x12_3456);
        assert_eq!(w.to_be_bytes(), [0, 0, 1, 7, 0x40, 0x12, 0x34, 0x56]);
        let w = header_word(263, 0x40, true, 12);
        assert_eq!(w.to_be_bytes(), [0, 0, 1, 7, 0xc0, 0, 0, 12]);
    }
}
