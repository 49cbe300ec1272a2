//! Counting allocations in a test binary: `stats_alloc`'s global allocator (for the binary
//! that includes this module), and a lock so that no other test of the binary allocates while
//! one counts.

use std::alloc::System;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The allocation count is process-wide: the test counting holds this lock exclusively, every
/// other test of the binary shares it, so that none allocates meanwhile.
static COUNTING: RwLock<()> = RwLock::new(());

/// Held by every test but the ones counting allocations.
pub fn not_counting() -> RwLockReadGuard<'static, ()> {
    COUNTING.read().unwrap_or_else(PoisonError::into_inner)
}

/// Held by a test counting allocations: alone, as the count is of every thread's.
pub fn counting() -> RwLockWriteGuard<'static, ()> {
    COUNTING.write().unwrap_or_else(PoisonError::into_inner)
}

/// Calls per allocation count.
pub const CALLS: usize = 1000;

/// Allocations and reallocations while `f` runs [`CALLS`] times, after a warm-up call. The
/// counter sees every thread: the test harness's own few allocations meanwhile are noise far
/// below one per call, which is what an allocating call would show.
pub fn allocations(mut f: impl FnMut()) -> usize {
    f();
    let region = Region::new(GLOBAL);
    for _ in 0..CALLS {
        f();
    }
    let s = region.change();
    s.allocations + s.reallocations
}
