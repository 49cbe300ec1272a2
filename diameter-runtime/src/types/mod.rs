//! The RFC 6733 basic (section 4.2) and derived (section 4.3) AVP data types.
//!
//! Each type implements [`AvpValue`]: decoding from the AVP data (padding excluded) and encoding
//! back to it. Octet and text values share the buffer they were decoded from (`bytes::Bytes`).
//! Integer32/64, Unsigned32/64 and Float32/64 are Rust's `i32`, `i64`, `u32`, `u64`, `f32`,
//! `f64`; OctetString is [`bytes::Bytes`]; Enumerated is `i32` (generated enums wrap it).

mod address;
mod numeric;
mod text;
mod time;
mod uri;

use bytes::{Bytes, BytesMut};

pub use address::{Address, AddressFamily};
pub use text::{DiameterIdentity, IpFilterRule, QosFilterRule, Utf8String};
pub use time::Time;
pub use uri::{AaaProtocol, DiameterUri, Transport};

use crate::error::ValueError;

/// A value that can be carried as the data of an AVP.
///
/// ```
/// use diameter_runtime::types::{AvpValue, Utf8String};
/// let v = Utf8String::from("héllo");
/// let mut buf = bytes::BytesMut::new();
/// v.encode(&mut buf);
/// assert_eq!(v.encoded_len(), buf.len());
/// assert_eq!(Utf8String::decode(&buf.freeze()).unwrap(), v);
/// ```
pub trait AvpValue: Sized {
    /// The data type as RFC 6733 names it, e.g. `"Unsigned32"`.
    const TYPE: AvpType;

    /// Decodes the AVP data (padding excluded). Octet and text types keep a slice of `data`.
    fn decode(data: &Bytes) -> Result<Self, ValueError>;

    /// Decodes `data`, a slice of `owner`. Octet and text types share `owner`'s buffer; the
    /// others read `data` alone, so no reference count is touched. Typed decoding uses this.
    fn decode_in(data: &[u8], owner: &Bytes) -> Result<Self, ValueError> {
        Self::decode(&owner.slice_ref(data))
    }

    /// Number of data bytes [`AvpValue::encode`] writes (padding excluded).
    fn encoded_len(&self) -> usize;

    /// Appends the AVP data (no padding) to `buf`.
    fn encode(&self, buf: &mut BytesMut);
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

/// OctetString: the data as is, sharing the input buffer.
impl AvpValue for Bytes {
    const TYPE: AvpType = AvpType::OctetString;

    fn decode(data: &Bytes) -> Result<Self, ValueError> {
        Ok(data.clone())
    }
    fn decode_in(data: &[u8], owner: &Bytes) -> Result<Self, ValueError> {
        Ok(owner.slice_ref(data))
    }
    fn encoded_len(&self) -> usize {
        self.len()
    }
    fn encode(&self, buf: &mut BytesMut) {
        buf.extend_from_slice(self);
    }
}

#[cfg(test)]
pub(crate) fn round_trip<T: AvpValue + PartialEq + std::fmt::Debug>(v: &T) -> Bytes {
    let mut buf = BytesMut::new();
    v.encode(&mut buf);
    assert_eq!(buf.len(), v.encoded_len(), "encoded_len of {v:?}");
    let bytes = buf.freeze();
    assert_eq!(&T::decode(&bytes).expect("decodes"), v);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip() {
        for t in AvpType::ALL {
            assert_eq!(AvpType::from_name(t.as_str()), Some(t));
        }
        assert_eq!(AvpType::from_name("Utf8String"), None);
        assert_eq!(AvpType::DiameterUri.to_string(), "DiameterURI");
    }

    #[test]
    fn octet_string_is_zero_copy() {
        let input = Bytes::from_static(b"\x00\x01binary\xff");
        let v = <Bytes as AvpValue>::decode(&input).unwrap();
        assert_eq!(v.as_ptr(), input.as_ptr());
        round_trip(&Bytes::new());
        round_trip(&input);
    }
}
