//! OctetString: bytes borrowed from the message they were decoded from, or owned.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};

use bytes::{Bytes, BytesMut};

use super::{AvpType, AvpValue, IntoOwned, Wire};
use crate::error::ValueError;

/// The storage behind [`OctetString`] and the text types.
#[derive(Clone)]
enum Repr<'a> {
    /// A slice of the buffer being decoded (or of any data the caller lends).
    Borrowed(&'a [u8]),
    /// Owned, possibly shared with other values (`Bytes` reference counting).
    Shared(Bytes),
}

/// OctetString (RFC 6733 4.2): arbitrary bytes.
///
/// Decoding borrows the AVP data from the input, so a decoded message copies nothing and
/// touches no reference count; [`IntoOwned::into_owned`] (or [`IntoOwned::into_shared`],
/// without copying) gives a `'static` value to keep or send elsewhere. Built values can borrow
/// too (`From<&[u8]>`), or own their bytes (`From<Vec<u8>>`, `From<Bytes>`).
///
/// ```
/// use diameter_runtime::types::{IntoOwned, OctetString};
/// let wire = vec![1u8, 2, 3];
/// let borrowed = OctetString::from(&wire[..]);
/// let owned: OctetString<'static> = borrowed.clone().into_owned();
/// assert_eq!(borrowed, owned);
/// assert_eq!(&owned[..], &[1, 2, 3]);
/// ```
#[derive(Clone)]
pub struct OctetString<'a>(Repr<'a>);

impl<'a> OctetString<'a> {
    /// Empty.
    pub const fn new() -> Self {
        OctetString(Repr::Borrowed(&[]))
    }

    /// Bytes borrowed for `'a`.
    pub const fn borrowed(data: &'a [u8]) -> Self {
        OctetString(Repr::Borrowed(data))
    }

    /// Static bytes, without copying.
    pub const fn from_static(data: &'static [u8]) -> OctetString<'static> {
        OctetString(Repr::Borrowed(data))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Borrowed(b) => b,
            Repr::Shared(b) => b,
        }
    }

    /// The bytes for the whole of `'a`, when they are borrowed (not owned by `self`).
    pub fn as_borrowed(&self) -> Option<&'a [u8]> {
        match self.0 {
            Repr::Borrowed(b) => Some(b),
            Repr::Shared(_) => None,
        }
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Is it empty?
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// The bytes as `Bytes`: shared when owned, copied when borrowed.
    pub fn to_bytes(&self) -> Bytes {
        match &self.0 {
            Repr::Borrowed(b) => Bytes::copy_from_slice(b),
            Repr::Shared(b) => b.clone(),
        }
    }

    /// The part of these bytes that `part` is (a subslice of [`OctetString::as_bytes`]),
    /// borrowed or shared as `self` is, without copying.
    ///
    /// # Panics
    /// When `part` is not within `self`'s bytes, as `Bytes::slice_ref` does.
    pub fn slice_ref(&self, part: &[u8]) -> OctetString<'a> {
        match &self.0 {
            Repr::Shared(b) => OctetString(Repr::Shared(b.slice_ref(part))),
            Repr::Borrowed(b) => {
                let start = (part.as_ptr() as usize).wrapping_sub(b.as_ptr() as usize);
                match b.get(start..start.wrapping_add(part.len())) {
                    Some(sub) if part.is_empty() || sub.as_ptr() == part.as_ptr() => {
                        OctetString(Repr::Borrowed(sub))
                    }
                    _ if part.is_empty() => OctetString::new(),
                    _ => panic!("slice_ref: the part is not within these bytes"),
                }
            }
        }
    }
}

impl IntoOwned for OctetString<'_> {
    type Owned = OctetString<'static>;
    /// Owned bytes are moved. Borrowed ones share `owner` when they lie in it (no copy, one
    /// reference count), and are copied otherwise.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use diameter_runtime::types::{IntoOwned, OctetString};
    /// let wire = Bytes::from_static(b"\x01\x02\x03\x04");
    /// let v = OctetString::borrowed(&wire[1..3]);
    /// let kept = v.into_shared(&wire);
    /// assert_eq!(kept.as_bytes().as_ptr(), wire[1..].as_ptr());
    /// ```
    fn into_owned_in(self, owner: Option<&Bytes>) -> OctetString<'static> {
        match (self.0, owner) {
            (Repr::Shared(b), _) => OctetString(Repr::Shared(b)),
            (Repr::Borrowed(b), Some(owner)) if lies_in(b, owner) => {
                OctetString(Repr::Shared(owner.slice_ref(b)))
            }
            (Repr::Borrowed(b), _) => OctetString(Repr::Shared(Bytes::copy_from_slice(b))),
        }
    }
}

