//! The RFC 6733 basic (section 4.2) and derived (section 4.3) AVP data types.
//!
//! Each type implements [`AvpValue`]: decoding from the AVP data (padding excluded) and encoding
//! back to it. Octet and text values borrow the buffer they were decoded from (lifetime `'a`);
//! [`IntoOwned`] turns them, and every generated type holding them, into `'static` values.
//! Integer32/64, Unsigned32/64 and Float32/64 are Rust's `i32`, `i64`, `u32`, `u64`, `f32`,
//! `f64`; OctetString is [`OctetString`]; Enumerated is `i32` (generated enums wrap it).
//! Address and DiameterURI are rare and parsed: they own their data (decoding copies it).

mod address;
mod numeric;
mod octets;
mod text;
mod time;
mod uri;
mod wire;

use bytes::{Bytes, BytesMut};

pub use address::{Address, AddressFamily};
pub use octets::OctetString;
pub use text::{DiameterIdentity, IpFilterRule, QosFilterRule, Utf8String};
pub use time::Time;
pub use uri::{AaaProtocol, DiameterUri, Transport};
pub use wire::Wire;

use crate::error::ValueError;

/// A value that can be carried as the data of an AVP.
///
/// ```
/// use diameter_runtime::types::{AvpValue, Utf8String};
/// let v = Utf8String::from("héllo");
/// let mut buf = bytes::BytesMut::new();
/// v.encode(&mut buf);
/// assert_eq!(v.encoded_len(), buf.len());
/// assert_eq!(Utf8String::decode(&buf).unwrap(), v);
/// ```
pub trait AvpValue<'a>: Sized {
    /// The data type as RFC 6733 names it, e.g. `"Unsigned32"`.
    const TYPE: AvpType;

    /// Decodes the AVP data (padding excluded). Octet and text types borrow `data`.
    fn decode(data: &'a [u8]) -> Result<Self, ValueError>;

    /// Number of data bytes [`AvpValue::encode_to`] writes (padding excluded).
    fn encoded_len(&self) -> usize;

    /// Writes the AVP data into `out`, which is exactly [`AvpValue::encoded_len`] bytes long.
    ///
    /// # Panics
    /// When `out` has another length (a caller's bug).
    fn encode_to(&self, out: &mut [u8]);

    /// The AVP data (no padding): the [`AvpValue::encoded_len`] bytes that
    /// [`AvpValue::encode_to`] writes. Typed messages encode through this method.
    ///
    /// The default builds them with `encode_to` ([`Wire::build`]); the types of this crate
    /// override it to lend their bytes, or to build short ones without zeroing first.
    ///
    /// ```
    /// use diameter_runtime::types::{AvpValue, Utf8String};
    /// assert_eq!(&*7u32.wire(), [0, 0, 0, 7]);
    /// assert_eq!(&*Utf8String::from("hé").wire(), "hé".as_bytes());
    /// ```
    #[inline]
    fn wire(&self) -> Wire<'_> {
        Wire::build(self.encoded_len(), |out| self.encode_to(out))
    }

    /// Appends the AVP data (no padding) to `buf`.
    fn encode(&self, buf: &mut BytesMut) {
        buf.extend_from_slice(&self.wire());
    }
}

/// The AVP data types of RFC 6733 sections 4.2 and 4.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AvpType {
    /// Arbitrary bytes.
    OctetString,
    /// Signed 32-bit integer.
    Integer32,
    /// Signed 64-bit integer.
    Integer64,
    /// Unsigned 32-bit integer.
    Unsigned32,
    /// Unsigned 64-bit integer.
    Unsigned64,
    /// IEEE 754 single precision.
    Float32,
    /// IEEE 754 double precision.
    Float64,
    /// A sequence of AVPs.
    Grouped,
    /// An address with its IANA address family.
    Address,
    /// NTP seconds.
    Time,
    /// UTF-8 text.
    Utf8String,
    /// An FQDN or realm.
    DiameterIdentity,
    /// An `aaa://` or `aaas://` URI.
    DiameterUri,
    /// A 32-bit enumeration.
    Enumerated,
    /// An IP filter rule (text).
    IpFilterRule,
    /// A QoS filter rule (text).
    QosFilterRule,
}

