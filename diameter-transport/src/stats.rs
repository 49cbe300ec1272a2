//! Counters per peer and per command, readable from code.
//!
//! Each [`Counters`] is a few atomics and two tables of answers by Result-Code; a node keeps
//! one per peer and one per command and hands out [`Snapshot`]s of them. Counting an answer
//! takes no lock for the first 16 Result-Codes a counter sees (a node sees a
//! handful), and a short one for any further code.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// The counters of one peer or one command.
#[derive(Debug, Default)]
pub struct Counters {
    requests_sent: AtomicU64,
    requests_received: AtomicU64,
    timeouts: AtomicU64,
    unexpected_answers: AtomicU64,
    protocol_errors_answered: AtomicU64,
    watchdog_requests_sent: AtomicU64,
    watchdog_answers_received: AtomicU64,
    watchdog_requests_received: AtomicU64,
    requests_relayed: AtomicU64,
    routing_errors: AtomicU64,
    redirects: AtomicU64,
    failovers: AtomicU64,
    duplicates_answered: AtomicU64,
    answers_received: ByCode,
    answers_sent: ByCode,
}

/// How many Result-Codes a counter counts without a lock.
pub(crate) const CODE_SLOTS: usize = 16;

/// Counts by Result-Code: lock-free slots, each claimed by the first code counted in it,
/// then a locked map for codes beyond them. Every request sent or served counts its answer
/// here twice (per peer and per command), from both workers at once.
#[derive(Debug, Default)]
struct ByCode {
    /// A slot's code plus one (0: free), and its count.
    slots: [(AtomicU64, AtomicU64); CODE_SLOTS],
    more: Mutex<BTreeMap<u32, u64>>,
}

impl ByCode {
    fn bump(&self, code: u32) {
        let tag = u64::from(code) + 1;
        for (slot, count) in &self.slots {
            let mut held = slot.load(Ordering::Acquire);
            if held == 0 {
                // Claim it, unless another thread just did (for this code or another).
                held = match slot.compare_exchange(0, tag, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => tag,
                    Err(other) => other,
                };
            }
            if held == tag {
                count.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        // A poisoned lock only means another thread panicked while counting: keep counting.
        let mut m = self.more.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry(code).or_default() += 1;
    }

    fn copy(&self) -> BTreeMap<u32, u64> {
        let mut m = self.more.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for (slot, count) in &self.slots {
            let tag = slot.load(Ordering::Acquire);
            if let Some(code) = tag.checked_sub(1) {
                // A slot claimed an instant before its first count shows no answer yet.
                let n = count.load(Ordering::Relaxed);
                if n > 0 {
                    *m.entry(code as u32).or_default() += n;
                }
            }
        }
        m
    }
}

/// A copy of [`Counters`] at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Snapshot {
    /// Requests this node sent.
    pub requests_sent: u64,
    /// Requests this node received (answered by a handler or with an error answer).
    pub requests_received: u64,
    /// Requests sent that got no answer in time.
    pub timeouts: u64,
    /// Answers that matched no pending request (late, duplicated or never asked for): counted
    /// and dropped.
    pub unexpected_answers: u64,
    /// Received requests answered with an error answer by the node itself (a violation, an
    /// unknown command or application), not by a handler.
    pub protocol_errors_answered: u64,
    /// DWRs this node sent (per peer; the watchdog's own traffic, not in the request counts).
    pub watchdog_requests_sent: u64,
    /// DWAs received (per peer).
    pub watchdog_answers_received: u64,
    /// DWRs received from the peer and answered (per peer).
    pub watchdog_requests_received: u64,
    /// Requests this node forwarded to the peer as a relay or proxy (also in
    /// `requests_sent`).
    pub requests_relayed: u64,
    /// Requests from the peer that routing answered itself: 3002 (no peer could take it),
    /// 3003 (no route to its realm), 3005 (a loop), 3007 (an application a proxy does not
    /// serve).
    pub routing_errors: u64,
    /// Requests from the peer answered with 3006 by a redirect route.
    pub redirects: u64,
    /// Requests whose connection to the peer failed before their answer came, re-sent to
    /// another peer (or given up when none could take them).
    pub failovers: u64,
    /// Retransmissions (T flag) from the peer answered again from the duplicate cache,
    /// without running their handler twice.
    pub duplicates_answered: u64,
    /// Answers received, by Result-Code (0 when the answer carries none that can be read).
    pub answers_received: BTreeMap<u32, u64>,
    /// Answers sent, by Result-Code.
    pub answers_sent: BTreeMap<u32, u64>,
}

impl Snapshot {
    /// Every answer received, whatever its Result-Code.
    pub fn answers_received_total(&self) -> u64 {
        self.answers_received.values().sum()
    }

