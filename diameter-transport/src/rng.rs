//! A small seedable random generator for timer jitter.
//!
//! Jitter needs no cryptographic quality, only spread and repeatability: a seed given in a
//! test gives the same delays every run. SplitMix64 (Steele, Lea and Flood, 2014) is a few
//! lines, passes the usual statistical batteries for this use, and needs no dependency.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// A SplitMix64 generator: deterministic from its seed.
///
/// ```
/// use diameter_transport::JitterRng;
/// let mut a = JitterRng::from_seed(7);
/// let mut b = JitterRng::from_seed(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
#[derive(Debug, Clone)]
pub struct JitterRng {
    state: u64,
}

impl JitterRng {
    /// A generator that yields the same sequence for the same `seed`.
    pub fn from_seed(seed: u64) -> Self {
        JitterRng { state: seed }
    }

    /// A generator seeded differently in each process and each call: the standard library's
    /// per-process random hash keys, mixed with the current time.
    pub fn from_entropy() -> Self {
        let mut h = RandomState::new().build_hasher();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        h.write_u128(now.as_nanos());
        JitterRng::from_seed(h.finish())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value uniformly spread over `0..=bound`.
    pub fn below_inclusive(&mut self, bound: u64) -> u64 {
        match bound.checked_add(1) {
            // Multiply-shift maps 64 random bits onto the range with negligible bias for the
            // millisecond ranges used here.
            Some(n) => ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64,
            None => self.next_u64(),
        }
    }

    /// A signed offset uniformly spread over `-max..=+max`, as (is it negative, magnitude).
    ///
    /// Durations cannot be negative, so the sign comes apart from the size.
    pub fn offset(&mut self, max: Duration) -> (bool, Duration) {
        let max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX / 2);
        let span = max_ms.saturating_mul(2);
        let v = self.below_inclusive(span);
        if v < max_ms {
            (true, Duration::from_millis(max_ms - v))
        } else {
            (false, Duration::from_millis(v - max_ms))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_other_seed_other_sequence() {
        let a: Vec<u64> = {
            let mut r = JitterRng::from_seed(1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = JitterRng::from_seed(1);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = JitterRng::from_seed(2);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn offsets_stay_in_range_and_reach_both_signs() {
        let mut r = JitterRng::from_seed(42);
        let max = Duration::from_secs(2);
        let (mut neg, mut pos) = (false, false);
        for _ in 0..1000 {
            let (negative, d) = r.offset(max);
            assert!(d <= max, "{d:?}");
            if negative {
                neg = true;
            } else if d > Duration::ZERO {
                pos = true;
            }
        }
        assert!(neg && pos);
    }

    #[test]
    fn below_inclusive_covers_the_bound() {
        let mut r = JitterRng::from_seed(3);
        let mut seen = [false; 3];
        for _ in 0..200 {
            let v = r.below_inclusive(2);
            assert!(v <= 2);
            seen[v as usize] = true;
        }
        assert_eq!(seen, [true; 3]);
    }
}
