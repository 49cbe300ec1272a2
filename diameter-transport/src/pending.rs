//! The requests of one connection waiting for their answers, keyed by hop-by-hop identifier,
//! each with its caller's deadline.
//!
//! A caller waits on a oneshot channel that carries one [`Event`]: its answer, its timeout,
//! or word that the peer went SUSPECT; the channel closing means the connection went away.
//! No timer per request: one sweeper task per connection sleeps until the earliest deadline
//! it knows of (a watermark lowered by insertions, raised only when it sweeps) and times out
//! the entries then due. Requests mostly come with later deadlines than the ones before, so
//! the common insertion only compares two instants, and the map is scanned once per sweep.
//! Past 1024 waiting entries the sweeps are spaced out a little ([`sweep_slack`]), so that a
//! peer that reads but never answers does not make the sweeper scan a huge map at every
//! deadline.
//!
//! SUSPECT (RFC 3539 section 3.4) wakes every caller without taking its entry out: the entry
//! goes to *deciding*, where an answer arriving meanwhile is kept in it, and the caller then
//! either leaves (to fail over) or waits again on the same entry ([`Pending::resume`]). Every
//! answer is thus taken out exactly once, by its caller or as unexpected.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use crate::idhash::IdMap;

/// What a waiting caller is told.
#[derive(Debug)]
pub(crate) enum Event {
    /// The answer.
    Answer(Bytes),
    /// The deadline passed first; the entry is gone, a later answer is unexpected.
    Timeout,
    /// The peer went SUSPECT: the entry waits for [`Pending::resume`].
    Suspect,
}

/// Where a caller waits for its [`Event`]; closed when the connection went away.
pub(crate) type AnswerRx = oneshot::Receiver<Event>;

/// What [`Pending::resume`] found for a caller told SUSPECT.
#[derive(Debug)]
pub(crate) enum Resume {
    /// The answer came in while the caller decided.
    Answer(Bytes),
    /// Still waiting, now on this channel.
    Wait(AnswerRx),
    /// The caller left (it fails over); a later answer is unexpected.
    Left,
    /// The deadline has passed.
    Timeout,
    /// The entry is gone: the connection closed, or the deadline passed while it decided.
    Gone,
}

#[derive(Debug)]
enum State {
    Waiting(oneshot::Sender<Event>),
    /// Told SUSPECT; holds an answer that arrives before the caller decides.
    Deciding(Option<Bytes>),
}

#[derive(Debug)]
struct Entry {
    deadline: Instant,
    state: State,
}

#[derive(Debug, Default)]
struct Inner {
    map: IdMap<u32, Entry>,
    /// No entry the sweeper must time out is due before this; `None` when none waits.
    next_due: Option<Instant>,
    /// The connection closed: nothing waits on it any more.
    closed: bool,
}

/// The pending requests of one connection; the sweeper task shares it.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    inner: Mutex<Inner>,
    /// Tells the sweeper that the watermark went down (a permit is kept if it is busy).
    lowered: Notify,
    /// Times the peer went SUSPECT, changed under the lock: a request queued across a change
    /// is told at once.
    suspects: AtomicU64,
    /// More than one request waits: the writer then expects bursts (see `conn::write_loop`).
    busy: AtomicBool,
}

impl Pending {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock means a panic elsewhere while holding it; the map stays consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether more than one request waited at the last insertion or answer.
    pub(crate) fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    /// How many times the peer went SUSPECT so far, for [`Pending::insert`].
    pub(crate) fn suspects(&self) -> u64 {
        self.suspects.load(Ordering::Acquire)
    }

    /// Waits for the answer to `hop_by_hop` until `deadline`. `suspects` is what
    /// [`Pending::suspects`] said before the request waited for its place in the queue: if
    /// the peer went SUSPECT since, the caller is told at once. On a closed connection the
    /// channel comes back closed.
    pub(crate) fn insert(&self, hop_by_hop: u32, deadline: Instant, suspects: u64) -> AnswerRx {
        let (tx, rx) = oneshot::channel();
        let lowered = {
            let mut g = self.lock();
            if g.closed {
                return rx;
            }
            let state = if self.suspects.load(Ordering::Acquire) == suspects {
                State::Waiting(tx)
            } else {
                // The receiver is in hand: the event cannot fail to arrive.
                let _ = tx.send(Event::Suspect);
                State::Deciding(None)
            };
            g.map.insert(hop_by_hop, Entry { deadline, state });
            self.busy.store(g.map.len() > 1, Ordering::Relaxed);
            g.lower(deadline)
        };
        if lowered {
            self.lowered.notify_one();
        }
        rx
    }