impl AvpType {
    /// Every type, in RFC order.
    pub const ALL: [AvpType; 16] = [
        AvpType::OctetString,
        AvpType::Integer32,
        AvpType::Integer64,
        AvpType::Unsigned32,
        AvpType::Unsigned64,
        AvpType::Float32,
        AvpType::Float64,
        AvpType::Grouped,
        AvpType::Address,
        AvpType::Time,
        AvpType::Utf8String,
        AvpType::DiameterIdentity,
        AvpType::DiameterUri,
        AvpType::Enumerated,
        AvpType::IpFilterRule,
        AvpType::QosFilterRule,
    ];

    /// The name RFC 6733 uses, e.g. `"UTF8String"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AvpType::OctetString => "OctetString",
            AvpType::Integer32 => "Integer32",
            AvpType::Integer64 => "Integer64",
            AvpType::Unsigned32 => "Unsigned32",
            AvpType::Unsigned64 => "Unsigned64",
            AvpType::Float32 => "Float32",
            AvpType::Float64 => "Float64",
            AvpType::Grouped => "Grouped",
            AvpType::Address => "Address",
            AvpType::Time => "Time",
            AvpType::Utf8String => "UTF8String",
            AvpType::DiameterIdentity => "DiameterIdentity",
            AvpType::DiameterUri => "DiameterURI",
            AvpType::Enumerated => "Enumerated",
            AvpType::IpFilterRule => "IPFilterRule",
            AvpType::QosFilterRule => "QoSFilterRule",
        }
    }

    /// The type RFC 6733 names `name`, if any.
    pub fn from_name(name: &str) -> Option<AvpType> {
        AvpType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for AvpType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Values that borrow the buffer they were decoded from, turned into `'static` ones that can be
/// kept or sent to another task. Generated groups and commands implement it too.
///
/// ```
/// use diameter_runtime::types::{IntoOwned, Utf8String};
/// fn keep(s: Utf8String<'static>) -> Utf8String<'static> { s }
/// let wire = String::from("session;1");
/// let borrowed = Utf8String::from(wire.as_str());
/// let kept = keep(borrowed.into_owned());
/// drop(wire);
/// assert_eq!(kept, "session;1");
/// ```
pub trait IntoOwned: Sized {
    /// The `'static` form.
    type Owned: 'static;
    /// The one method to implement: moves what is owned; what is borrowed from `owner` (when
    /// given) shares it, anything else borrowed is copied. A type holding others passes
    /// `owner` on to each.
    fn into_owned_in(self, owner: Option<&Bytes>) -> Self::Owned;
    /// Copies what is borrowed; moves what is owned.
    fn into_owned(self) -> Self::Owned {
        self.into_owned_in(None)
    }
    /// As [`IntoOwned::into_owned`], but what is borrowed from `owner` shares it (a reference
    /// count, no copy): the way to keep a message decoded from a `Bytes` frame.
    fn into_shared(self, owner: &Bytes) -> Self::Owned {
        self.into_owned_in(Some(owner))
    }
}

macro_rules! owned_already {
    ($($t:ty),*) => {$(
        impl IntoOwned for $t {
            type Owned = $t;
            #[inline]
            fn into_owned_in(self, _: Option<&Bytes>) -> $t {
                self
            }
        }
    )*};
}

owned_already!(
    i32,
    i64,
    u32,
    u64,
    f32,
    f64,
    Bytes,
    Address,
    Time,
    DiameterUri
);

impl<T: IntoOwned> IntoOwned for Option<T> {
    type Owned = Option<T::Owned>;
    fn into_owned_in(self, owner: Option<&Bytes>) -> Self::Owned {
        self.map(|v| v.into_owned_in(owner))
    }
}

impl<T: IntoOwned> IntoOwned for Vec<T> {
    type Owned = Vec<T::Owned>;
    fn into_owned_in(self, owner: Option<&Bytes>) -> Self::Owned {
        // Most repeated fields of a message are empty (every `*[ AVP ]` of every grouped
        // AVP): skip building and dropping an iterator for them.
        if self.is_empty() {
            return Vec::new();
        }
        self.into_iter().map(|v| v.into_owned_in(owner)).collect()
    }
}

impl<T: IntoOwned, const N: usize> IntoOwned for smallvec::SmallVec<[T; N]> {
    type Owned = smallvec::SmallVec<[T::Owned; N]>;
    fn into_owned_in(self, owner: Option<&Bytes>) -> Self::Owned {
        self.into_iter().map(|v| v.into_owned_in(owner)).collect()
    }
}

impl<T: IntoOwned> IntoOwned for Box<T> {
    type Owned = Box<T::Owned>;
    fn into_owned_in(self, owner: Option<&Bytes>) -> Self::Owned {
        Box::new((*self).into_owned_in(owner))
    }
}

/// An owned OctetString: the data copied into a `Bytes`. Generated types use [`OctetString`],
/// which borrows instead.
impl<'a> AvpValue<'a> for Bytes {
    const TYPE: AvpType = AvpType::OctetString;

    fn decode(data: &'a [u8]) -> Result<Self, ValueError> {
        Ok(Bytes::copy_from_slice(data))
    }
    fn encoded_len(&self) -> usize {
        self.len()
    }
    fn encode_to(&self, out: &mut [u8]) {
        out.copy_from_slice(self);
    }
    #[inline]
    fn wire(&self) -> Wire<'_> {
        Wire::Borrowed(self)
    }
}

