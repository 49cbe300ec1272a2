//! Session-Id values (RFC 6733 section 8.8) and the Origin-State-Id of this process.
//!
//! A Session-Id is `<DiameterIdentity>;<high 32 bits>;<low 32 bits>[;<optional value>]` and
//! must be unique for all time. The RFC suggests high bits from the time of start-up and low
//! bits counted up from zero: a restarted node then starts from a different high value, and
//! within one run the counter never repeats.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch when this process first asked, truncated to 32 bits.
///
/// The same value for the life of the process: what RFC 6733 section 8.16 wants of an
/// Origin-State-Id (it changes exactly when the node restarts and loses its state), and the
/// high half of [`SessionIdGenerator::new`]'s counter.
pub fn process_start_secs() -> u32 {
    static START: OnceLock<u32> = OnceLock::new();
    *START.get_or_init(|| {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        // Truncation is intended: 32 bits of seconds wrap in 2106, and only a change
        // between restarts matters.
        secs as u32
    })
}

/// Makes Session-Id values for one Diameter identity. Thread-safe and lock-free: one atomic
/// 64-bit counter whose high half starts at the process start time and whose low half starts
/// at zero; each call takes the next value, so when the low half wraps the carry moves the
/// high half on and no value repeats.
///
/// ```
/// use diameter_transport::SessionIdGenerator;
///
/// let ids = SessionIdGenerator::with_high("gw.example.com", 1876543210);
/// assert_eq!(ids.next(), "gw.example.com;1876543210;0");
/// assert_eq!(ids.next_with("imsi-001"), "gw.example.com;1876543210;1;imsi-001");
/// ```
#[derive(Debug)]
pub struct SessionIdGenerator {
    identity: String,
    counter: AtomicU64,
}

impl SessionIdGenerator {
    /// A generator for `identity` (this node's Origin-Host), its high bits from
    /// [`process_start_secs`].
    pub fn new(identity: impl Into<String>) -> Self {
        Self::with_high(identity, process_start_secs())
    }

    /// A generator whose high 32 bits start at `high` (for tests, or a node that keeps its
    /// own persistent boot counter).
    pub fn with_high(identity: impl Into<String>, high: u32) -> Self {
        SessionIdGenerator {
            identity: identity.into(),
            counter: AtomicU64::new(u64::from(high) << 32),
        }
    }

    /// The identity every value starts with.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The next Session-Id.
    pub fn next(&self) -> String {
        let mut s = String::with_capacity(self.identity.len() + 22);
        self.write_next(&mut s, None);
        s
    }

    /// The next Session-Id with an implementation-defined `optional` part appended (RFC 6733
    /// section 8.8 allows one, e.g. a subscriber id; it must not contain `;` to stay
    /// parseable, which the caller is trusted with).
    pub fn next_with(&self, optional: &str) -> String {
        let mut s = String::with_capacity(self.identity.len() + 23 + optional.len());
        self.write_next(&mut s, Some(optional));
        s
    }

    /// Appends the next Session-Id to `out`, for callers that reuse a buffer.
    pub fn write_next(&self, out: &mut String, optional: Option<&str>) {
        let NextId {
            identity,
            high,
            low,
            ..
        } = self.take();
        // By hand rather than with `write!`: one Session-Id per request sent, and the
        // formatting machinery costs several times the digits.
        out.push_str(identity);
        out.push(';');
        push_decimal(out, high);
        out.push(';');
        push_decimal(out, low);
        if let Some(opt) = optional {
            out.push(';');
            out.push_str(opt);
        }
    }

    /// Takes the next value without writing it out: the node splices it straight into the
    /// message it sends, with no string in between.
    pub(crate) fn take(&self) -> NextId<'_> {
        // Relaxed is enough: uniqueness comes from the atomic read-modify-write itself, and
        // no other memory is published through the counter.
        let v = self.counter.fetch_add(1, Ordering::Relaxed);
        let (high, low) = ((v >> 32) as u32, v as u32);
        NextId {
            identity: &self.identity,
            high,
            low,
            len: self.identity.len() + 2 + decimal_len(high) + decimal_len(low),
        }
    }
}