    /// Hands an answer to the caller waiting for it. `false` when none waits (answered
    /// already, timed out, left, or never sent).
    pub(crate) fn answer(&self, hop_by_hop: u32, frame: Bytes) -> bool {
        let mut g = self.lock();
        match g.map.remove(&hop_by_hop) {
            Some(Entry {
                state: State::Waiting(tx),
                ..
            }) => {
                // The only branch that leaves one entry fewer.
                self.busy.store(g.map.len() > 1, Ordering::Relaxed);
                drop(g);
                // A caller that was dropped a moment ago loses the answer either way.
                let _ = tx.send(Event::Answer(frame));
                true
            }
            Some(mut entry) => {
                let kept = match &mut entry.state {
                    State::Deciding(slot @ None) => {
                        *slot = Some(frame);
                        true
                    }
                    // A second answer to the same request.
                    _ => false,
                };
                g.map.insert(hop_by_hop, entry);
                kept
            }
            None => false,
        }
    }

    /// Stops waiting for `hop_by_hop` (a caller that went away). `true` when it waited.
    pub(crate) fn forget(&self, hop_by_hop: u32) -> bool {
        self.lock().map.remove(&hop_by_hop).is_some()
    }

    /// Tells every waiting caller that the peer went SUSPECT.
    pub(crate) fn suspect(&self) {
        let mut g = self.lock();
        self.suspects.fetch_add(1, Ordering::AcqRel);
        g.map.retain(|_, e| {
            match std::mem::replace(&mut e.state, State::Deciding(None)) {
                // Kept while the caller listens.
                State::Waiting(tx) => tx.send(Event::Suspect).is_ok(),
                deciding => {
                    e.state = deciding;
                    true
                }
            }
        });
    }

    /// The caller of `hop_by_hop`, told SUSPECT, decides: `leave` to fail over, else to wait
    /// on; an answer that came in meanwhile wins either way.
    pub(crate) fn resume(&self, hop_by_hop: u32, leave: bool, now: Instant) -> Resume {
        let mut g = self.lock();
        let Some(entry) = g.map.get_mut(&hop_by_hop) else {
            return Resume::Gone;
        };
        let deadline = entry.deadline;
        if let State::Deciding(slot @ Some(_)) = &mut entry.state {
            let answer = slot.take();
            g.map.remove(&hop_by_hop);
            return answer.map_or(Resume::Gone, Resume::Answer);
        }
        if leave || deadline <= now {
            g.map.remove(&hop_by_hop);
            return if leave { Resume::Left } else { Resume::Timeout };
        }
        let (tx, rx) = oneshot::channel();
        entry.state = State::Waiting(tx);
        // The sweeper left this entry out of its watermark while it decided.
        let lowered = g.lower(deadline);
        drop(g);
        if lowered {
            self.lowered.notify_one();
        }
        Resume::Wait(rx)
    }

    /// Requests waiting.
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// The connection closed: every caller waiting is told so (its channel closes), except
    /// those deciding with their answer already in, which they still take.
    pub(crate) fn close(&self) {
        let mut g = self.lock();
        g.closed = true;
        g.map
            .retain(|_, e| matches!(e.state, State::Deciding(Some(_))));
    }

    /// Times out the entries due at `now`; returns how many it removed.
    fn sweep(&self, now: Instant) -> usize {
        let mut g = self.lock();
        let before = g.map.len();
        let mut next: Option<Instant> = None;
        g.map.retain(|_, e| match &e.state {
            // Its caller takes the answer in.
            State::Deciding(Some(_)) => true,
            _ if e.deadline <= now => {
                if let State::Waiting(tx) = std::mem::replace(&mut e.state, State::Deciding(None)) {
                    let _ = tx.send(Event::Timeout);
                }
                // A caller still deciding finds its entry gone, past its deadline.
                false
            }
            _ => {
                next = Some(next.map_or(e.deadline, |n| n.min(e.deadline)));
                true
            }
        });
        // Many entries waiting (a peer that reads but does not answer, under load): sweep
        // less often than every deadline, so that the scans stay a small share of the time.
        let slack = sweep_slack(g.map.len());
        g.next_due = next.map(|n| n.max(now + slack));
        before - g.map.len()
    }

