//! A fast hasher for the node's maps keyed by small integers that the node assigns or
//! configures itself: hop-by-hop identifiers of the requests it sent, (application, command)
//! pairs of its handlers. SipHash's resistance to chosen keys buys nothing there (a peer
//! cannot insert keys) and costs a few hundred instructions per request. Maps keyed by what
//! peers send (duplicate detection) keep the standard hasher.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate mixing of integer words (the FxHash scheme).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

/// An odd constant with well-spread bits (from the golden ratio).
const K: u64 = 0x9e37_79b9_7f4a_7c15;

impl IdHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.mix(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by node-assigned integers.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_spread_over_the_low_and_high_bits() {
        let hash = |n: u32| {
            let mut h = IdHasher::default();
            h.write_u32(n);
            h.finish()
        };
        // hashbrown picks the bucket from the low bits and the tag from the top seven.
        let low: std::collections::HashSet<u64> = (0..64).map(|n| hash(n) & 63).collect();
        let top: std::collections::HashSet<u64> = (0..64).map(|n| hash(n) >> 57).collect();
        assert!(low.len() > 32, "low bits: {}", low.len());
        assert!(top.len() > 32, "top bits: {}", top.len());
    }

    #[test]
    fn a_map_finds_what_it_holds() {
        let mut m: IdMap<(u32, u32), u32> = IdMap::default();
        for i in 0..1000 {
            m.insert((i, i * 7), i);
        }
        assert!((0..1000).all(|i| m.get(&(i, i * 7)) == Some(&i)));
        assert_eq!(m.get(&(1, 1)), None);
    }
}
