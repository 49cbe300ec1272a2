//! DiameterURI (RFC 6733 4.3.1):
//! `"aaa://" / "aaas://" FQDN [":" port] [";transport=" tcp|sctp|udp] [";protocol=" diameter|radius|tacacs+]`.

use std::fmt;

use bytes::Bytes;

use super::{AvpType, AvpValue, Wire};
use crate::error::ValueError;

/// Transport named by a DiameterURI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// TCP (the default).
    Tcp,
    /// SCTP.
    Sctp,
    /// UDP (not with the diameter protocol).
    Udp,
}

/// AAA protocol named by a DiameterURI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AaaProtocol {
    /// Diameter (the default).
    Diameter,
    /// RADIUS.
    Radius,
    /// TACACS+.
    TacacsPlus,
}

/// A parsed DiameterURI. It keeps its text, so re-encoding gives the bytes received; the
/// accessors apply the RFC's defaults for what the text leaves out.
///
/// ```
/// use diameter_runtime::types::{DiameterUri, Transport};
/// let u = DiameterUri::try_from("aaas://peer.example.net;transport=sctp").unwrap();
/// assert!(u.is_secure());
/// assert_eq!(u.fqdn(), "peer.example.net");
/// assert_eq!(u.port(), 5658); // the default for aaas
/// assert_eq!(u.transport(), Transport::Sctp);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DiameterUri {
    text: Bytes,
    secure: bool,
    fqdn: std::ops::Range<usize>,
    port: Option<u16>,
    transport: Option<Transport>,
    protocol: Option<AaaProtocol>,
}

fn invalid(reason: impl Into<String>) -> ValueError {
    ValueError::Invalid {
        ty: "DiameterURI",
        reason: reason.into(),
    }
}

impl DiameterUri {
    /// Default port without transport security.
    pub const DEFAULT_PORT: u16 = 3868;
    /// Default port with transport security (TLS/TCP, DTLS/SCTP).
    pub const DEFAULT_SECURE_PORT: u16 = 5658;

    /// Parses the wire bytes.
    pub fn from_bytes(text: Bytes) -> Result<Self, ValueError> {
        let s = std::str::from_utf8(&text).map_err(|_| invalid("not ASCII text"))?;
        let (secure, rest_at) = if starts_with_ci(s, "aaas://") {
            (true, 7)
        } else if starts_with_ci(s, "aaa://") {
            (false, 6)
        } else {
            return Err(invalid("must start with aaa:// or aaas://"));
        };
        let rest = &s[rest_at..];
        let host_end = rest.find([':', ';']).unwrap_or(rest.len());
        let fqdn = &rest[..host_end];
        if fqdn.is_empty() {
            return Err(invalid("no FQDN"));
        }
        if let Some(c) = fqdn
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            return Err(invalid(format!("character {c:?} in the FQDN")));
        }
        let mut tail = &rest[host_end..];
        let mut port = None;
        if let Some(p) = tail.strip_prefix(':') {
            let end = p.find(';').unwrap_or(p.len());
            let digits = &p[..end];
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("port is not a number"));
            }
            port = Some(
                digits
                    .parse::<u16>()
                    .map_err(|_| invalid("port out of range"))?,
            );
            tail = &p[end..];
        }
        let (mut transport, mut protocol) = (None, None);
        for param in tail.split(';').skip(1) {
            let (key, value) = param
                .split_once('=')
                .ok_or_else(|| invalid(format!("parameter {param:?} has no value")))?;
            if key.eq_ignore_ascii_case("transport") && transport.is_none() {
                transport = Some(match value.to_ascii_lowercase().as_str() {
                    "tcp" => Transport::Tcp,
                    "sctp" => Transport::Sctp,
                    "udp" => Transport::Udp,
                    _ => return Err(invalid(format!("unknown transport {value:?}"))),
                });
            } else if key.eq_ignore_ascii_case("protocol") && protocol.is_none() {
                protocol = Some(match value.to_ascii_lowercase().as_str() {
                    "diameter" => AaaProtocol::Diameter,
                    "radius" => AaaProtocol::Radius,
                    "tacacs+" => AaaProtocol::TacacsPlus,
                    _ => return Err(invalid(format!("unknown protocol {value:?}"))),
                });
            } else {
                return Err(invalid(format!("unexpected parameter {key:?}")));
            }
        }
        if tail.starts_with(';') && transport.is_none() && protocol.is_none() {
            return Err(invalid("empty parameter"));
        }
        let uri = DiameterUri {
            secure,
            fqdn: rest_at..rest_at + host_end,
            port,
            transport,
            protocol,
            text,
        };
        if uri.transport() == Transport::Udp && uri.protocol() == AaaProtocol::Diameter {
            return Err(invalid("UDP must not be used with the diameter protocol"));
        }
        Ok(uri)
    }

    /// `aaas://`: transport security is used.
    pub fn is_secure(&self) -> bool {
        self.secure
    }
    /// The host part.
    pub fn fqdn(&self) -> &str {
        self.as_str().get(self.fqdn.clone()).unwrap_or_default()
    }
    /// The port, or the default for the scheme (3868, or 5658 for `aaas`).
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.secure {
            Self::DEFAULT_SECURE_PORT
        } else {
            Self::DEFAULT_PORT
        })
    }
    /// The port as written, if written.
    pub fn explicit_port(&self) -> Option<u16> {
        self.port
    }
    /// The transport, TCP when absent.
    pub fn transport(&self) -> Transport {
        self.transport.unwrap_or(Transport::Tcp)
    }
    /// The AAA protocol, Diameter when absent.
    pub fn protocol(&self) -> AaaProtocol {
        self.protocol.unwrap_or(AaaProtocol::Diameter)
    }
    /// The URI text as received or built.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or_default()
    }
}

