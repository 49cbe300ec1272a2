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
//!
//! This runs for every request served, on the connection's reader, so it is kept small: a
//! key is two integers (the Origin-Host numbered by [`hosts`], the End-to-End Identifier)
//! hashed by the keyed multiply of [`hash`]; records sit in arrival order in a ring of the
//! configured count, so forgetting by count is overwriting the oldest, and by age a look at
//! the oldest.

mod hash;
mod hosts;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::Instant;

use self::hash::KeyHash;
use self::hosts::Hosts;
use super::lock;

/// A request's name: its Origin-Host's number (see [`Hosts`]) in the high half, its
/// End-to-End Identifier in the low half.
type Key = u64;

fn key(host: u32, end_to_end: u32) -> Key {
    (u64::from(host) << 32) | u64::from(end_to_end)
}

fn host_of(key: Key) -> u32 {
    (key >> 32) as u32
}

/// The state of a remembered request. The map names exactly the records whose slot is not
/// `Gone`.
enum Slot {
    /// The handler is running.
    Running,
    /// The answer sent (identifiers as sent).
    Answered(Bytes),
    /// Nothing to repeat: the request got no answer, or came again as a new request (which
    /// has a record of its own), or was forgotten.
    Gone,
}

/// A remembered request, in its place in arrival order.
struct Record {
    key: Key,
    at: Instant,
    slot: Slot,
}

struct State {
    /// The place (sequence number) of each remembered request's record in `ring`.
    map: HashMap<Key, u64, KeyHash>,
    /// Records in arrival order: the record numbered `seq` is at `seq % capacity`. The
    /// vector grows to the capacity, then its oldest record is overwritten.
    ring: Vec<Record>,
    /// The sequence number of the oldest record still remembered.
    oldest: u64,
    /// The sequence number of the next record.
    next: u64,
    hosts: Hosts,
    /// Tasks in [`Duplicates::wait`]: answers wake tasks only when there are some.
    waiting: usize,
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
    seq: u64,
}

impl Duplicates {
    /// A cache of at most `capacity` requests, each for at most `lifetime`; either 0 turns
    /// detection off.
    pub(crate) fn new(capacity: usize, lifetime: Duration) -> Duplicates {
        Duplicates {
            state: Mutex::new(State {
                map: HashMap::with_hasher(KeyHash::random()),
                ring: Vec::new(),
                oldest: 0,
                next: 0,
                hosts: Hosts::default(),
                waiting: 0,
            }),
            answered: Notify::new(),
            // Host numbers are u32 and never outnumber the records.
            capacity: capacity.min(u32::MAX as usize),
            lifetime,
        }
    }

    fn place(&self, seq: u64) -> usize {
        // The capacity fits in a u32 (see `new`), so the remainder fits in a usize.
        (seq % self.capacity as u64) as usize
    }

    /// Forgets the oldest record.
    fn forget_oldest(&self, s: &mut State) {
        let seq = s.oldest;
        s.oldest += 1;
        let record = &mut s.ring[self.place(seq)];
        let key = record.key;
        // Only a record the map names has a slot other than `Gone`, so one look in the map
        // does. The answer is dropped now rather than when the place is reused.
        if !matches!(std::mem::replace(&mut record.slot, Slot::Gone), Slot::Gone) {
            s.map.remove(&key);
        }
        s.hosts.release(host_of(key));
    }

    /// Forgets the records older than the lifetime.
    fn expire(&self, s: &mut State, now: Instant) {
        while s.oldest < s.next {
            let at = s.ring[self.place(s.oldest)].at;
            if now.duration_since(at) < self.lifetime {
                break;
            }
            self.forget_oldest(s);
        }
    }

    /// Looks a request up (when `retransmit`, its T flag, is set) and records it as running.
    pub(crate) fn check(&self, origin_host: &[u8], end_to_end: u32, retransmit: bool) -> Seen {
        if self.capacity == 0 || self.lifetime.is_zero() {
            return Seen::New(None);
        }
        let now = Instant::now();
        let mut guard = lock(&self.state);
        let s = &mut *guard;
        self.expire(s, now);
        if retransmit {
            let earlier = s
                .hosts
                .find(origin_host)
                .and_then(|host| s.map.get(&key(host, end_to_end)));
            if let Some(&seq) = earlier {
                match &s.ring[self.place(seq)].slot {
                    Slot::Answered(a) => return Seen::Answered(a.clone()),
                    Slot::Running => return Seen::Running,
                    // The map never names a record without an answer to give.
                    Slot::Gone => {}
                }
            }
        }
        if s.next - s.oldest >= self.capacity as u64 {
            self.forget_oldest(s);
        }
        let host = s.hosts.intern(origin_host);
        s.hosts.retain(host);
        let key = key(host, end_to_end);
        let seq = s.next;
        s.next += 1;
        if let Some(earlier) = s.map.insert(key, seq) {
            // The same pair again as a new request: it supersedes the earlier record.
            let place = self.place(earlier);
            s.ring[place].slot = Slot::Gone;
        }
        let record = Record {
            key,
            at: now,
            slot: Slot::Running,
        };
        let place = self.place(seq);
        if place < s.ring.len() {
            s.ring[place] = record;
        } else {
            s.ring.push(record);
        }
        Seen::New(Some(Ticket { key, seq }))
    }