    /// The sweeper: sleeps until the watermark, times out what is due, and again; `swept`
    /// runs after each sweep that removed entries. Runs until aborted.
    pub(crate) async fn sweep_loop(self: Arc<Self>, swept: impl Fn()) {
        loop {
            let next = self.lock().next_due;
            match next {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {
                            if self.sweep(Instant::now()) > 0 {
                                swept();
                            }
                        }
                        // A nearer deadline: sleep until that one instead.
                        _ = self.lowered.notified() => {}
                    }
                }
                None => self.lowered.notified().await,
            }
        }
    }
}

/// How late a sweep may come after the earliest deadline when `waiting` entries wait:
/// none for up to 1024 entries (timeouts fire at their deadline), then 250 µs per 1024, so
/// the scan (some microseconds per 1024 entries) takes a few percent of one core at most;
/// even a million waiting entries time out within a quarter of a second of their deadline.
fn sweep_slack(waiting: usize) -> std::time::Duration {
    let blocks = u32::try_from(waiting / 1024).unwrap_or(u32::MAX);
    std::time::Duration::from_micros(250) * blocks
}

impl Inner {
    /// Lowers the watermark to `deadline` if it is earlier; `true` when it did.
    fn lower(&mut self, deadline: Instant) -> bool {
        match self.next_due {
            Some(due) if due <= deadline => false,
            _ => {
                self.next_due = Some(deadline);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn answer(rx: &mut AnswerRx) -> Option<Result<Event, oneshot::error::TryRecvError>> {
        match rx.try_recv() {
            Err(oneshot::error::TryRecvError::Empty) => None,
            other => Some(other),
        }
    }

    impl Pending {
        fn insert_now(&self, hop_by_hop: u32, deadline: Instant) -> AnswerRx {
            self.insert(hop_by_hop, deadline, self.suspects())
        }
    }

    /// The next event, or a failure (not a hang) when none comes within a minute.
    async fn within(rx: &mut AnswerRx) -> Result<Event, oneshot::error::RecvError> {
        tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .expect("an event within a minute")
    }

    fn started() -> (Arc<Pending>, tokio::task::JoinHandle<()>) {
        let p = Arc::new(Pending::default());
        let sweeper = tokio::spawn(Arc::clone(&p).sweep_loop(|| {}));
        (p, sweeper)
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_at_the_deadline_while_others_are_answered() {
        let (p, sweeper) = started();
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut late = p.insert_now(1, t0 + 5 * s);
        let mut answered = p.insert_now(2, t0 + 3 * s);
        let mut early = p.insert_now(3, t0 + 2 * s);
        assert!(p.answer(2, Bytes::from_static(b"a")));
        assert!(matches!(answer(&mut answered), Some(Ok(Event::Answer(_)))));

        let ev = within(&mut early).await;
        assert!(matches!(ev, Ok(Event::Timeout)), "{ev:?}");
        assert_eq!(Instant::now() - t0, 2 * s);
        assert!(answer(&mut late).is_none(), "not due before its deadline");
        // A timed-out request's answer is unexpected.
        assert!(!p.answer(3, Bytes::from_static(b"late")));

        let ev = within(&mut late).await;
        assert!(matches!(ev, Ok(Event::Timeout)), "{ev:?}");
        assert_eq!(Instant::now() - t0, 5 * s);
        assert_eq!(p.len(), 0);
        sweeper.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_deadline_wakes_the_sweeper() {
        let (p, sweeper) = started();
        let t0 = Instant::now();
        let _far = p.insert_now(1, t0 + Duration::from_secs(60));
        tokio::task::yield_now().await;
        let mut near = p.insert_now(2, t0 + Duration::from_millis(10));
        assert!(matches!(within(&mut near).await, Ok(Event::Timeout)));
        assert_eq!(Instant::now() - t0, Duration::from_millis(10));
        sweeper.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn suspect_keeps_an_answer_arriving_while_the_caller_decides() {
        let (p, sweeper) = started();
        let deadline = Instant::now() + Duration::from_secs(5);
        let rx = p.insert_now(7, deadline);
        p.suspect();
        assert!(matches!(rx.await, Ok(Event::Suspect)));
        assert!(p.answer(7, Bytes::from_static(b"in")));
        assert!(
            !p.answer(7, Bytes::from_static(b"twice")),
            "one answer kept"
        );
        match p.resume(7, true, Instant::now()) {
            Resume::Answer(b) => assert_eq!(&b[..], b"in"),
            other => panic!("{other:?}"),
        }
        assert_eq!(p.len(), 0);
        sweeper.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn suspect_then_wait_again_or_leave() {
        let (p, sweeper) = started();
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(5);
        let a = p.insert_now(1, deadline);
        let b = p.insert_now(2, deadline);
        p.suspect();
        assert!(matches!(a.await, Ok(Event::Suspect)));
        assert!(matches!(b.await, Ok(Event::Suspect)));
        // No other peer: wait again, and the answer comes on the new channel.
        let Resume::Wait(mut again) = p.resume(1, false, Instant::now()) else {
            panic!("still waiting");
        };
        assert!(p.answer(1, Bytes::from_static(b"x")));
        assert!(matches!(answer(&mut again), Some(Ok(Event::Answer(_)))));
        // Another peer: leave, and the answer that follows is unexpected.
        assert!(matches!(p.resume(2, true, Instant::now()), Resume::Left));
        assert!(!p.answer(2, Bytes::from_static(b"y")));
        sweeper.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_deciding_past_its_deadline_times_out() {
        let (p, sweeper) = started();
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(1);
        let rx = p.insert_now(1, deadline);
        p.suspect();
        assert!(matches!(rx.await, Ok(Event::Suspect)));
        tokio::time::sleep_until(deadline).await;
        tokio::task::yield_now().await;
        // Swept or not, the deadline has passed: no wait again.
        let r = p.resume(1, false, Instant::now());
        assert!(matches!(r, Resume::Timeout | Resume::Gone), "{r:?}");
        assert_eq!(p.len(), 0);
        sweeper.abort();
    }

    #[tokio::test]
    async fn close_ends_every_wait_but_keeps_an_answer_in() {
        let p = Pending::default();
        let deadline = Instant::now() + Duration::from_secs(5);
        let deciding = p.insert_now(2, deadline);
        p.suspect();
        assert!(matches!(deciding.await, Ok(Event::Suspect)));
        assert!(p.answer(2, Bytes::from_static(b"in")));
        let mut waiting = p.insert_now(1, deadline);
        p.close();
        assert!(matches!(answer(&mut waiting), Some(Err(_))));
        assert!(matches!(
            p.resume(2, true, Instant::now()),
            Resume::Answer(_)
        ));
        assert!(matches!(p.resume(1, true, Instant::now()), Resume::Gone));
    }

    #[tokio::test]
    async fn a_request_queued_across_a_suspect_is_told_at_once() {
        let p = Pending::default();
        let deadline = Instant::now() + Duration::from_secs(5);
        let before = p.suspects();
        p.suspect();
        let rx = p.insert(1, deadline, before);
        assert!(matches!(rx.await, Ok(Event::Suspect)));
        assert!(matches!(p.resume(1, true, Instant::now()), Resume::Left));
    }

    #[tokio::test]
    async fn nothing_waits_on_a_closed_connection() {
        let p = Pending::default();
        p.close();
        let rx = p.insert_now(1, Instant::now() + Duration::from_secs(5));
        assert!(rx.await.is_err());
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn sweeps_are_exact_for_a_few_entries_and_spaced_out_for_many() {
        assert_eq!(sweep_slack(0), Duration::ZERO);
        assert_eq!(sweep_slack(1023), Duration::ZERO);
        assert_eq!(sweep_slack(1024), Duration::from_micros(250));
        assert_eq!(sweep_slack(1 << 20), Duration::from_millis(256));
        assert_eq!(
            sweep_slack(usize::MAX),
            Duration::from_micros(250) * u32::MAX
        );
    }

    #[tokio::test(start_paused = true)]
    async fn many_waiting_entries_all_time_out_within_the_slack() {
        let (p, sweeper) = started();
        let t0 = Instant::now();
        let n = 3000u32;
        // Deadlines 1 µs apart from 1 s on.
        let rxs: Vec<AnswerRx> = (0..n)
            .map(|i| {
                p.insert_now(
                    i,
                    t0 + Duration::from_secs(1) + Duration::from_micros(i.into()),
                )
            })
            .collect();
        let last = t0 + Duration::from_secs(1) + Duration::from_micros(n.into());
        for mut rx in rxs {
            assert!(matches!(within(&mut rx).await, Ok(Event::Timeout)));
            assert!(Instant::now() <= last + sweep_slack(n as usize));
        }
        assert_eq!(p.len(), 0);
        sweeper.abort();
    }
}
