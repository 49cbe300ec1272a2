//! Address (RFC 6733 4.3.1): a 2-byte IANA address family followed by the address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use super::{AvpType, AvpValue};
use crate::error::ValueError;

/// IANA "Address Family Numbers" that have a fixed or textual form worth naming.
pub struct AddressFamily;

impl AddressFamily {
    /// IPv4 (4 bytes).
    pub const IPV4: u16 = 1;
    /// IPv6 (16 bytes).
    pub const IPV6: u16 = 2;
    /// E.164 (ASCII digits).
    pub const E164: u16 = 8;
}

/// An Address value. IPv4 and IPv6 are std types; every other family keeps its bytes.
///
/// ```
/// use diameter_runtime::types::{Address, AvpValue};
/// let a: Address = "192.0.2.1".parse::<std::net::IpAddr>().unwrap().into();
/// let mut buf = bytes::BytesMut::new();
/// a.encode(&mut buf);
/// assert_eq!(&buf[..], &[0, 1, 192, 0, 2, 1]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    /// Family 1.
    V4(Ipv4Addr),
    /// Family 2.
    V6(Ipv6Addr),
    /// Any other family, with the bytes after the family field.
    Other {
        /// IANA address family number.
        family: u16,
        /// The address bytes.
        data: Bytes,
    },
}

impl Address {
    /// The IANA address family number.
    pub fn family(&self) -> u16 {
        match self {
            Address::V4(_) => AddressFamily::IPV4,
            Address::V6(_) => AddressFamily::IPV6,
            Address::Other { family, .. } => *family,
        }
    }

    /// The IP address, for families 1 and 2.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Address::V4(a) => Some(IpAddr::V4(*a)),
            Address::V6(a) => Some(IpAddr::V6(*a)),
            Address::Other { .. } => None,
        }
    }
}

/// `0.0.0.0`: the value a missing required Address field decodes to.
impl Default for Address {
    fn default() -> Self {
        Address::V4(Ipv4Addr::UNSPECIFIED)
    }
}

impl From<IpAddr> for Address {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Address::V4(a),
            IpAddr::V6(a) => Address::V6(a),
        }
    }
}

impl From<Ipv4Addr> for Address {
    fn from(a: Ipv4Addr) -> Self {
        Address::V4(a)
    }
}

impl From<Ipv6Addr> for Address {
    fn from(a: Ipv6Addr) -> Self {
        Address::V6(a)
    }
}

/// IPv4 and IPv6 print as usual; other families as `<family>:<hex>`.
impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::V4(a) => a.fmt(f),
            Address::V6(a) => a.fmt(f),
            Address::Other { family, data } => {
                write!(f, "{family}:")?;
                data.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl<'a> AvpValue<'a> for Address {
    const TYPE: AvpType = AvpType::Address;

    fn decode(data: &'a [u8]) -> Result<Self, ValueError> {
        let length = |expected| ValueError::Length {
            ty: "Address",
            expected,
            actual: data.len(),
        };
        let Some(family) = data.get(..2).map(|f| u16::from_be_bytes([f[0], f[1]])) else {
            return Err(length("at least 2"));
        };
        let rest = &data[2..];
        Ok(match family {
            AddressFamily::IPV4 => {
                let a: [u8; 4] = rest.try_into().map_err(|_| length("6 for IPv4"))?;
                Address::V4(a.into())
            }
            AddressFamily::IPV6 => {
                let a: [u8; 16] = rest.try_into().map_err(|_| length("18 for IPv6"))?;
                Address::V6(a.into())
            }
            family => Address::Other {
                family,
                data: Bytes::copy_from_slice(rest),
            },
        })
    }

    fn encoded_len(&self) -> usize {
        2 + match self {
            Address::V4(_) => 4,
            Address::V6(_) => 16,
            Address::Other { data, .. } => data.len(),
        }
    }

    fn encode_to(&self, out: &mut [u8]) {
        let (family, rest) = out.split_at_mut(2);
        family.copy_from_slice(&self.family().to_be_bytes());
        match self {
            Address::V4(a) => rest.copy_from_slice(&a.octets()),
            Address::V6(a) => rest.copy_from_slice(&a.octets()),
            Address::Other { data, .. } => rest.copy_from_slice(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::round_trip;

    #[test]
    fn families_round_trip() {
        assert_eq!(
            &round_trip(&Address::V4(Ipv4Addr::new(127, 0, 0, 1)))[..],
            &[0, 1, 127, 0, 0, 1]
        );
        let v6 = round_trip(&Address::V6("2001:db8::1".parse().unwrap()));
        assert_eq!(v6.len(), 18);
        assert_eq!(&v6[..2], &[0, 2]);
        let e164 = Address::Other {
            family: AddressFamily::E164,
            data: Bytes::from_static(b"4915212345678"),
        };
        round_trip(&e164);
        assert_eq!(e164.to_string(), "8:34393135323132333435363738");
        assert_eq!(e164.ip(), None);
        assert_eq!(
            Address::from("::1".parse::<IpAddr>().unwrap()).to_string(),
            "::1"
        );
    }

    #[test]
    fn wrong_lengths_are_5014() {
        for data in [
            &[][..],
            &[0][..],
            &[0, 1, 1, 2, 3][..],
            &[0, 1, 1, 2, 3, 4, 5][..],
            &[0, 2, 0, 0, 0, 0][..],
        ] {
            let e = Address::decode(&Bytes::copy_from_slice(data)).unwrap_err();
            assert_eq!(e.result_code(), 5014, "{data:?}");
        }
        // An unknown family with no address bytes is still well formed.
        assert_eq!(
            Address::decode(&Bytes::from_static(&[0x40, 0]))
                .unwrap()
                .family(),
            0x4000
        );
    }
}
