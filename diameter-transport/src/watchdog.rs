//! The transport watchdog of RFC 3539 section 3.4, as Diameter uses it (DWR/DWA, RFC 6733
//! section 5.5).
//!
//! One [`Watchdog`] per connection. It watches for silence: every message received pushes
//! its timer Tw back; when Tw passes in silence it sends a DWR; when the next Tw passes still
//! unanswered the connection is SUSPECT (its pending requests should fail over to another
//! peer); after one more it is DOWN and closed. A reopened connection must answer three DWRs
//! in a row before it carries requests again (REOPEN), so a flapping peer does not take
//! traffic back at once.
//!
//! Like the peer machine it is sans-IO: the caller reports events with the current time,
//! carries out the returned [`WatchdogAction`]s and calls [`Watchdog::on_timer`] at (or
//! after) [`Watchdog::deadline`].
//!
//! ```
//! use std::time::{Duration, Instant};
//! use diameter_transport::{JitterRng, Watchdog, WatchdogAction, WatchdogConfig, WatchdogState};
//!
//! let start = Instant::now();
//! let mut wd = Watchdog::new(WatchdogConfig::default(), JitterRng::from_seed(1), start);
//! wd.connection_up(start);
//! assert_eq!(wd.state(), WatchdogState::Okay);
//!
//! // Silence until the timer: a DWR goes out.
//! let t1 = wd.deadline();
//! assert!(t1 - start >= Duration::from_secs(28) && t1 - start <= Duration::from_secs(32));
//! assert_eq!(wd.on_timer(t1).as_slice(), [WatchdogAction::SendDwr]);
//! // Still nothing by the next one: suspect, fail over.
//! let t2 = wd.deadline();
//! assert_eq!(wd.on_timer(t2).as_slice(), [WatchdogAction::Failover]);
//! assert_eq!(wd.state(), WatchdogState::Suspect);
//! ```

use std::time::{Duration, Instant};

use smallvec::SmallVec;

use crate::rng::JitterRng;

/// The states of RFC 3539 section 3.4.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchdogState {
    /// The connection has never been up.
    Initial,
    /// Up and answering: requests may be sent.
    Okay,
    /// A DWR went unanswered for Tw: requests go to other peers.
    Suspect,
    /// Closed; reopening is attempted every Tw.
    Down,
    /// Reopened, proving itself with three DWA before carrying requests.
    Reopen,
}

/// What the caller does (RFC 3539 section 3.4.1's procedures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchdogAction {
    /// SendWatchdog: send a DWR.
    SendDwr,
    /// Failover: send the requests pending on this connection, and new ones, to another
    /// peer (with the T flag on those already sent).
    Failover,
    /// Failback: the connection may carry requests again.
    Failback,
    /// CloseConnection: close the transport connection.
    CloseConnection,
    /// AttemptOpen: try to open the connection (again).
    AttemptOpen,
    /// Throwaway: drop the message just received; a reopening connection carries nothing
    /// but watchdog traffic. (A DWR is still answered: that is the peer layer's job.)
    Discard,
}

/// The actions of one event.
pub type WatchdogActions = SmallVec<[WatchdogAction; 2]>;

/// A watchdog setting out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchdogError {
    /// RFC 3539 section 3.4.1 forbids a Tw below 6 s.
    #[error("watchdog interval Tw of {tw:?} is below the 6 s minimum of RFC 3539")]
    TwTooShort {
        /// The interval asked for.
        tw: Duration,
    },
}

/// The watchdog's interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchdogConfig {
    tw_init: Duration,
}

impl WatchdogConfig {
    /// The smallest Tw RFC 3539 allows.
    pub const MIN_TW: Duration = Duration::from_secs(6);
    /// The default Tw (RFC 3539 section 3.4.1).
    pub const DEFAULT_TW: Duration = Duration::from_secs(30);
    /// Each Tw is Twinit moved by up to this much either way, so that watchdogs started
    /// together do not fire together.
    pub const JITTER: Duration = Duration::from_secs(2);

    /// A watchdog interval of `tw_init` (Twinit), at least [`MIN_TW`](Self::MIN_TW).
    pub fn new(tw_init: Duration) -> Result<Self, WatchdogError> {
        if tw_init < Self::MIN_TW {
            return Err(WatchdogError::TwTooShort { tw: tw_init });
        }
        Ok(WatchdogConfig { tw_init })
    }

