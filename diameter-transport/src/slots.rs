//! The limit on concurrent request handlers of one connection.
//!
//! Only the connection's reader takes a slot (before it starts a handler), and any task gives
//! one back (when the handler's answer is queued). A count and a wake-up for the reader do
//! that with one atomic operation each way; tokio's `Semaphore`, built for many waiters,
//! takes a lock on every release, on every request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// The handler slots of one connection.
#[derive(Debug)]
pub(crate) struct Slots {
    running: AtomicUsize,
    max: usize,
    /// Wakes the reader waiting for a slot.
    freed: Notify,
}

/// A taken slot, given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    slots: Arc<Slots>,
}

impl Slots {
    /// `max` slots (at least one).
    pub(crate) fn new(max: usize) -> Slots {
        Slots {
            running: AtomicUsize::new(0),
            max: max.max(1),
            freed: Notify::new(),
        }
    }

    /// Takes a slot, waiting while all are taken.
    pub(crate) async fn take(self: &Arc<Self>) -> Slot {
        loop {
            let n = self.running.load(Ordering::Acquire);
            if n < self.max {
                if self
                    .running
                    .compare_exchange_weak(n, n + 1, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    return Slot {
                        slots: Arc::clone(self),
                    };
                }
                continue;
            }
            // Registered before the second look, so that a slot given back in between wakes
            // it (or leaves a stored wake-up that ends the next wait at once).
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            if self.running.load(Ordering::Acquire) < self.max {
                continue;
            }
            freed.await;
        }
    }

    /// Slots taken now.
    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::Acquire)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let before = self.slots.running.fetch_sub(1, Ordering::AcqRel);
        if before == self.slots.max {
            // The reader may be waiting for this one.
            self.slots.freed.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_last_slot_waits_for_one_given_back() {
        let slots = Arc::new(Slots::new(2));
        let a = slots.take().await;
        let _b = slots.take().await;
        assert_eq!(slots.running(), 2);
        let third = {
            let slots = Arc::clone(&slots);
            tokio::spawn(async move { slots.take().await })
        };
        tokio::task::yield_now().await;
        assert!(!third.is_finished(), "all slots are taken");
        drop(a);
        let c = tokio::time::timeout(std::time::Duration::from_secs(1), third)
            .await
            .expect("woken when a slot came back")
            .expect("task");
        assert_eq!(slots.running(), 2);
        drop(c);
        assert_eq!(slots.running(), 1);
    }

    #[test]
    fn slots_taken_and_given_back_from_many_threads_balance() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("runtime");
        let slots = Arc::new(Slots::new(3));
        rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let taker = {
                let slots = Arc::clone(&slots);
                tokio::spawn(async move {
                    for _ in 0..10_000 {
                        let slot = slots.take().await;
                        assert!(slots.running() <= 3);
                        tx.send(slot).expect("receiver");
                    }
                })
            };
            let mut given_back = 0;
            while let Some(slot) = rx.recv().await {
                tokio::spawn(async move { drop(slot) });
                given_back += 1;
            }
            taker.await.expect("taker");
            assert_eq!(given_back, 10_000);
        });
        drop(rt);
        assert_eq!(slots.running(), 0);
    }
}
