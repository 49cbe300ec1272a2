//! Exponential backoff between reconnection attempts to a static peer.
//!
//! RFC 6733 section 2.1 asks a node to retry a failed peer connection no more often than its
//! Tc timer (30 s suggested); growing the delay from a short first retry up to such a ceiling
//! lets a node find a restarted peer quickly without hammering a dead one. Jitter spreads the
//! attempts of many nodes that lost the same peer at the same moment.

use std::time::Duration;

use crate::rng::JitterRng;

/// How reconnect delays grow.
#[derive(Debug, Clone, PartialEq)]
pub struct BackoffConfig {
    /// The delay before the first retry.
    pub initial: Duration,
    /// The ceiling no delay exceeds (jitter included).
    pub max: Duration,
    /// Each delay is the previous one times this (at least 1.0).
    pub factor: f64,
    /// The fraction (0.0 to 1.0) by which a delay may randomly shrink or grow.
    pub jitter: f64,
}

impl Default for BackoffConfig {
    /// One second, doubling, up to the 30 s Tc of RFC 6733 section 2.1, with 10 % jitter.
    fn default() -> Self {
        BackoffConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            factor: 2.0,
            jitter: 0.1,
        }
    }
}

/// The state of one peer's reconnect delays: [`next_delay`](Backoff::next_delay) after each
/// failed attempt, [`reset`](Backoff::reset) once a connection is open.
///
/// ```
/// use std::time::Duration;
/// use diameter_transport::{Backoff, BackoffConfig, JitterRng};
///
/// let config = BackoffConfig { jitter: 0.0, ..BackoffConfig::default() };
/// let mut b = Backoff::new(config, JitterRng::from_seed(1));
/// let delays: Vec<u64> = (0..7).map(|_| b.next_delay().as_secs()).collect();
/// assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
/// b.reset();
/// assert_eq!(b.next_delay(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    /// The un-jittered delay the next call returns; `None` before the first.
    base: Option<Duration>,
    rng: JitterRng,
}

impl Backoff {
    /// A backoff with the given growth and jitter source. Out-of-range settings are clamped
    /// (`factor` below 1.0 or not finite acts as 1.0, `jitter` outside 0..=1 is clamped, an
    /// `initial` above `max` starts at `max`) rather than refused: none of them can make a
    /// delay unsafe.
    pub fn new(config: BackoffConfig, rng: JitterRng) -> Self {
        Backoff {
            config,
            base: None,
            rng,
        }
    }

    /// The delay before the next attempt; each call grows the following one.
    pub fn next_delay(&mut self) -> Duration {
        let max = self.config.max;
        let base = match self.base {
            None => self.config.initial.min(max),
            Some(prev) => grow(prev, self.factor()).min(max),
        };
        self.base = Some(base);
        self.jittered(base).min(max)
    }

    /// Forget past failures: the next delay is `initial` again.
    pub fn reset(&mut self) {
        self.base = None;
    }

    /// The settings.
    pub fn config(&self) -> &BackoffConfig {
        &self.config
    }

    fn factor(&self) -> f64 {
        let f = self.config.factor;
        if f.is_finite() && f >= 1.0 {
            f
        } else {
            1.0
        }
    }

    fn jittered(&mut self, base: Duration) -> Duration {
        let jitter = if self.config.jitter.is_finite() {
            self.config.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        if jitter == 0.0 {
            return base;
        }
        // The spread is computed in whole milliseconds, which is all a reconnect needs.
        let spread = Duration::try_from_secs_f64(base.as_secs_f64() * jitter).unwrap_or(base);
        let (negative, offset) = self.rng.offset(spread);
        if negative {
            base.saturating_sub(offset)
        } else {
            base.saturating_add(offset)
        }
    }
}

/// `d * factor`, saturating at `Duration::MAX` instead of panicking as `mul_f64` would.
fn grow(d: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(b: &mut Backoff, n: usize) -> Vec<f64> {
        (0..n).map(|_| b.next_delay().as_secs_f64()).collect()
    }

    #[test]
    fn grows_by_factor_up_to_max_and_resets() {
        let config = BackoffConfig {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(5),
            factor: 3.0,
            jitter: 0.0,
        };
        let mut b = Backoff::new(config, JitterRng::from_seed(0));
        assert_eq!(secs(&mut b, 5), [0.5, 1.5, 4.5, 5.0, 5.0]);
        b.reset();
        assert_eq!(secs(&mut b, 2), [0.5, 1.5]);
    }

    #[test]
    fn jitter_stays_within_its_fraction_and_under_max_and_repeats_per_seed() {
        let config = BackoffConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(8),
            factor: 2.0,
            jitter: 0.25,
        };
        let run = |seed| {
            let mut b = Backoff::new(config.clone(), JitterRng::from_seed(seed));
            secs(&mut b, 6)
        };
        let a = run(9);
        assert_eq!(a, run(9), "same seed, same delays");
        assert_ne!(a, run(10), "another seed, other delays");
        let bases = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0];
        for (d, base) in a.iter().zip(bases) {
            assert!(
                *d >= base * 0.75 - 1e-3 && *d <= base * 1.25 + 1e-3,
                "{d} vs {base}"
            );
            assert!(*d <= 8.0, "{d} above max");
        }
    }

    #[test]
    fn silly_settings_never_panic() {
        let config = BackoffConfig {
            initial: Duration::from_secs(100),
            max: Duration::MAX,
            factor: f64::INFINITY,
            jitter: f64::NAN,
        };
        let mut b = Backoff::new(config, JitterRng::from_seed(0));
        assert_eq!(secs(&mut b, 3), [100.0, 100.0, 100.0]);

        let config = BackoffConfig {
            initial: Duration::from_secs(u64::MAX / 4),
            max: Duration::MAX,
            factor: 1e300,
            jitter: 1.0,
        };
        let mut b = Backoff::new(config, JitterRng::from_seed(0));
        for _ in 0..4 {
            b.next_delay();
        }
    }
}