/// Is `b` a part of `owner` (what `Bytes::slice_ref` requires)?
fn lies_in(b: &[u8], owner: &Bytes) -> bool {
    let range = owner.as_ptr() as usize..owner.as_ptr() as usize + owner.len() + 1;
    b.is_empty()
        || (range.contains(&(b.as_ptr() as usize))
            && range.contains(&(b.as_ptr() as usize + b.len())))
}

impl Default for OctetString<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl std::ops::Deref for OctetString<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for OctetString<'_> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for OctetString<'_> {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for OctetString<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for OctetString<'_> {}

impl PartialOrd for OctetString<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OctetString<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for OctetString<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialEq<[u8]> for OctetString<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for OctetString<'_> {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for OctetString<'_> {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_bytes() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for OctetString<'_> {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_bytes() == *other
    }
}

impl fmt::Debug for OctetString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As `Bytes` prints: b"text\x01".
        write!(f, "b\"")?;
        for &b in self.as_bytes() {
            match b {
                b'\n' => write!(f, "\\n")?,
                b'\r' => write!(f, "\\r")?,
                b'\t' => write!(f, "\\t")?,
                b'\\' | b'"' => write!(f, "\\{}", b as char)?,
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        write!(f, "\"")
    }
}

impl<'a> From<&'a [u8]> for OctetString<'a> {
    fn from(b: &'a [u8]) -> Self {
        OctetString::borrowed(b)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for OctetString<'a> {
    fn from(b: &'a [u8; N]) -> Self {
        OctetString::borrowed(b)
    }
}

impl<'a> From<&'a str> for OctetString<'a> {
    fn from(s: &'a str) -> Self {
        OctetString::borrowed(s.as_bytes())
    }
}

impl From<Vec<u8>> for OctetString<'_> {
    fn from(b: Vec<u8>) -> Self {
        OctetString(Repr::Shared(Bytes::from(b)))
    }
}

impl From<String> for OctetString<'_> {
    fn from(s: String) -> Self {
        OctetString(Repr::Shared(Bytes::from(s)))
    }
}

impl From<Bytes> for OctetString<'_> {
    fn from(b: Bytes) -> Self {
        OctetString(Repr::Shared(b))
    }
}

impl From<BytesMut> for OctetString<'_> {
    fn from(b: BytesMut) -> Self {
        OctetString(Repr::Shared(b.freeze()))
    }
}

impl From<OctetString<'_>> for Bytes {
    fn from(o: OctetString<'_>) -> Bytes {
        match o.0 {
            Repr::Borrowed(b) => Bytes::copy_from_slice(b),
            Repr::Shared(b) => b,
        }
    }
}

/// OctetString: the data as is, borrowed from the input.
impl<'a> AvpValue<'a> for OctetString<'a> {
    const TYPE: AvpType = AvpType::OctetString;

    #[inline]
    fn decode(data: &'a [u8]) -> Result<Self, ValueError> {
        Ok(OctetString::borrowed(data))
    }
    fn encoded_len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn encode_to(&self, out: &mut [u8]) {
        out.copy_from_slice(self.as_bytes());
    }
    #[inline]
    fn wire(&self) -> Wire<'_> {
        Wire::Borrowed(self.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::round_trip;

    #[test]
    fn decoding_borrows() {
        let input = b"\x00\x01binary\xff";
        let v = OctetString::decode(input).unwrap();
        assert_eq!(v.as_bytes().as_ptr(), input.as_ptr());
        assert_eq!(v.as_borrowed(), Some(&input[..]));
        round_trip(&OctetString::new());
        round_trip(&v);
        assert_eq!(format!("{v:?}"), "b\"\\x00\\x01binary\\xff\"");
    }

    #[test]
    fn owning_and_sharing() {
        let wire = Bytes::from(vec![9u8, 8, 7, 6]);
        let v = OctetString::borrowed(&wire[1..3]);
        let shared = v.clone().into_shared(&wire);
        assert_eq!(shared.as_bytes().as_ptr(), wire[1..].as_ptr());
        let elsewhere = [1u8, 2];
        let copied = OctetString::borrowed(&elsewhere).into_shared(&wire);
        assert_ne!(copied.as_bytes().as_ptr(), elsewhere.as_ptr());
        assert_eq!(copied, [1u8, 2]);
        let owned = v.clone().into_owned();
        assert_ne!(owned.as_bytes().as_ptr(), wire[1..].as_ptr());
        assert_eq!(owned, v);
        assert_eq!(owned.as_borrowed(), None);
        assert_eq!(Bytes::from(owned), Bytes::from_static(&[8, 7]));
    }
}