    /// A watchdog interval below RFC 3539's six seconds, for demonstrations and tests on
    /// loopback that should show watchdog exchanges within a second or two. Never use it on a
    /// real link: the RFC's minimum keeps a busy peer from being declared down. The jitter is
    /// then a quarter of `tw_init` rather than two seconds.
    pub fn below_rfc_minimum(tw_init: Duration) -> Self {
        WatchdogConfig { tw_init }
    }

    /// The jitter applied to each Tw: two seconds, or a quarter of Twinit below the minimum.
    fn jitter(&self) -> Duration {
        if self.tw_init < Self::MIN_TW {
            self.tw_init / 4
        } else {
            Self::JITTER
        }
    }

    /// Twinit.
    pub fn tw_init(&self) -> Duration {
        self.tw_init
    }
}

impl Default for WatchdogConfig {
    /// Twinit of 30 s.
    fn default() -> Self {
        WatchdogConfig {
            tw_init: Self::DEFAULT_TW,
        }
    }
}

/// One connection's watchdog. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Watchdog {
    config: WatchdogConfig,
    state: WatchdogState,
    /// A DWR is out and unanswered.
    pending: bool,
    /// DWAs received in REOPEN; -1 after a DWR went unanswered there.
    num_dwa: i8,
    deadline: Instant,
    rng: JitterRng,
}

use WatchdogAction as W;
use WatchdogState as St;

impl Watchdog {
    /// A watchdog in INITIAL, its timer started at `now` (if the connection does not come up
    /// by then, the timer asks for another attempt).
    pub fn new(config: WatchdogConfig, rng: JitterRng, now: Instant) -> Self {
        let mut wd = Watchdog {
            config,
            state: St::Initial,
            pending: false,
            num_dwa: 0,
            deadline: now,
            rng,
        };
        wd.set_watchdog(now);
        wd
    }

    /// The current state.
    pub fn state(&self) -> WatchdogState {
        self.state
    }

    /// When [`on_timer`](Self::on_timer) is due.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// May requests be sent on this connection? Only in OKAY: not while SUSPECT, and not
    /// while REOPEN has yet to see its three DWA.
    pub fn can_send_requests(&self) -> bool {
        self.state == St::Okay
    }

    /// Is a DWR out and unanswered?
    pub fn dwr_pending(&self) -> bool {
        self.pending
    }

    /// The connection came up (the peer machine reached an open state).
    pub fn connection_up(&mut self, now: Instant) -> WatchdogActions {
        let mut out = WatchdogActions::new();
        match self.state {
            // INITIAL / Connection up: SetWatchdog -> OKAY
            St::Initial => {
                self.set_watchdog(now);
                self.state = St::Okay;
            }
            // DOWN / Connection up: NumDWA = 0, SendWatchdog, SetWatchdog, Pending -> REOPEN
            St::Down => {
                self.num_dwa = 0;
                out.push(W::SendDwr);
                self.set_watchdog(now);
                self.pending = true;
                self.state = St::Reopen;
            }
            // Already up: nothing to do.
            St::Okay | St::Suspect | St::Reopen => {}
        }
        out
    }

    /// The connection went down (closed by either side, or broken).
    pub fn connection_down(&mut self, now: Instant) -> WatchdogActions {
        let mut out = WatchdogActions::new();
        match self.state {
            // OKAY / Connection down: Failover, SetWatchdog -> DOWN
            St::Okay => {
                out.push(W::Failover);
                self.set_watchdog(now);
                self.state = St::Down;
            }
            // SUSPECT or REOPEN / Connection down: CloseConnection, SetWatchdog -> DOWN
            // (SUSPECT has failed over already; REOPEN never failed back)
            St::Suspect | St::Reopen => {
                out.push(W::CloseConnection);
                self.set_watchdog(now);
                self.state = St::Down;
            }
            St::Initial | St::Down => {}
        }
        self.pending = false;
        out
    }

