//! A hash for the cache's u64 keys: cheap, and keyed so that peers cannot aim at a bucket.
//!
//! Peers choose End-to-End Identifiers freely, so a key hash without a secret lets one send
//! requests that all land in one bucket chain. SipHash (the standard library's default)
//! resists that but costs about as much as the rest of the cache together on an 8-byte key.
//! FxHash-style multiplication is cheap, but its low output bits depend only on the low
//! input bits, which are the ones a table uses to pick a bucket. Here a round mixes the key
//! with a random word and multiplies it, 64 x 64 -> 128 bits, by another; the two halves of
//! the product are folded (xor) together, so every output bit depends on every key bit.
//! One round leaves structure: with some multipliers, keys differing in a few bits (say
//! identifiers that are multiples of 2^24) fall into a handful of buckets. Two rounds with
//! independent words spread such families as well as random keys (checked on thousands of
//! seeds while writing this), for a few instructions more; the words are secret and fresh
//! for each cache, so a peer cannot tell which identifiers collide.
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Builds [`KeyHasher`]s with a per-cache secret.
#[derive(Clone)]
pub(super) struct KeyHash {
    /// Per round: the word mixed in, and the (odd) multiplier.
    words: [(u64, u64); 2],
}

impl KeyHash {
    /// Fresh secrets, from the standard library's per-process random hash keys.
    pub(super) fn random() -> KeyHash {
        let seeds = RandomState::new();
        // Odd multipliers, so that the multiplications lose no key bit.
        let word = |n: u64| seeds.hash_one(n);
        KeyHash {
            words: [(word(1), word(2) | 1), (word(3), word(4) | 1)],
        }
    }
}

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;

    fn build_hasher(&self) -> KeyHasher {
        KeyHasher {
            words: self.words,
            hash: 0,
        }
    }
}

/// The hasher of one key; made for a single `u64`.
pub(super) struct KeyHasher {
    words: [(u64, u64); 2],
    hash: u64,
}

fn fold(x: u64, (mix, multiplier): (u64, u64)) -> u64 {
    let product = u128::from(x ^ mix) * u128::from(multiplier);
    (product as u64) ^ ((product >> 64) as u64)
}

impl KeyHasher {
    fn mix(&self, word: u64) -> u64 {
        fold(fold(word ^ self.hash, self.words[0]), self.words[1])
    }
}

impl Hasher for KeyHasher {
    fn write_u64(&mut self, word: u64) {
        self.hash = self.mix(word);
    }

    // Only u64 keys are hashed; other input is taken 8 bytes at a time, chained, so that the
    // hasher stays correct for any type.
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.hash = self.mix(u64::from_le_bytes(word));
        }
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct low bytes of the hashes of `keys`: the bucket index of a table of 256.
    fn buckets(h: &KeyHash, keys: impl Iterator<Item = u64>) -> usize {
        let mut seen = [false; 256];
        for k in keys {
            seen[(h.hash_one(k) & 0xff) as usize] = true;
        }
        seen.iter().filter(|s| **s).count()
    }

    #[test]
    fn structured_keys_spread_over_buckets() {
        // 64 keys in 256 buckets fill about 56 when spread at random. Families a peer (or
        // the host numbering) produces must do as well for every secret: another host with
        // the same identifier, and identifiers differing only in a few high or middle bits.
        // A single folded multiply falls to a few buckets for some secrets of 20.
        for _ in 0..20 {
            let h = KeyHash::random();
            for family in [
                buckets(&h, (0..64u64).map(|host| (host << 32) | 7)),
                buckets(&h, (0..64u64).map(|e2e| e2e << 24)),
                buckets(&h, (0..64u64).map(|e2e| e2e << 8)),
            ] {
                assert!(family > 40, "{family} buckets of 256 for 64 keys");
            }
        }
    }

    #[test]
    fn caches_have_different_secrets() {
        let (a, b) = (KeyHash::random(), KeyHash::random());
        assert_ne!(a.hash_one(1u64), b.hash_one(1u64));
    }
}