/// One Session-Id taken from a [`SessionIdGenerator`], not yet written: its length is known
/// first, so that a message can make room for it in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NextId<'g> {
    identity: &'g str,
    high: u32,
    low: u32,
    len: usize,
}

impl NextId<'_> {
    /// Its length in bytes: `identity;high;low`.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Writes it into `out`, exactly [`len`](Self::len) bytes long.
    pub(crate) fn write(&self, out: &mut [u8]) {
        let (identity, rest) = out.split_at_mut(self.identity.len());
        identity.copy_from_slice(self.identity.as_bytes());
        let (high, rest) = rest.split_at_mut(1 + decimal_len(self.high));
        high[0] = b';';
        write_decimal(&mut high[1..], self.high);
        rest[0] = b';';
        write_decimal(&mut rest[1..], self.low);
    }
}

/// How many decimal digits `v` has.
fn decimal_len(v: u32) -> usize {
    v.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// Writes `v` in decimal into `out`, which is exactly [`decimal_len`] long.
fn write_decimal(out: &mut [u8], mut v: u32) {
    for d in out.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Appends `v` in decimal.
fn push_decimal(out: &mut String, v: u32) {
    let mut digits = [0u8; 10];
    let digits = &mut digits[..decimal_len(v)];
    write_decimal(digits, v);
    // ASCII digits: always UTF-8; one copy rather than a push per character.
    out.push_str(std::str::from_utf8(digits).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    #[test]
    fn decimal_digits_at_the_edges() {
        for v in [0, 9, 10, 4_294_967_295, 1_000_000_007] {
            let mut s = String::new();
            push_decimal(&mut s, v);
            assert_eq!(s, v.to_string());
        }
    }

    #[test]
    fn format_and_increment() {
        let g = SessionIdGenerator::with_high("a.example", 7);
        assert_eq!(g.next(), "a.example;7;0");
        assert_eq!(g.next(), "a.example;7;1");
        let mut buf = String::from("x=");
        g.write_next(&mut buf, Some("opt"));
        assert_eq!(buf, "x=a.example;7;2;opt");
    }

    #[test]
    fn a_taken_value_writes_what_next_would_give() {
        let a = SessionIdGenerator::with_high("gw.example", 0);
        let b = SessionIdGenerator::with_high("gw.example", 0);
        for step in [
            0u64,
            8,
            90,
            999_999_999,
            u64::from(u32::MAX),
            (7 << 32) | 12_345,
        ] {
            a.counter.store(step, Ordering::Relaxed);
            b.counter.store(step, Ordering::Relaxed);
            let id = a.take();
            let mut out = vec![0u8; id.len()];
            id.write(&mut out);
            assert_eq!(String::from_utf8(out).expect("ASCII"), b.next());
        }
    }

    #[test]
    fn low_half_wraps_into_high_half() {
        let g = SessionIdGenerator::with_high("h", 5);
        g.counter
            .store((5u64 << 32) | u64::from(u32::MAX), Ordering::Relaxed);
        assert_eq!(g.next(), format!("h;5;{}", u32::MAX));
        assert_eq!(g.next(), "h;6;0");
    }

    #[test]
    fn new_uses_the_process_start_time_and_it_is_stable() {
        let start = process_start_secs();
        assert_eq!(start, process_start_secs());
        assert!(start > 1_600_000_000, "a plausible clock: {start}");
        let g = SessionIdGenerator::new("n");
        assert_eq!(g.next(), format!("n;{start};0"));
        assert_eq!(g.identity(), "n");
    }

    #[test]
    fn unique_across_threads() {
        let g = Arc::new(SessionIdGenerator::with_high("t", 1));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let g = Arc::clone(&g);
                std::thread::spawn(move || (0..1000).map(|_| g.next()).collect::<Vec<_>>())
            })
            .collect();
        let mut all = HashSet::new();
        for h in handles {
            for id in h.join().expect("thread") {
                assert!(all.insert(id), "duplicate Session-Id");
            }
        }
        assert_eq!(all.len(), 4000);
        assert_eq!(g.next(), "t;1;4000");
    }
}