    /// A message arrived on the connection; `is_dwa` says whether it is a DWA. Any message is
    /// a sign of life.
    pub fn on_receive(&mut self, is_dwa: bool, now: Instant) -> WatchdogActions {
        let mut out = WatchdogActions::new();
        match (self.state, is_dwa) {
            // OKAY / Receive DWA: Pending = FALSE, SetWatchdog -> OKAY
            // OKAY / Receive non-DWA: SetWatchdog -> OKAY
            (St::Okay, _) => {
                if is_dwa {
                    self.pending = false;
                }
                self.set_watchdog(now);
            }
            // SUSPECT / Receive DWA: Pending = FALSE, Failback, SetWatchdog -> OKAY
            // SUSPECT / Receive non-DWA: Failback, SetWatchdog -> OKAY
            (St::Suspect, _) => {
                if is_dwa {
                    self.pending = false;
                }
                out.push(W::Failback);
                self.set_watchdog(now);
                self.state = St::Okay;
            }
            // REOPEN / Receive DWA & NumDWA < 2: Pending = FALSE, NumDWA++ -> REOPEN
            // REOPEN / Receive DWA & NumDWA == 2: Pending = FALSE, NumDWA++, Failback -> OKAY
            (St::Reopen, true) => {
                self.pending = false;
                self.num_dwa += 1;
                if self.num_dwa >= 3 {
                    out.push(W::Failback);
                    self.state = St::Okay;
                }
            }
            // REOPEN / Receive non-DWA: Throwaway -> REOPEN
            (St::Reopen, false) => out.push(W::Discard),
            // No connection to receive on: a late event from a closed connection.
            (St::Initial | St::Down, _) => {}
        }
        out
    }

    /// The timer: call at or after [`deadline`](Self::deadline). Earlier calls are stale
    /// timers and do nothing.
    pub fn on_timer(&mut self, now: Instant) -> WatchdogActions {
        let mut out = WatchdogActions::new();
        if now < self.deadline {
            return out;
        }
        match self.state {
            // OKAY / Timer expires & !Pending: SendWatchdog, SetWatchdog, Pending -> OKAY
            St::Okay if !self.pending => {
                out.push(W::SendDwr);
                self.pending = true;
            }
            // OKAY / Timer expires & Pending: Failover, SetWatchdog -> SUSPECT
            St::Okay => {
                out.push(W::Failover);
                self.state = St::Suspect;
            }
            // SUSPECT / Timer expires: CloseConnection, SetWatchdog -> DOWN
            St::Suspect => {
                out.push(W::CloseConnection);
                self.pending = false;
                self.state = St::Down;
            }
            // INITIAL or DOWN / Timer expires: AttemptOpen, SetWatchdog -> same state
            St::Initial | St::Down => out.push(W::AttemptOpen),
            // REOPEN / Timer expires & !Pending: SendWatchdog, SetWatchdog, Pending -> REOPEN
            St::Reopen if !self.pending => {
                out.push(W::SendDwr);
                self.pending = true;
            }
            // REOPEN / Timer expires & Pending & NumDWA < 0: CloseConnection, SetWatchdog
            // -> DOWN
            St::Reopen if self.num_dwa < 0 => {
                out.push(W::CloseConnection);
                self.pending = false;
                self.state = St::Down;
            }
            // REOPEN / Timer expires & Pending & NumDWA >= 0: NumDWA = -1, SetWatchdog
            // -> REOPEN (one more Tw of grace; the count starts over)
            St::Reopen => self.num_dwa = -1,
        }
        // Every timer row ends with SetWatchdog.
        self.set_watchdog(now);
        out
    }