    /// Records the answer of a request served (`None`: it got none to repeat), and wakes the
    /// retransmissions waiting for it.
    pub(crate) fn finish(&self, ticket: Ticket, answer: Option<Bytes>) {
        let wake = {
            let mut guard = lock(&self.state);
            let s = &mut *guard;
            // A record still remembered and not superseded is running; its place says so
            // without a lookup in the map.
            if ticket.seq >= s.oldest {
                let record = &mut s.ring[self.place(ticket.seq)];
                if matches!(record.slot, Slot::Running) {
                    match answer {
                        Some(a) => record.slot = Slot::Answered(a),
                        None => {
                            record.slot = Slot::Gone;
                            s.map.remove(&ticket.key);
                        }
                    }
                }
            }
            s.waiting > 0
        };
        if wake {
            self.answered.notify_waiters();
        }
    }

    /// Waits (at most `limit`) for the answer of a request still in its handler. `None` when
    /// it got none, or none in time.
    pub(crate) async fn wait(
        &self,
        origin_host: &[u8],
        end_to_end: u32,
        limit: Duration,
    ) -> Option<Bytes> {
        let _waiting = Waiting::new(self);
        let waited = tokio::time::timeout(limit, async {
            loop {
                let notified = self.answered.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                {
                    let mut guard = lock(&self.state);
                    let s = &mut *guard;
                    // The host's number may have changed hands since, but then the request
                    // was forgotten and so is not found.
                    let seq = s
                        .hosts
                        .find(origin_host)
                        .and_then(|host| s.map.get(&key(host, end_to_end)))?;
                    match &s.ring[self.place(*seq)].slot {
                        Slot::Answered(a) => return Some(a.clone()),
                        Slot::Running => {}
                        Slot::Gone => return None,
                    }
                }
                notified.await;
            }
        })
        .await;
        waited.ok().flatten()
    }
}

/// Counts a task in [`Duplicates::wait`] for as long as it is there (also when its wait is
/// dropped). Counted before its first look, under the lock `finish` takes, so an answer
/// recorded after that look always wakes it.
struct Waiting<'a>(&'a Duplicates);

impl<'a> Waiting<'a> {
    fn new(d: &'a Duplicates) -> Waiting<'a> {
        lock(&d.state).waiting += 1;
        Waiting(d)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).waiting -= 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
        let s = lock(&d.state);
        assert!(s.next - s.oldest <= 2);
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

    #[tokio::test(start_paused = true)]
    async fn a_new_copy_supersedes_the_earlier_record() {
        let d = Duplicates::new(8, Duration::from_secs(10));
        let first = ticket(d.check(b"a", 1, false));
        let second = ticket(d.check(b"a", 1, false));
        // The first copy's answer is not the one remembered: the second copy's is.
        d.finish(first, Some(Bytes::from_static(b"first")));
        assert!(matches!(d.check(b"a", 1, true), Seen::Running));
        d.finish(second, Some(Bytes::from_static(b"second")));
        assert!(matches!(d.check(b"a", 1, true), Seen::Answered(a) if a == "second"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_without_answer_is_not_repeated() {
        let d = Duplicates::new(8, Duration::from_secs(10));
        let t = ticket(d.check(b"a", 1, false));
        d.finish(t, None);
        assert!(matches!(d.check(b"a", 1, true), Seen::New(Some(_))));
    }

    #[tokio::test(start_paused = true)]
    async fn hosts_are_told_apart_and_bounded_by_the_count() {
        let d = Duplicates::new(64, Duration::from_secs(10));
        let t = ticket(d.check(b"first", 5, false));
        d.finish(t, Some(Bytes::from_static(b"mine")));
        // Many other hosts since, with the same identifier: "first" keeps its answer.
        for i in 0..40 {
            let t = ticket(d.check(format!("host{i}").as_bytes(), 5, false));
            d.finish(t, Some(Bytes::from_static(b"theirs")));
        }
        assert!(matches!(d.check(b"first", 5, true), Seen::Answered(a) if a == "mine"));
        // A host per request, far more than the count: the host table stays within it.
        for i in 0..1000 {
            let t = ticket(d.check(format!("many{i}").as_bytes(), 1, false));
            d.finish(t, Some(Bytes::from_static(b"x")));
        }
        let s = lock(&d.state);
        assert!(s.hosts.len() <= 64, "{} hosts", s.hosts.len());
        assert!(s.map.len() <= 64 && s.ring.len() <= 64);
    }

    #[tokio::test(start_paused = true)]
    async fn a_record_expires_at_its_age_even_at_a_low_rate() {
        let d = Duplicates::new(8, Duration::from_secs(10));
        let t = ticket(d.check(b"a", 1, false));
        d.finish(t, Some(Bytes::from_static(b"x")));
        tokio::time::sleep(Duration::from_millis(9_999)).await;
        assert!(matches!(d.check(b"a", 1, true), Seen::Answered(_)));
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(matches!(d.check(b"a", 1, true), Seen::New(_)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_given_up_is_no_longer_counted() {
        let d = Duplicates::new(8, Duration::from_secs(10));
        let _t = ticket(d.check(b"a", 1, false));
        assert_eq!(d.wait(b"a", 1, Duration::from_secs(1)).await, None);
        assert_eq!(lock(&d.state).waiting, 0);
        // Forgotten while waited for: the wait ends without an answer.
        let d = Arc::new(Duplicates::new(1, Duration::from_secs(10)));
        let _t = ticket(d.check(b"a", 1, false));
        let waiter = {
            let d = Arc::clone(&d);
            tokio::spawn(async move { d.wait(b"a", 1, Duration::from_secs(5)).await })
        };
        tokio::task::yield_now().await;
        let t = ticket(d.check(b"b", 2, false));
        d.finish(t, Some(Bytes::from_static(b"b")));
        assert_eq!(waiter.await.expect("task"), None);
    }
}
