//! Duplicate detection on the serving side (RFC 6733 sections 3 and 5.5.4).
//!
//! A client whose connection fails re-sends its pending requests elsewhere with the T flag
//! set and the same End-to-End Identifier; through a relay they may reach this node again.
//! The pair (Origin-Host, End-to-End Identifier) names a request, so the node remembers the
//! answer of each request its handlers served, and a request with the T flag whose pair it
//! remembers gets that answer again instead of running the handler a second time. A
//! retransmission arriving while the first copy is still in its handler waits for that
//! answer.
//!
//! The memory is bounded twice: at most `capacity` requests (the oldest forgotten first) and
//! each for at most `lifetime`. With the defaults (16384 requests, 120 s, see
//! [`NodeBuilder::duplicate_detection`](crate::NodeBuilder::duplicate_detection)) a node
//! at 100 requests per second remembers two minutes, which covers a client's failover
//! (two watchdog intervals of 30 s at most); at higher rates the count bounds the window.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::lock;

type Key = (Arc<[u8]>, u32);

enum Slot {
    /// The handler is running.
    Running,
    /// The answer sent (identifiers as sent).
    Answered(Bytes),
}

#[derive(Default)]
struct State {
    /// The slot of each request, with the generation of its record in `order`.
    map: HashMap<Key, (u64, Slot)>,
    /// Records in arrival order; a record whose generation no longer matches its key's (the
    /// key came again) is only dropped.
    order: VecDeque<(Instant, u64, Key)>,
    next_gen: u64,
    /// The Origin-Hosts of recent requests, shared by their keys: most requests come from a
    /// few hosts, and a key then costs no allocation.
    hosts: Vec<Arc<[u8]>>,
}

/// How many Origin-Hosts `State::hosts` keeps.
const RECENT_HOSTS: usize = 16;

impl State {
    /// `host` as a shared key part: a recent one when it is there, else a new one kept in
    /// place of the oldest.
    fn host(&mut self, host: &[u8]) -> Arc<[u8]> {
        if let Some(h) = self.hosts.iter().find(|h| ***h == *host) {
            return Arc::clone(h);
        }
        let h: Arc<[u8]> = Arc::from(host);
        if self.hosts.len() >= RECENT_HOSTS {
            self.hosts.remove(0);
        }
        self.hosts.push(Arc::clone(&h));
        h
    }
}

/// The requests served recently.
pub(crate) struct Duplicates {
    state: Mutex<State>,
    answered: Notify,
    capacity: usize,
    lifetime: Duration,
}

/// What the cache knew of a request.
pub(crate) enum Seen {
    /// A new request (or detection is off): serve it, then [`Duplicates::finish`].
    New(Option<Ticket>),
    /// A retransmission of a request answered already: its answer.
    Answered(Bytes),
    /// A retransmission of a request still in its handler.
    Running,
}

/// A request being served, to be finished with its answer.
pub(crate) struct Ticket {
    key: Key,
    generation: u64,
}

impl Duplicates {
    pub(crate) fn new(capacity: usize, lifetime: Duration) -> Duplicates {
        Duplicates {
            state: Mutex::new(State::default()),
            answered: Notify::new(),
            capacity,
            lifetime,
        }
    }

    fn expire(&self, s: &mut State, now: Instant) {
        while let Some((at, generation, _)) = s.order.front() {
            if s.order.len() <= self.capacity && now.duration_since(*at) < self.lifetime {
                break;
            }
            let generation = *generation;
            if let Some((_, _, key)) = s.order.pop_front() {
                if s.map.get(&key).is_some_and(|(g, _)| *g == generation) {
                    s.map.remove(&key);
                }
            }
        }
    }