    /// SetWatchdog: the next deadline is Tw from `now`, Tw being Twinit moved by a random
    /// jitter of up to 2 s either way.
    fn set_watchdog(&mut self, now: Instant) {
        let (negative, offset) = self.rng.offset(self.config.jitter());
        let tw = if negative {
            self.config.tw_init.saturating_sub(offset)
        } else {
            self.config.tw_init + offset
        };
        self.deadline = now + tw;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TW: Duration = Duration::from_secs(30);
    const J: Duration = WatchdogConfig::JITTER;

    fn up(now: Instant) -> Watchdog {
        let mut wd = Watchdog::new(WatchdogConfig::default(), JitterRng::from_seed(5), now);
        assert!(wd.connection_up(now).is_empty());
        wd
    }

    fn assert_tw_after(wd: &Watchdog, at: Instant) {
        let d = wd.deadline() - at;
        assert!(d >= TW - J && d <= TW + J, "Tw {d:?}");
    }

    #[test]
    fn tw_below_six_seconds_is_refused() {
        let err = WatchdogConfig::new(Duration::from_secs(5)).unwrap_err();
        assert_eq!(
            err,
            WatchdogError::TwTooShort {
                tw: Duration::from_secs(5)
            }
        );
        assert!(err.to_string().contains("6 s"));
        assert_eq!(
            WatchdogConfig::new(Duration::from_secs(6))
                .unwrap()
                .tw_init(),
            Duration::from_secs(6)
        );
        assert_eq!(WatchdogConfig::default().tw_init(), TW);
    }

    #[test]
    fn initial_timer_attempts_open_and_connection_up_is_okay() {
        let t0 = Instant::now();
        let mut wd = Watchdog::new(WatchdogConfig::default(), JitterRng::from_seed(1), t0);
        assert_eq!(wd.state(), St::Initial);
        assert!(!wd.can_send_requests());
        // A stale timer does nothing.
        assert!(wd.on_timer(t0).is_empty());
        let t1 = wd.deadline();
        assert_eq!(wd.on_timer(t1).as_slice(), [W::AttemptOpen]);
        assert_eq!(wd.state(), St::Initial);
        assert_tw_after(&wd, t1);
        assert!(wd.connection_up(t1).is_empty());
        assert_eq!(wd.state(), St::Okay);
        assert!(wd.can_send_requests());
        assert_tw_after(&wd, t1);
    }

    #[test]
    fn any_traffic_pushes_the_timer_back() {
        let t0 = Instant::now();
        let mut wd = up(t0);
        let mut now = t0;
        for _ in 0..20 {
            now += Duration::from_secs(20);
            assert!(wd.on_timer(now).is_empty(), "not yet due");
            assert!(wd.on_receive(false, now).is_empty());
            assert_tw_after(&wd, now);
        }
        assert_eq!(wd.state(), St::Okay);
        assert!(!wd.dwr_pending());
    }

    #[test]
    fn okay_dwr_then_dwa_stays_okay() {
        let t0 = Instant::now();
        let mut wd = up(t0);
        let t1 = wd.deadline();
        assert_eq!(wd.on_timer(t1).as_slice(), [W::SendDwr]);
        assert!(wd.dwr_pending());
        assert_tw_after(&wd, t1);
        let t2 = t1 + Duration::from_millis(5);
        assert!(wd.on_receive(true, t2).is_empty());
        assert!(!wd.dwr_pending());
        assert_eq!(wd.state(), St::Okay);
        assert_tw_after(&wd, t2);
    }

    #[test]
    fn unanswered_dwr_is_suspect_then_down() {
        let t0 = Instant::now();
        let mut wd = up(t0);
        let t1 = wd.deadline();
        assert_eq!(wd.on_timer(t1).as_slice(), [W::SendDwr]);
        let t2 = wd.deadline();
        assert_eq!(wd.on_timer(t2).as_slice(), [W::Failover]);
        assert_eq!(wd.state(), St::Suspect);
        assert!(!wd.can_send_requests());
        let t3 = wd.deadline();
        assert_tw_after(&wd, t2);
        assert_eq!(wd.on_timer(t3).as_slice(), [W::CloseConnection]);
        assert_eq!(wd.state(), St::Down);
        // DOWN: each timer asks for another attempt.
        let t4 = wd.deadline();
        assert_eq!(wd.on_timer(t4).as_slice(), [W::AttemptOpen]);
        assert_eq!(wd.state(), St::Down);
    }

    #[test]
    fn suspect_fails_back_on_dwa_or_any_message() {
        for is_dwa in [true, false] {
            let t0 = Instant::now();
            let mut wd = up(t0);
            wd.on_timer(wd.deadline());
            wd.on_timer(wd.deadline());
            assert_eq!(wd.state(), St::Suspect);
            let t = wd.deadline() - Duration::from_secs(1);
            assert_eq!(wd.on_receive(is_dwa, t).as_slice(), [W::Failback]);
            assert_eq!(wd.state(), St::Okay);
            assert_eq!(wd.dwr_pending(), !is_dwa);
            assert_tw_after(&wd, t);
        }
    }

    #[test]
    fn connection_down_from_each_up_state() {
        let t0 = Instant::now();
        // OKAY: fail over.
        let mut wd = up(t0);
        assert_eq!(wd.connection_down(t0).as_slice(), [W::Failover]);
        assert_eq!(wd.state(), St::Down);
        // SUSPECT: already failed over; close.
        let mut wd = up(t0);
        wd.on_timer(wd.deadline());
        wd.on_timer(wd.deadline());
        assert_eq!(wd.connection_down(t0).as_slice(), [W::CloseConnection]);
        assert_eq!(wd.state(), St::Down);
        // REOPEN: never failed back; close.
        let mut wd = up(t0);
        wd.connection_down(t0);
        wd.connection_up(t0);
        assert_eq!(wd.state(), St::Reopen);
        assert_eq!(wd.connection_down(t0).as_slice(), [W::CloseConnection]);
        assert_eq!(wd.state(), St::Down);
        // Down twice, or before ever up: nothing.
        assert!(wd.connection_down(t0).is_empty());
        let mut fresh = Watchdog::new(WatchdogConfig::default(), JitterRng::from_seed(0), t0);
        assert!(fresh.connection_down(t0).is_empty());
        assert_eq!(fresh.state(), St::Initial);
    }

    #[test]
    fn reopen_needs_three_dwa() {
        let t0 = Instant::now();
        let mut wd = up(t0);
        wd.connection_down(t0);
        let t1 = t0 + Duration::from_secs(1);
        // DOWN / Connection up: a DWR at once.
        assert_eq!(wd.connection_up(t1).as_slice(), [W::SendDwr]);
        assert_eq!(wd.state(), St::Reopen);
        assert!(wd.dwr_pending());
        for n in 1..=3 {
            assert!(!wd.can_send_requests(), "before DWA {n}");
            // Requests from the peer are thrown away meanwhile.
            assert_eq!(wd.on_receive(false, wd.deadline()).as_slice(), [W::Discard]);
            let acts = wd.on_receive(true, wd.deadline() - Duration::from_secs(1));
            if n < 3 {
                assert!(acts.is_empty());
                assert_eq!(wd.state(), St::Reopen);
                // The next DWR goes out on the timer.
                assert_eq!(wd.on_timer(wd.deadline()).as_slice(), [W::SendDwr]);
            } else {
                assert_eq!(acts.as_slice(), [W::Failback]);
            }
        }
        assert_eq!(wd.state(), St::Okay);
        assert!(wd.can_send_requests());
    }

    #[test]
    fn reopen_missed_dwa_restarts_the_count_and_a_second_miss_is_down() {
        let t0 = Instant::now();
        let mut wd = up(t0);
        wd.connection_down(t0);
        wd.connection_up(t0);
        // Two DWA...
        for _ in 0..2 {
            wd.on_receive(true, t0);
            assert_eq!(wd.on_timer(wd.deadline()).as_slice(), [W::SendDwr]);
        }
        // ...then the third DWR goes unanswered: NumDWA = -1, still REOPEN.
        assert!(wd.on_timer(wd.deadline()).is_empty());
        assert_eq!(wd.state(), St::Reopen);
        // A late DWA (count back to 0) still needs three more.
        wd.on_receive(true, wd.deadline());
        for _ in 0..2 {
            assert_eq!(wd.on_timer(wd.deadline()).as_slice(), [W::SendDwr]);
            assert!(wd.on_receive(true, wd.deadline()).is_empty());
        }
        assert_eq!(wd.on_timer(wd.deadline()).as_slice(), [W::SendDwr]);
        assert_eq!(wd.on_receive(true, wd.deadline()).as_slice(), [W::Failback]);

        // Two misses in a row in REOPEN: DOWN.
        let mut wd = up(t0);
        wd.connection_down(t0);
        wd.connection_up(t0);
        assert!(wd.on_timer(wd.deadline()).is_empty());
        assert_eq!(wd.on_timer(wd.deadline()).as_slice(), [W::CloseConnection]);
        assert_eq!(wd.state(), St::Down);
    }

    #[test]
    fn short_tw_gets_a_quarter_jitter() {
        let now = Instant::now();
        let tw = Duration::from_millis(800);
        for seed in 0..32 {
            let wd = Watchdog::new(
                WatchdogConfig::below_rfc_minimum(tw),
                JitterRng::from_seed(seed),
                now,
            );
            let after = wd.deadline() - now;
            assert!(after >= tw - tw / 4 && after <= tw + tw / 4, "{after:?}");
        }
    }

    #[test]
    fn jitter_varies_and_repeats_per_seed() {
        let t0 = Instant::now();
        let deadlines = |seed| {
            let mut wd = Watchdog::new(WatchdogConfig::default(), JitterRng::from_seed(seed), t0);
            (0..8)
                .map(|_| {
                    let d = wd.deadline();
                    wd.on_timer(d);
                    d
                })
                .collect::<Vec<_>>()
        };
        let a = deadlines(11);
        assert_eq!(a, deadlines(11));
        assert_ne!(a, deadlines(12));
        let gaps: std::collections::BTreeSet<_> = a.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.len() > 1, "Tw should vary: {gaps:?}");
        assert!(gaps.iter().all(|g| *g >= TW - J && *g <= TW + J));
    }
}
