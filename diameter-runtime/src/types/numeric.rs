//! Integer32/64, Unsigned32/64 and Float32/64: big-endian, fixed length.

use super::{AvpType, AvpValue, Wire};
use crate::error::ValueError;

macro_rules! fixed {
    ($t:ty, $ty:ident, $n:literal, $expected:literal) => {
        impl<'a> AvpValue<'a> for $t {
            const TYPE: AvpType = AvpType::$ty;

            #[inline]
            fn decode(data: &'a [u8]) -> Result<Self, ValueError> {
                let arr: [u8; $n] = data.try_into().map_err(|_| ValueError::Length {
                    ty: AvpType::$ty.as_str(),
                    expected: $expected,
                    actual: data.len(),
                })?;
                Ok(<$t>::from_be_bytes(arr))
            }
            fn encoded_len(&self) -> usize {
                $n
            }
            #[inline]
            fn encode_to(&self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_be_bytes());
            }
            #[inline]
            fn wire(&self) -> Wire<'_> {
                Wire::copied(&self.to_be_bytes())
            }
        }
    };
}

fixed!(i32, Integer32, 4, "4");
fixed!(i64, Integer64, 8, "8");
fixed!(u32, Unsigned32, 4, "4");
fixed!(u64, Unsigned64, 8, "8");
fixed!(f32, Float32, 4, "4");
fixed!(f64, Float64, 8, "8");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::round_trip;

    #[test]
    fn edge_values_round_trip_big_endian() {
        assert_eq!(&round_trip(&0x0102_0304u32)[..], &[1, 2, 3, 4]);
        assert_eq!(&round_trip(&-1i32)[..], &[0xff; 4]);
        for v in [0u32, 1, u32::MAX] {
            round_trip(&v);
        }
        for v in [i32::MIN, -1, 0, i32::MAX] {
            round_trip(&v);
        }
        for v in [0u64, u64::MAX] {
            round_trip(&v);
        }
        for v in [i64::MIN, i64::MAX] {
            round_trip(&v);
        }
        for v in [0.0f32, -1.5, f32::MAX, f32::INFINITY] {
            round_trip(&v);
        }
        for v in [0.0f64, 1e300, f64::MIN_POSITIVE] {
            round_trip(&v);
        }
        assert_eq!(&round_trip(&1.0f32)[..], &[0x3f, 0x80, 0, 0]);
    }

    #[test]
    fn nan_bits_survive() {
        let nan = f64::from_bits(0x7ff8_0000_0000_0001);
        let mut buf = bytes::BytesMut::new();
        nan.encode(&mut buf);
        assert_eq!(f64::decode(&buf.freeze()).unwrap().to_bits(), nan.to_bits());
    }

    #[test]
    fn wrong_lengths_are_5014() {
        for len in [0usize, 3, 5, 8] {
            let e = u32::decode(&vec![0; len]).unwrap_err();
            assert_eq!(e.result_code(), 5014, "len {len}");
            assert!(e.to_string().contains("Unsigned32"));
        }
        assert!(i64::decode(&[0; 4]).is_err());
        assert!(f32::decode(&[0; 8]).is_err());
        assert!(u64::decode(&[0; 7]).is_err());
        assert!(i32::decode(&[0; 13]).is_err());
        assert!(f64::decode(&[0; 9]).is_err());
    }
}