    /// Looks a request up (when `retransmit`, its T flag, is set) and records it as running.
    pub(crate) fn check(&self, origin_host: &[u8], end_to_end: u32, retransmit: bool) -> Seen {
        if self.capacity == 0 || self.lifetime.is_zero() {
            return Seen::New(None);
        }
        let now = Instant::now();
        let mut s = lock(&self.state);
        let key: Key = (s.host(origin_host), end_to_end);
        self.expire(&mut s, now);
        if retransmit {
            match s.map.get(&key) {
                Some((_, Slot::Answered(a))) => return Seen::Answered(a.clone()),
                Some((_, Slot::Running)) => return Seen::Running,
                None => {}
            }
        }
        let generation = s.next_gen;
        s.next_gen += 1;
        s.map.insert(key.clone(), (generation, Slot::Running));
        s.order.push_back((now, generation, key.clone()));
        // The lifetime was enforced above; only the count can be over now.
        if s.order.len() > self.capacity {
            self.expire(&mut s, now);
        }
        Seen::New(Some(Ticket { key, generation }))
    }

    /// Records the answer of a request served (`None`: it got none to repeat), and wakes the
    /// retransmissions waiting for it.
    pub(crate) fn finish(&self, ticket: Ticket, answer: Option<Bytes>) {
        {
            let mut s = lock(&self.state);
            let s = &mut *s;
            // One lookup: this runs once per request served.
            if let Some((generation, slot)) = s.map.get_mut(&ticket.key) {
                if *generation == ticket.generation {
                    match answer {
                        Some(a) => *slot = Slot::Answered(a),
                        None => {
                            s.map.remove(&ticket.key);
                        }
                    }
                }
            }
        }
        self.answered.notify_waiters();
    }

    /// Waits (at most `limit`) for the answer of a request still in its handler. `None` when
    /// it got none, or none in time.
    pub(crate) async fn wait(
        &self,
        origin_host: &[u8],
        end_to_end: u32,
        limit: Duration,
    ) -> Option<Bytes> {
        let key: Key = (Arc::from(origin_host), end_to_end);
        let waited = tokio::time::timeout(limit, async {
            loop {
                let notified = self.answered.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                match lock(&self.state).map.get(&key) {
                    Some((_, Slot::Answered(a))) => return Some(a.clone()),
                    Some((_, Slot::Running)) => {}
                    None => return None,
                }
                notified.await;
            }
        })
        .await;
        waited.ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(seen: Seen) -> Ticket {
        match seen {
            Seen::New(Some(t)) => t,
            _ => panic!("expected a new request"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn answers_are_repeated_to_retransmissions_only() {
        let d = Duplicates::new(2, Duration::from_secs(10));
        let t = ticket(d.check(b"a", 1, false));
        assert!(matches!(d.check(b"a", 1, true), Seen::Running));
        d.finish(t, Some(Bytes::from_static(b"answer")));
        assert!(matches!(d.check(b"a", 1, true), Seen::Answered(a) if a == "answer"));
        // Without the T flag the same pair is a new request.
        assert!(matches!(d.check(b"a", 1, false), Seen::New(Some(_))));
        // Another host's identifier is another request.
        assert!(matches!(d.check(b"b", 1, true), Seen::New(Some(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn bounded_in_count_and_in_time() {
        let d = Duplicates::new(2, Duration::from_secs(10));
        for e2e in 0..3 {
            let t = ticket(d.check(b"a", e2e, false));
            d.finish(t, Some(Bytes::from_static(b"x")));
        }
        // The oldest of three was forgotten.
        assert!(matches!(d.check(b"a", 0, true), Seen::New(_)));
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(matches!(d.check(b"a", 2, true), Seen::New(_)));
        assert!(lock(&d.state).order.len() <= 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retransmission_waits_for_the_running_copy() {
        let d = Arc::new(Duplicates::new(8, Duration::from_secs(10)));
        let t = ticket(d.check(b"a", 7, false));
        let waiter = {
            let d = Arc::clone(&d);
            tokio::spawn(async move { d.wait(b"a", 7, Duration::from_secs(5)).await })
        };
        tokio::task::yield_now().await;
        d.finish(t, Some(Bytes::from_static(b"late")));
        assert_eq!(waiter.await.expect("task").as_deref(), Some(&b"late"[..]));
        // Nothing comes for a request never finished: the wait ends at its limit.
        let _t = ticket(d.check(b"a", 8, false));
        assert_eq!(d.wait(b"a", 8, Duration::from_secs(1)).await, None);
    }
}
