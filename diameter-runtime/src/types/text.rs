//! Text types: UTF8String, DiameterIdentity, IPFilterRule and QoSFilterRule.
//!
//! Each keeps the wire bytes (an [`OctetString`], borrowed from the input) after checking them
//! once, so decoding copies nothing and re-encoding gives the same bytes.

use std::fmt;

use bytes::Bytes;

use super::{AvpType, AvpValue, IntoOwned, OctetString, Wire};
use crate::error::ValueError;

#[inline]
fn utf8(ty: AvpType, data: &[u8]) -> Result<(), ValueError> {
    // Most Diameter text is ASCII: a word-at-a-time check, then the full one only if needed.
    if data.is_ascii() {
        return Ok(());
    }
    utf8_full(ty, data)
}

#[cold]
#[inline(never)]
fn utf8_full(ty: AvpType, data: &[u8]) -> Result<(), ValueError> {
    std::str::from_utf8(data)
        .map(|_| ())
        .map_err(|e| ValueError::Utf8 {
            ty: ty.as_str(),
            valid_up_to: e.valid_up_to(),
        })
}

/// RFC 6733 4.3.1: an FQDN or realm, in ASCII (IDNs as punycode). We reject what no FQDN or
/// realm can hold: an empty value, non-ASCII bytes, white space and control characters.
#[inline]
fn identity(data: &[u8]) -> Result<(), ValueError> {
    if !data.is_empty() && all_graphic(data) {
        return Ok(());
    }
    not_identity(data)
}

/// Says what makes `data` no DiameterIdentity.
#[cold]
#[inline(never)]
fn not_identity(data: &[u8]) -> Result<(), ValueError> {
    let ty = AvpType::DiameterIdentity.as_str();
    if data.is_empty() {
        return Err(ValueError::Invalid {
            ty,
            reason: "empty".into(),
        });
    }
    match data.iter().find(|b| !b.is_ascii_graphic()) {
        Some(b) => Err(ValueError::Invalid {
            ty,
            reason: format!("byte {b:#04x} is not a printable ASCII character"),
        }),
        None => Ok(()),
    }
}

