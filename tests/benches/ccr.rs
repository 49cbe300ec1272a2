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
//! Profile modes only (for callgrind, below), on the reference CCR with [`OTHERS`] AVPs its
//! grammar does not name appended under its `*[ AVP ]` ([`with_others`]): half of them 3GPP
//! AVPs that the 3GPP modules define (known with every module compiled in, unknown with base
//! only), half defined nowhere; all without the M bit, so that the message is valid either
//! way:
//!
//! - `others_view_decode` / `others_decode`: the view and the struct decode of that message.
//!   Their cost minus `typed_view_decode_validate`'s / `typed_decode_validate`'s, over
//!   [`OTHERS`], is the cost of one AVP the grammar does not name. Build the bench with every
//!   module (the default) and with base only (`--no-default-features`) to compare.
//! - `avp_lookup`: `diameter_messages::avp_def` of the [`OTHERS`] keys, the look-up such an
//!   AVP costs.
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
use diameter_messages::credit_control::{CreditControlRequest, CreditControlRequestView};
use diameter_runtime::{Command, CommandView};

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
        "others_view_decode" => {
            let msg = with_others(&fx.ccr);
            profile_loop(iters, || {
                black_box(CreditControlRequestView::decode(black_box(&msg[..]))).unwrap();
            })
        }
        "others_decode" => {
            let msg = with_others(&fx.ccr);
            profile_loop(iters, || {
                black_box(CreditControlRequest::decode(black_box(&msg[..]))).unwrap();
            })
        }
        "avp_lookup" => {
            let keys = other_keys();
            profile_loop(iters, || {
                for &(code, vendor) in black_box(&keys) {
                    black_box(diameter_messages::avp_def(code, vendor));
                }
            })
        }
        other => panic!("CCR_PROFILE: no bench named {other}"),
    }
    eprintln!("CCR_PROFILE: ran {name} {iters} times");
}

/// AVPs appended by [`with_others`].
const OTHERS: usize = 200;

/// Scalar AVPs of the 3GPP modules (vendor 10415): Visited-PLMN-Id, RAT-Type, MSISDN,
/// ULR-Flags, 3GPP-Charging-Characteristics, ULA-Flags, Number-Of-Requested-Vectors,
/// Re-Synchronization-Info, Immediate-Response-Preferred, Network-Access-Mode.
const KNOWN_3GPP: [u32; 10] = [1407, 1032, 701, 1405, 13, 1406, 1410, 1411, 1412, 1417];

/// The (code, Vendor-Id) of the [`OTHERS`] appended AVPs: in turn one of [`KNOWN_3GPP`] and
/// one defined nowhere (vendor 10415 codes from 60000, or IETF codes from 60000).
fn other_keys() -> Vec<(u32, u32)> {
    (0..OTHERS as u32)
        .map(|i| match i % 4 {
            0 | 2 => (KNOWN_3GPP[(i as usize / 2) % KNOWN_3GPP.len()], 10415),
            1 => (60_000 + i, 10415),
            _ => (60_000 + i, 0),
        })
        .collect()
}

/// `ccr` with the [`other_keys`] AVPs appended (4 bytes of data each, V bit as the vendor
/// says, no M bit), checked: valid, and every one of them kept in `other_avps`.
fn with_others(ccr: &[u8]) -> Vec<u8> {
    let mut msg = ccr.to_vec();
    for (code, vendor) in other_keys() {
        msg.extend_from_slice(&code.to_be_bytes());
        if vendor == 0 {
            msg.extend_from_slice(&[0, 0, 0, 12]);
        } else {
            msg.extend_from_slice(&[0x80, 0, 0, 16]);
            msg.extend_from_slice(&vendor.to_be_bytes());
        }
        msg.extend_from_slice(&[0, 0, 0, 1]);
    }
    let len = (msg.len() as u32).to_be_bytes();
    msg[1..4].copy_from_slice(&len[1..]);
    let decoded = CreditControlRequest::decode(&msg).unwrap();
    assert!(decoded.is_valid(), "{:?}", decoded.violations);
    assert_eq!(decoded.message.other_avps.len(), OTHERS);
    let known = other_keys()
        .into_iter()
        .filter(|&(c, v)| diameter_messages::avp_def(c, v).is_some())
        .count();
    // With every module, half are known; with base only, none.
    let expected = if cfg!(feature = "all-modules") {
        OTHERS / 2
    } else {
        0
    };
    assert_eq!(known, expected, "known AVPs among the appended ones");
    msg
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