/// `aaa://invalid`: the value a missing required DiameterURI field decodes to.
impl Default for DiameterUri {
    fn default() -> Self {
        DiameterUri {
            text: Bytes::from_static(b"aaa://invalid"),
            secure: false,
            fqdn: 6..13,
            port: None,
            transport: None,
            protocol: None,
        }
    }
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Parses a copy of `s`.
impl TryFrom<&str> for DiameterUri {
    type Error = ValueError;
    fn try_from(s: &str) -> Result<Self, ValueError> {
        Self::from_bytes(Bytes::copy_from_slice(s.as_bytes()))
    }
}

/// Parses `s`, keeping its buffer.
impl TryFrom<String> for DiameterUri {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        Self::from_bytes(Bytes::from(s))
    }
}

impl fmt::Display for DiameterUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'a> AvpValue<'a> for DiameterUri {
    const TYPE: AvpType = AvpType::DiameterUri;

    /// Parses a copy of `data`: URIs are rare, and owning keeps the type simple.
    fn decode(data: &'a [u8]) -> Result<Self, ValueError> {
        Self::from_bytes(Bytes::copy_from_slice(data))
    }
    fn encoded_len(&self) -> usize {
        self.text.len()
    }
    fn encode_to(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.text);
    }
    fn wire(&self) -> Wire<'_> {
        Wire::Borrowed(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::round_trip;

    #[test]
    fn default_value_is_consistent() {
        let d = DiameterUri::default();
        assert_eq!(d, DiameterUri::try_from("aaa://invalid").unwrap());
        assert_eq!(d.fqdn(), "invalid");
    }

    #[test]
    fn defaults() {
        let u = DiameterUri::try_from("aaa://host.example.com").unwrap();
        assert!(!u.is_secure());
        assert_eq!((u.port(), u.explicit_port()), (3868, None));
        assert_eq!(u.transport(), Transport::Tcp);
        assert_eq!(u.protocol(), AaaProtocol::Diameter);
        round_trip(&u);
    }

    #[test]
    fn rfc_examples() {
        for s in [
            "aaa://host.example.com;transport=tcp",
            "aaa://host.example.com:6666;transport=tcp",
            "aaa://host.example.com;protocol=diameter",
            "aaa://host.example.com:6666;protocol=diameter",
            "aaa://host.example.com:6666;transport=tcp;protocol=diameter",
            "aaa://host.example.com:1813;transport=udp;protocol=radius",
            "aaas://host.example.com:5658;transport=sctp;protocol=tacacs+",
        ] {
            let u = DiameterUri::try_from(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(u.fqdn(), "host.example.com");
            assert_eq!(u.to_string(), s);
            round_trip(&u);
        }
        let u = DiameterUri::try_from("aaa://host.example.com:1813;transport=udp;protocol=radius")
            .unwrap();
        assert_eq!(
            (u.port(), u.transport(), u.protocol()),
            (1813, Transport::Udp, AaaProtocol::Radius)
        );
    }

    #[test]
    fn rejects_invalid() {
        for s in [
            "",
            "http://host",
            "aaa://",
            "aaa://host:",
            "aaa://host:99999",
            "aaa://host:12a",
            "aaa://ho st",
            "aaa://host;transport=quic",
            "aaa://host;protocol=ldap",
            "aaa://host;transport=udp",
            "aaa://host;foo=bar",
            "aaa://host;transport",
            "aaa://host;",
        ] {
            let e = DiameterUri::try_from(s).unwrap_err();
            assert_eq!(e.result_code(), 5004, "{s}");
        }
    }
}
