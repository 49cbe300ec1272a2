//! The typed codec on the reference CCR (`tests/vectors/ccr-reference.hex`: a Gy CCR-Initial,
//! 460 bytes, 29 AVPs, 3 MSCCs) against a hand-written header walk and against the crates.io
//! `diameter` crate (0.7.1). All run in one criterion group, `ccr_reference`, on the same bytes,
//! so that their times compare within the same run:
//!
//! - `header_walk`: reads only the 8/12-byte AVP headers, recursing into the Grouped AVPs the
//!   dictionary names, and sums the codes; allocates nothing. The baseline.
//! - `typed_decode_validate`: `CreditControlRequest::decode_with`, strict (the default options):
//!   header, AVP walk, flag rules, grammar occurrence rules, every value decoded and checked.
//! - `typed_view_decode_validate`: `CreditControlRequestView::decode_with`, strict: the same
//!   walk and checks (the same violations), keeping one offset per field instead of the values;
//!   allocates nothing.
//! - `typed_encode_reused_buffer`: the decoded typed message encoded into a `BytesMut` cleared
//!   before each iteration (capacity kept).
//! - `diameter_crate_decode` / `diameter_crate_encode`: `diameter::DiameterMessage` with the
//!   crate's built-in dictionary (RFC 6733 + RFC 4006); decode parses every AVP, Grouped ones
//!   included, into its value enum; encode writes into a reused `Vec<u8>`.
//! - `raw_decode`: `RawMessage::decode`, top level only (Grouped AVPs are left as bytes).
//!
//! Decoded messages are dropped inside the timed loop: a decode's time includes freeing what it
//! allocated. Allocations are counted by the `ccr_allocs` bench, not here: a counting global
//! allocator costs ~20 ns per allocation and free, which would slow the allocating benches
//! unevenly (the `diameter` crate's decode by about 20%).
//!
//! ```sh
//! cargo bench -p diameter-tests --bench ccr_allocs --bench ccr -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! With `CCR_PROFILE=<bench name>` (and optionally `CCR_PROFILE_ITERS`, default 10000) the
//! binary only runs that bench's body in a loop, for a profiler. Instruction counts under
//! callgrind do not depend on the machine's load:
//!
//! ```sh
//! CARGO_PROFILE_BENCH_DEBUG=true cargo bench -p diameter-tests --bench ccr --no-run
//! CCR_PROFILE=typed_decode_validate valgrind --tool=callgrind --toggle-collect='*profile_loop*' \
//!     target/release/deps/ccr-<hash>
//! ```
#![allow(clippy::unwrap_used)]

mod common;

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_main, Criterion};

use common::Fixture;

/// The loop of the profiling mode, kept out of line so that a profiler can restrict itself to
/// it (`valgrind --tool=callgrind --toggle-collect='*profile_loop*'`).
#[inline(never)]
fn profile_loop(iters: usize, mut f: impl FnMut()) {
    for _ in 0..iters {
        f();
    }
}

/// Runs bench `name`'s body `iters` times.
fn profile(fx: &Fixture, name: &str, iters: usize) {
    let mut buf = BytesMut::with_capacity(fx.ccr.len());
    let mut out = Vec::with_capacity(fx.ccr.len());
    match name {
        "header_walk" => profile_loop(iters, || {
            black_box(fx.header_walk());
        }),
        "typed_decode_validate" => profile_loop(iters, || {
            black_box(fx.typed_decode()).unwrap();
        }),
        "typed_view_decode_validate" => profile_loop(iters, || {
            black_box(fx.typed_view_decode()).unwrap();
        }),
        "typed_encode_reused_buffer" => profile_loop(iters, || {
            fx.typed_encode(&mut buf);
            black_box(buf.len());
        }),
        "diameter_crate_decode" => profile_loop(iters, || {
            black_box(fx.crate_decode()).unwrap();
        }),
        "diameter_crate_encode" => profile_loop(iters, || {
            black_box(fx.crate_encode(&mut out)).unwrap();
        }),
        "raw_decode" => profile_loop(iters, || {
            black_box(fx.raw_decode()).unwrap();
        }),
        other => panic!("CCR_PROFILE: no bench named {other}"),
    }
    eprintln!("CCR_PROFILE: ran {name} {iters} times");
}

fn bench(c: &mut Criterion) {
    let fx = Fixture::new();

    if let Ok(name) = std::env::var("CCR_PROFILE") {
        let iters = std::env::var("CCR_PROFILE_ITERS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10_000);
        profile(&fx, &name, iters);
        return;
    }

    let mut buf = BytesMut::with_capacity(fx.ccr.len());
    let mut out = Vec::with_capacity(fx.ccr.len());
    let mut g = c.benchmark_group("ccr_reference");
    g.bench_function("header_walk", |b| b.iter(|| fx.header_walk()));
    g.bench_function("typed_decode_validate", |b| b.iter(|| fx.typed_decode()));
    g.bench_function("typed_view_decode_validate", |b| {
        b.iter(|| fx.typed_view_decode())
    });
    g.bench_function("typed_encode_reused_buffer", |b| {
        b.iter(|| {
            fx.typed_encode(&mut buf);
            buf.len()
        })
    });
    g.bench_function("diameter_crate_decode", |b| b.iter(|| fx.crate_decode()));
    g.bench_function("diameter_crate_encode", |b| {
        b.iter(|| {
            fx.crate_encode(&mut out).unwrap();
            out.len()
        })
    });
    g.bench_function("raw_decode", |b| b.iter(|| fx.raw_decode()));
    g.finish();
}

/// What `criterion_group!` would generate, with the doc comment the workspace lints ask for.
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