/// Are all bytes printable ASCII (0x21 to 0x7e)? Eight bytes at a time: a tail shorter than
/// eight is checked as the last eight bytes (overlapping), and a value shorter than eight is
/// padded with a printable byte, so there is no byte-at-a-time loop.
#[inline]
fn all_graphic(data: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Per byte b < 0x80: b - 0x21 borrows (sets bit 7) exactly when b < 0x21, and b + 1 sets
    // bit 7 exactly when b > 0x7e. Bytes >= 0x80 have bit 7 set already.
    let bad = |x: u64| (x | x.wrapping_sub(0x21 * ONES) | x.wrapping_add(ONES)) & HIGH != 0;
    let word = |c: &[u8]| {
        let mut w = [b'!'; 8];
        w[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(w)
    };
    let Some(last) = data.len().checked_sub(8) else {
        return !bad(word(data));
    };
    let mut chunks = data.chunks_exact(8);
    if chunks.any(|c| bad(word(c))) {
        return false;
    }
    data.len() % 8 == 0 || !bad(word(&data[last..]))
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $ty:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name<'a>(OctetString<'a>);

        impl<'a> $name<'a> {
            const CHECK: fn(&[u8]) -> Result<(), ValueError> = $check;

            /// Checks `bytes` and wraps them (owned).
            pub fn from_bytes(bytes: Bytes) -> Result<Self, ValueError> {
                Self::CHECK(&bytes)?;
                Ok($name(OctetString::from(bytes)))
            }

            /// Checks `bytes` and wraps them, borrowed.
            #[inline]
            pub fn from_borrowed(bytes: &'a [u8]) -> Result<Self, ValueError> {
                Self::CHECK(bytes)?;
                Ok($name(OctetString::borrowed(bytes)))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                // Checked as UTF-8 on construction, so this cannot fail.
                std::str::from_utf8(self.0.as_bytes()).unwrap_or_default()
            }

            /// The wire bytes.
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }

            /// The wire bytes as an [`OctetString`] (borrowed or owned as this value is).
            pub fn as_octets(&self) -> &OctetString<'a> {
                &self.0
            }

            /// Length in bytes.
            pub fn len(&self) -> usize {
                self.0.len()
            }

            /// Is it empty?
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl IntoOwned for $name<'_> {
            type Owned = $name<'static>;
            fn into_owned_in(self, owner: Option<&Bytes>) -> $name<'static> {
                $name(self.0.into_owned_in(owner))
            }
        }

        impl<'a> AvpValue<'a> for $name<'a> {
            const TYPE: AvpType = AvpType::$ty;

            #[inline]
            fn decode(data: &'a [u8]) -> Result<Self, ValueError> {
                Self::from_borrowed(data)
            }
            fn encoded_len(&self) -> usize {
                self.0.len()
            }
            #[inline]
            fn encode_to(&self, out: &mut [u8]) {
                out.copy_from_slice(self.0.as_bytes());
            }
            #[inline]
            fn wire(&self) -> Wire<'_> {
                Wire::Borrowed(self.0.as_bytes())
            }
        }

        impl std::ops::Deref for $name<'_> {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl AsRef<str> for $name<'_> {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl PartialEq<str> for $name<'_> {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name<'_> {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

text_type!(
    /// UTF8String (RFC 6733 4.3.1): UTF-8 text, checked on decode.
    ///
    /// Any Rust string is valid, so it converts `From<&str>` (borrowing, no copy) and
    /// `From<String>`; `from_static` makes one in a `const`:
    /// ```
    /// use diameter_runtime::types::Utf8String;
    /// const SERVICE: Utf8String<'static> = Utf8String::from_static("32251@3gpp.org");
    /// let s = Utf8String::from("client.example;1;2");
    /// assert_eq!(s, "client.example;1;2");
    /// ```
    Utf8String,
    Utf8String,
    |b| utf8(AvpType::Utf8String, b)
);

text_type!(
    /// DiameterIdentity (RFC 6733 4.3.1): an FQDN or realm in ASCII: not empty, printable
    /// characters only.
    ///
    /// Not every string is one, so a string converts with `TryFrom` (`&str` borrows, `String`
    /// is kept); a literal can be checked at compile time with `from_static` in a `const`:
    /// ```
    /// use diameter_runtime::types::DiameterIdentity;
    /// const REALM: DiameterIdentity<'static> = DiameterIdentity::from_static("example.net");
    /// assert!(DiameterIdentity::try_from("peer.example.net").is_ok());
    /// assert!(DiameterIdentity::try_from("bad host").is_err());
    /// assert_eq!(REALM, "example.net");
    /// ```
    ///
    /// A bad literal in a `const` fails to compile:
    /// ```compile_fail
    /// use diameter_runtime::types::DiameterIdentity;
    /// const BAD: DiameterIdentity<'static> = DiameterIdentity::from_static("bad host");
    /// ```
    DiameterIdentity,
    DiameterIdentity,
    identity
);

text_type!(
    /// IPFilterRule (RFC 6733 4.3.1), kept as its text, e.g. `permit in ip from any to any`.
    IpFilterRule,
    IpFilterRule,
    |b| utf8(AvpType::IpFilterRule, b)
);

text_type!(
    /// QoSFilterRule (RFC 4005 / RFC 6733 4.3), kept as its text.
    QosFilterRule,
    QosFilterRule,
    |b| utf8(AvpType::QosFilterRule, b)
);

/// The text types that any Rust string is: conversions that cannot fail.
macro_rules! infallible_text {
    ($($name:ident),*) => {$(
        /// Borrows: copies nothing.
        impl<'a> From<&'a str> for $name<'a> {
            fn from(s: &'a str) -> Self {
                $name(OctetString::borrowed(s.as_bytes()))
            }
        }

        impl From<String> for $name<'_> {
            fn from(s: String) -> Self {
                $name(OctetString::from(s))
            }
        }

        impl $name<'static> {
            /// A value from static text, without copying; usable in a `const`.
            pub const fn from_static(s: &'static str) -> Self {
                $name(OctetString::from_static(s.as_bytes()))
            }
        }
    )*};
}

infallible_text!(Utf8String, IpFilterRule, QosFilterRule);

/// Checks, borrowing: copies nothing.
impl<'a> TryFrom<&'a str> for DiameterIdentity<'a> {
    type Error = ValueError;
    fn try_from(s: &'a str) -> Result<Self, ValueError> {
        Self::from_borrowed(s.as_bytes())
    }
}

