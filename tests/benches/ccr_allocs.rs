//! Allocations per operation of the `ccr` bench, on the same reference CCR and the same code
//! (`common::Fixture`): mean over 1000 calls after one warm-up call, printed to stderr and
//! written to `target/criterion/ccr_allocations.txt`. The project wants zero for the typed
//! encode into a reused buffer; this bench fails (exits non-zero) if it is not.
//!
//! A separate binary from `ccr` because the counting global allocator slows every allocation
//! and free (atomic counters), which would distort the `ccr` timings. It is `stats_alloc`'s:
//! a wrapper of our own needs `unsafe impl GlobalAlloc`, which the workspace forbids.
//!
//! ```sh
//! cargo bench -p diameter-tests --bench ccr_allocs
//! ```
#![allow(clippy::unwrap_used)]

mod common;

use std::alloc::System;
use std::hint::black_box;
use std::path::PathBuf;

use bytes::BytesMut;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

use common::{Fixture, AVPS_IN_CCR};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Calls over which allocations are counted.
const ITERS: usize = 1000;

/// Per call of `f`, over `ITERS` calls after one warm-up call: allocations, reallocations,
/// bytes allocated.
fn per_call(mut f: impl FnMut()) -> (f64, f64, f64) {
    f();
    let region = Region::new(GLOBAL);
    for _ in 0..ITERS {
        f();
    }
    let s = region.change();
    let n = ITERS as f64;
    (
        s.allocations as f64 / n,
        s.reallocations as f64 / n,
        s.bytes_allocated as f64 / n,
    )
}

/// `target/criterion`, where criterion writes its reports.
fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")))
        .join("criterion")
}

fn main() {
    let fx = Fixture::new();
    let mut buf = BytesMut::with_capacity(fx.ccr.len());
    let mut out = Vec::with_capacity(fx.ccr.len());

    let rows = [
        (
            "header_walk",
            per_call(|| {
                black_box(fx.header_walk());
            }),
        ),
        (
            "typed_decode_validate",
            per_call(|| {
                black_box(fx.typed_decode()).unwrap();
            }),
        ),
        (
            "typed_view_decode_validate",
            per_call(|| {
                black_box(fx.typed_view_decode()).unwrap();
            }),
        ),
        (
            "typed_encode_reused_buffer",
            per_call(|| {
                fx.typed_encode(&mut buf);
                black_box(buf.len());
            }),
        ),
        (
            "diameter_crate_decode",
            per_call(|| {
                black_box(fx.crate_decode()).unwrap();
            }),
        ),
        (
            "diameter_crate_encode",
            per_call(|| {
                black_box(fx.crate_encode(&mut out)).unwrap();
            }),
        ),
        (
            "raw_decode",
            per_call(|| {
                black_box(fx.raw_decode()).unwrap();
            }),
        ),
    ];

    let mut report = format!(
        "allocations per call on the reference CCR ({} bytes, {AVPS_IN_CCR} AVPs), mean of {ITERS} calls:\n",
        fx.ccr.len()
    );
    for (name, (allocs, reallocs, bytes)) in &rows {
        report.push_str(&format!(
            "  {name:<28} {allocs:>6.2} allocations {reallocs:>5.2} reallocations {bytes:>8.1} bytes\n"
        ));
    }
    eprint!("{report}");
    let dir = criterion_dir();
    let file = dir.join("ccr_allocations.txt");
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, &report)) {
        eprintln!("cannot write {}: {e}", file.display());
    }

    let (enc_allocs, enc_reallocs, _) = rows[2].1;
    assert!(
        enc_allocs == 0.0 && enc_reallocs == 0.0,
        "typed encode into a reused buffer must not allocate"
    );
}