#[cfg(test)]
pub(crate) fn round_trip<'a, T>(v: &T) -> Bytes
where
    T: AvpValue<'a> + PartialEq + std::fmt::Debug,
{
    let mut buf = BytesMut::new();
    v.encode(&mut buf);
    assert_eq!(buf.len(), v.encoded_len(), "encoded_len of {v:?}");
    // Leaked so that borrowing types of any lifetime can decode from it (tests only).
    let bytes: &'static [u8] = Box::leak(buf.to_vec().into_boxed_slice());
    assert_eq!(&T::decode(bytes).expect("decodes"), v);
    buf.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value type of a user's, with only the required methods: `n` bytes 0xab.
    #[derive(Debug, PartialEq)]
    struct Filler(usize);

    impl<'a> AvpValue<'a> for Filler {
        const TYPE: AvpType = AvpType::OctetString;
        fn decode(data: &'a [u8]) -> Result<Self, ValueError> {
            Ok(Filler(data.len()))
        }
        fn encoded_len(&self) -> usize {
            self.0
        }
        fn encode_to(&self, out: &mut [u8]) {
            out.fill(0xab);
        }
    }

    #[test]
    fn default_wire_builds_short_values_inline_and_long_ones_on_the_heap() {
        for n in [0, 5, Wire::INLINE, Wire::INLINE + 1, 100] {
            let value = Filler(n);
            let wire = value.wire();
            assert_eq!(&*wire, &vec![0xab; n][..]);
            assert_eq!(
                matches!(wire, Wire::Inline { .. }),
                n <= Wire::INLINE,
                "{n}"
            );
            let mut buf = BytesMut::from(&b"x"[..]);
            Filler(n).encode(&mut buf);
            assert_eq!(&buf[1..], &vec![0xab; n][..]);
        }
    }

    #[test]
    fn type_names_round_trip() {
        for t in AvpType::ALL {
            assert_eq!(AvpType::from_name(t.as_str()), Some(t));
        }
        assert_eq!(AvpType::from_name("Utf8String"), None);
        assert_eq!(AvpType::DiameterUri.to_string(), "DiameterURI");
    }

    #[test]
    fn owned_octet_string_copies() {
        let input = Bytes::from_static(b"\x00\x01binary\xff");
        let v = <Bytes as AvpValue>::decode(&input).unwrap();
        assert_eq!(v, input);
        round_trip(&Bytes::new());
        round_trip(&input);
    }
}