    /// Every answer sent, whatever its Result-Code.
    pub fn answers_sent_total(&self) -> u64 {
        self.answers_sent.values().sum()
    }
}

impl Counters {
    pub(crate) fn request_sent(&self) {
        self.requests_sent.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn request_received(&self) {
        self.requests_received.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn timeout(&self) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn unexpected_answer(&self) {
        self.unexpected_answers.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn protocol_error_answered(&self) {
        self.protocol_errors_answered
            .fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn watchdog_request_sent(&self) {
        self.watchdog_requests_sent.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn watchdog_answer_received(&self) {
        self.watchdog_answers_received
            .fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn watchdog_request_received(&self) {
        self.watchdog_requests_received
            .fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn request_relayed(&self) {
        self.requests_relayed.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn routing_error(&self) {
        self.routing_errors.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn redirect(&self) {
        self.redirects.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn failover(&self) {
        self.failovers.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn duplicate_answered(&self) {
        self.duplicates_answered.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn answer_received(&self, result_code: u32) {
        self.answers_received.bump(result_code);
    }
    pub(crate) fn answer_sent(&self, result_code: u32) {
        self.answers_sent.bump(result_code);
    }

    /// The counts now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            requests_sent: self.requests_sent.load(Ordering::Relaxed),
            requests_received: self.requests_received.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            unexpected_answers: self.unexpected_answers.load(Ordering::Relaxed),
            protocol_errors_answered: self.protocol_errors_answered.load(Ordering::Relaxed),
            watchdog_requests_sent: self.watchdog_requests_sent.load(Ordering::Relaxed),
            watchdog_answers_received: self.watchdog_answers_received.load(Ordering::Relaxed),
            watchdog_requests_received: self.watchdog_requests_received.load(Ordering::Relaxed),
            requests_relayed: self.requests_relayed.load(Ordering::Relaxed),
            routing_errors: self.routing_errors.load(Ordering::Relaxed),
            redirects: self.redirects.load(Ordering::Relaxed),
            failovers: self.failovers.load(Ordering::Relaxed),
            duplicates_answered: self.duplicates_answered.load(Ordering::Relaxed),
            answers_received: self.answers_received.copy(),
            answers_sent: self.answers_sent.copy(),
        }
    }
}

/// A command, as counters are kept: application, command code (requests and their answers
/// are counted together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommandKey {
    /// The header's Application-Id.
    pub application_id: u32,
    /// The command code.
    pub command_code: u32,
}

/// Counters per command, created on first use.
#[derive(Debug, Default)]
pub(crate) struct CommandCounters {
    /// Read on every request sent and received, by both workers: written once per command.
    map: RwLock<BTreeMap<CommandKey, Arc<Counters>>>,
}

impl CommandCounters {
    pub(crate) fn get(&self, application_id: u32, command_code: u32) -> Arc<Counters> {
        let key = CommandKey {
            application_id,
            command_code,
        };
        let known = self
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        known.unwrap_or_else(|| {
            let mut m = self.map.write().unwrap_or_else(|e| e.into_inner());
            Arc::clone(m.entry(key).or_default())
        })
    }

    pub(crate) fn snapshot(&self) -> BTreeMap<CommandKey, Snapshot> {
        let m = self.map.read().unwrap_or_else(|e| e.into_inner());
        m.iter().map(|(k, c)| (*k, c.snapshot())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_beyond_the_slots_are_counted_too() {
        let c = Counters::default();
        let codes: Vec<u32> = (0..CODE_SLOTS as u32 + 4).map(|i| 2000 + i).collect();
        for (i, &code) in codes.iter().enumerate() {
            for _ in 0..=i {
                c.answer_sent(code);
            }
        }
        // The largest code a header could carry, and 0 (no readable Result-Code).
        c.answer_sent(u32::MAX);
        c.answer_sent(0);
        let sent = c.snapshot().answers_sent;
        for (i, code) in codes.iter().enumerate() {
            assert_eq!(sent.get(code), Some(&(i as u64 + 1)), "code {code}");
        }
        assert_eq!(sent.get(&u32::MAX), Some(&1));
        assert_eq!(sent.get(&0), Some(&1));
        assert_eq!(sent.len(), codes.len() + 2);
        assert!(c.snapshot().answers_received.is_empty());
    }

    #[test]
    fn counts_from_many_threads_add_up() {
        let c = std::sync::Arc::new(Counters::default());
        let threads: Vec<_> = (0..4u32)
            .map(|t| {
                let c = std::sync::Arc::clone(&c);
                std::thread::spawn(move || {
                    for i in 0..1000u32 {
                        c.answer_received(2001 + (i + t) % 20);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let received = c.snapshot().answers_received;
        assert_eq!(received.values().sum::<u64>(), 4000);
        assert_eq!(received.len(), 20);
        assert!(received.values().all(|&n| n == 200));
    }
}
