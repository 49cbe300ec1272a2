//! A hash for the cache's u64 keys: cheap, and keyed so that peers cannot aim at a bucket.
//!
//! Peers choose End-to-End Identifiers freely, so a key hash without a secret lets one send
//! requests that all land in one bucket chain. SipHash (the standard library's default)
//! resists that but costs about as much as the rest of the cache together on a 8-byte key.
//! FxHash-style multiplication is cheap, but its low output bits depend only on the low
//! input bits, which are the ones a table uses to pick a bucket. Here the key is mixed with
//! a per-cache random word and multiplied, 64 x 64 -> 128 bits, by another; the two halves
//! of the product are folded (xor) together, so every output bit depends on every key bit,
//! and without the random words a peer cannot tell which identifiers collide. This is the
//! "folded multiply" construction of hashes such as foldhash and aHash's fallback.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Builds [`KeyHasher`]s with a per-cache secret.
#[derive(Clone)]
pub(super) struct KeyHash {
    mix: u64,
    multiplier: u64,
}

impl KeyHash {
    /// Fresh secrets, from the standard library's per-process random hash keys.
    pub(super) fn random() -> KeyHash {
        let seeds = RandomState::new();
        KeyHash {
            mix: seeds.hash_one(0x6465_6475_705f_6d69_u64),
            // Odd, so that the multiplication loses no key bit.
            multiplier: seeds.hash_one(0x6465_6475_705f_6d75_u64) | 1,
        }
    }
}

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;

    fn build_hasher(&self) -> KeyHasher {
        KeyHasher {
            mix: self.mix,
            multiplier: self.multiplier,
            hash: 0,
        }
    }
}

/// The hasher of one key; made for a single `u64`.
pub(super) struct KeyHasher {
    mix: u64,
    multiplier: u64,
    hash: u64,
}

impl KeyHasher {
    fn fold(&self, word: u64) -> u64 {
        let product = u128::from(word ^ self.mix ^ self.hash) * u128::from(self.multiplier);
        (product as u64) ^ ((product >> 64) as u64)
    }
}

impl Hasher for KeyHasher {
    fn write_u64(&mut self, word: u64) {
        self.hash = self.fold(word);
    }

    // Only u64 keys are hashed; other input is taken 8 bytes at a time, chained, so that the
    // hasher stays correct for any type.
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.hash = self.fold(u64::from_le_bytes(word));
        }
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_bits_depend_on_high_key_bits() {
        // Keys differing only above bit 32 (another host, same identifier) must spread over
        // buckets as well as identifiers do: count distinct low bytes of the hash.
        let h = KeyHash::random();
        let mut seen = [false; 256];
        for host in 0..64u64 {
            seen[(h.hash_one((host << 32) | 7) & 0xff) as usize] = true;
        }
        assert!(seen.iter().filter(|s| **s).count() > 32);
    }

    #[test]
    fn caches_have_different_secrets() {
        let (a, b) = (KeyHash::random(), KeyHash::random());
        assert_ne!(a.hash_one(1u64), b.hash_one(1u64));
    }
}