/// Checks, keeping the string's buffer.
impl TryFrom<String> for DiameterIdentity<'_> {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        Self::from_bytes(Bytes::from(s))
    }
}

impl DiameterIdentity<'static> {
    /// An identity from a literal, without copying.
    ///
    /// # Panics
    /// When `s` is not a DiameterIdentity (empty, or a byte that is not printable ASCII). In a
    /// `const` item that is a compile error, so write literals there:
    /// `const HOST: DiameterIdentity<'static> = DiameterIdentity::from_static("a.example");`
    pub const fn from_static(s: &'static str) -> Self {
        let b = s.as_bytes();
        assert!(!b.is_empty(), "a DiameterIdentity is not empty");
        let mut i = 0;
        while i < b.len() {
            assert!(
                b[i].is_ascii_graphic(),
                "a DiameterIdentity holds printable ASCII characters only"
            );
            i += 1;
        }
        DiameterIdentity(OctetString::from_static(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::round_trip;

    #[test]
    fn utf8_round_trips_and_shares_input() {
        round_trip(&Utf8String::from(""));
        round_trip(&Utf8String::from("ünïcødé ✓"));
        let input = "abc".as_bytes();
        let v = Utf8String::decode(input).unwrap();
        assert_eq!(v.as_bytes().as_ptr(), input.as_ptr());
        assert_eq!(&*v, "abc");
        assert_eq!(format!("{v:?}"), "\"abc\"");
    }

    #[test]
    fn invalid_utf8_is_5004_with_position() {
        let e = Utf8String::decode(b"ab\xffcd").unwrap_err();
        assert_eq!(
            e,
            ValueError::Utf8 {
                ty: "UTF8String",
                valid_up_to: 2
            }
        );
        assert_eq!(e.result_code(), 5004);
        // A truncated multi-byte sequence too.
        assert!(Utf8String::decode(b"\xc3").is_err());
        assert!(IpFilterRule::decode(b"\xc3").is_err());
    }

    #[test]
    fn all_graphic_agrees_with_the_byte_test() {
        // Every byte at every place of every length up to three words: whole words, the
        // overlapping tail and the padded short value all see it.
        for b in 0..=255u8 {
            for len in 1..=24 {
                for at in 0..len {
                    let mut v = vec![b'a'; len];
                    v[at] = b;
                    let ok = b.is_ascii_graphic();
                    assert_eq!(all_graphic(&v), ok, "byte {b:#x} at {at} of {len}");
                }
            }
        }
        assert!(all_graphic(b""));
    }

    #[test]
    fn identity_checks() {
        round_trip(&DiameterIdentity::try_from("aaa.example.com").unwrap());
        round_trip(&DiameterIdentity::from_static("aaa.example.com"));
        for bad in ["", "a b", "tab\there", "ünï.example"] {
            let e = DiameterIdentity::try_from(bad).unwrap_err();
            assert_eq!(e.result_code(), 5004, "{bad:?}");
            let e = DiameterIdentity::try_from(bad.to_string()).unwrap_err();
            assert_eq!(e.result_code(), 5004, "{bad:?}");
        }
    }

    #[test]
    #[should_panic(expected = "printable ASCII")]
    fn a_bad_static_identity_panics_outside_const() {
        let literal = "bad host";
        let _ = DiameterIdentity::from_static(literal);
    }

    #[test]
    fn filter_rules_are_text() {
        let r = IpFilterRule::from("permit in ip from any to any");
        round_trip(&r);
        round_trip(&QosFilterRule::from_static("meter 1 in ip from any to any"));
        round_trip(&QosFilterRule::from(String::from("meter 2")));
    }

    #[test]
    fn static_and_borrowed_strings_do_not_copy() {
        let s = Utf8String::from_static("x");
        assert_eq!(s.as_bytes().as_ptr(), "x".as_ptr());
        let owned = String::from("peer.example");
        let id = DiameterIdentity::try_from(owned.as_str()).unwrap();
        assert_eq!(id.as_bytes().as_ptr(), owned.as_ptr());
        let kept: DiameterIdentity<'static> = id.into_owned();
        drop(owned);
        assert_eq!(kept, "peer.example");
    }
}
