//! [`Wire`]: the bytes of an AVP's data, lent or built for the encoder.

use std::ops::Deref;

/// The bytes of an AVP's data (padding excluded), as [`AvpValue::wire`] gives them: lent by
/// values that hold them (text, octets), built on the stack for short ones (numbers, Time,
/// Address), on the heap for long ones.
///
/// ```
/// use diameter_runtime::types::{AvpValue, Wire};
/// assert!(matches!(7u32.wire(), Wire::Inline { len: 4, .. }));
/// assert_eq!(&*7u32.wire(), [0, 0, 0, 7]);
/// ```
///
/// [`AvpValue::wire`]: super::AvpValue::wire
#[derive(Clone, Debug)]
pub enum Wire<'v> {
    /// Bytes the value holds.
    Borrowed(&'v [u8]),
    /// Up to [`Wire::INLINE`] bytes: the first `len` of `bytes`.
    Inline {
        /// The bytes, zero after `len`.
        bytes: [u8; Wire::INLINE],
        /// How many of them are the data.
        len: u8,
    },
    /// Longer bytes built for the occasion.
    Owned(Vec<u8>),
}

impl Wire<'_> {
    /// The longest data kept on the stack: an IPv6 Address (18 bytes) fits.
    pub const INLINE: usize = 24;

    /// `data` copied: inline when short enough, else on the heap.
    #[inline(always)]
    pub fn copied(data: &[u8]) -> Wire<'static> {
        Self::build(data.len(), |out| out.copy_from_slice(data))
    }

    /// `len` bytes written by `fill` (given exactly `len` zeroed bytes): inline when short
    /// enough, else on the heap.
    #[inline(always)]
    pub fn build(len: usize, fill: impl FnOnce(&mut [u8])) -> Wire<'static> {
        let mut bytes = [0; Wire::INLINE];
        match bytes.get_mut(..len) {
            Some(out) => {
                fill(out);
                Wire::Inline {
                    bytes,
                    len: len as u8,
                }
            }
            None => {
                let mut out = vec![0; len];
                fill(&mut out);
                Wire::Owned(out)
            }
        }
    }
}

impl Deref for Wire<'_> {
    type Target = [u8];

    #[inline(always)]
    fn deref(&self) -> &[u8] {
        match self {
            Wire::Borrowed(b) => b,
            Wire::Inline { bytes, len } => &bytes[..usize::from(*len)],
            Wire::Owned(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_data_is_inline_and_long_data_owned() {
        for n in [0, 1, Wire::INLINE - 1, Wire::INLINE, Wire::INLINE + 1, 300] {
            let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let w = Wire::copied(&data);
            assert_eq!(&*w, &data[..]);
            assert_eq!(matches!(w, Wire::Inline { .. }), n <= Wire::INLINE, "{n}");
        }
    }
}
