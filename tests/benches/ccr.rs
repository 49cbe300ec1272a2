//! The typed codec on the reference CCR (`tests/vectors/ccr-reference.hex`: a Gy CCR-Initial,
//! 460 bytes, 29 AVPs, 3 MSCCs) against a hand-written header walk and against the crates.io
//! `diameter` crate (0.7.1). All run in one criterion group, on the same bytes, so that their
//! times compare within the same run:
//!
//! - `header_walk`: reads only the 8/12-byte AVP headers, recursing into the Grouped AVPs the
//!   dictionary names, and sums the codes; allocates nothing. The baseline.
//! - `typed_decode_validate`: `CreditControlRequest::decode_with`, strict (the default options):
//!   header, AVP walk, flag rules, grammar occurrence rules, every value decoded and checked.
//! - `typed_encode_reused_buffer`: the decoded typed message encoded into a `BytesMut` cleared
//!   before each iteration (capacity kept).
//! - `diameter_crate_decode` / `diameter_crate_encode`: `diameter::DiameterMessage` with the
//!   crate's built-in dictionary (RFC 6733 + RFC 4006); decode parses every AVP, Grouped ones
//!   included, into its value enum; encode writes into a reused `Vec<u8>`.
//! - `raw_decode`: `RawMessage::decode`, top level only (Grouped AVPs are left as bytes).
//!
//! Before criterion runs, allocations per typed decode and per typed encode (and per decode and
//! encode of the `diameter` crate) are counted over 1000 iterations, printed to stderr and
//! written to `target/criterion/ccr_allocations.txt`.
//!
//! ```sh
//! cargo bench -p diameter-tests --bench ccr -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! With `CCR_PROFILE=<bench name>` (and optionally `CCR_PROFILE_ITERS`, default 10000) the
//! binary only runs that bench's body in a loop, for a profiler:
//!
//! ```sh
//! CARGO_PROFILE_BENCH_DEBUG=true cargo bench -p diameter-tests --bench ccr --no-run
//! CCR_PROFILE=typed_decode_validate valgrind --tool=callgrind --toggle-collect='*profile_loop*' \
//!     target/release/deps/ccr-<hash>
//! ```
#![allow(clippy::unwrap_used)]

use std::alloc::System;
use std::hint::black_box;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_main, Criterion};
use diameter_messages::credit_control::CreditControlRequest;
use diameter_runtime::header::HEADER_LEN;
use diameter_runtime::raw::walk;
use diameter_runtime::types::AvpType;
use diameter_runtime::{Command, DecodeOptions, Header, RawMessage};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

/// Counts every allocation of the process (atomic counters around `System`). The counters cost
/// a few nanoseconds per allocation and deallocation in every bench, the allocating ones most.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Iterations over which allocations are counted.
const ALLOC_ITERS: usize = 1000;

/// AVPs in the reference CCR, Grouped children included.
const AVPS_IN_CCR: usize = 29;

/// The Grouped AVPs (code, vendor) of the reference CCR, as `grouped_in_ccr` finds them in the
/// dictionary: Subscription-Id, Requested-Service-Unit, Multiple-Services-Credit-Control,
/// User-Equipment-Info. Spelled out so that the walk is a `match`, with no lookup.
const GROUPED_IN_CCR: [(u32, u32); 4] = [(437, 0), (443, 0), (456, 0), (458, 0)];

#[inline(always)]
fn is_grouped(code: u32, vendor: u32) -> bool {
    vendor == 0 && matches!(code, 437 | 443 | 456 | 458)
}

fn load_ccr() -> Bytes {
    let mut v = diameter_tests::read_vectors("ccr-reference.hex");
    assert_eq!(v.len(), 1, "ccr-reference.hex holds one message");
    Bytes::from(v.remove(0).1)
}

/// The distinct Grouped (code, vendor) pairs of `body`, as the dictionary types them, sorted.
fn grouped_in_ccr(body: &[u8]) -> Vec<(u32, u32)> {
    let dict_grouped = |code, vendor| {
        diameter_messages::avp_def(code, vendor).is_some_and(|d| d.ty == AvpType::Grouped)
    };
    let mut found = Vec::new();
    walk(
        body,
        &DecodeOptions::default(),
        &dict_grouped,
        &mut |_, a| {
            let key = (a.header.code, a.header.vendor());
            if dict_grouped(key.0, key.1) && !found.contains(&key) {
                found.push(key);
            }
        },
    )
    .unwrap();
    found.sort_unstable();
    found
}

/// Visits every AVP header of `buf`, recursing into Grouped AVPs; returns the number of AVPs
/// and the sum of their codes. Reads only the headers, checks only what it needs to stay in
/// bounds, allocates nothing.
fn header_walk(buf: &[u8]) -> (usize, u64) {
    let mut count = 0;
    let mut acc = 0u64;
    let mut pos = 0;
    while let Some(h) = buf.get(pos..pos + 8) {
        let code = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let len = u32::from_be_bytes([0, h[5], h[6], h[7]]) as usize;
        let (hlen, vendor) = if h[4] & 0x80 != 0 {
            let Some(v) = buf.get(pos + 8..pos + 12) else {
                break;
            };
            (12, u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
        } else {
            (8, 0)
        };
        let Some(data) = buf.get(pos + hlen..pos + len) else {
            break;
        };
        count += 1;
        acc += u64::from(code);
        if is_grouped(code, vendor) {
            let (n, s) = header_walk(data);
            count += n;
            acc += s;
        }
        pos += (len + 3) & !3;
    }
    (count, acc)
}

/// Counts the AVPs of a `diameter` crate AVP list, Grouped children included.
fn count_crate_avps(avps: &[diameter::avp::Avp]) -> usize {
    avps.iter()
        .map(|a| {
            1 + match a.get_value() {
                diameter::avp::AvpValue::Grouped(g) => count_crate_avps(g.avps()),
                _ => 0,
            }
        })
        .sum()
}

/// Allocations (and reallocations) per call of `f`, over `ALLOC_ITERS` calls after one warm-up.
fn allocs_per_call(mut f: impl FnMut()) -> (f64, f64, f64) {
    f();
    let region = Region::new(GLOBAL);
    for _ in 0..ALLOC_ITERS {
        f();
    }
    let s = region.change();
    let n = ALLOC_ITERS as f64;
    (
        s.allocations as f64 / n,
        s.reallocations as f64 / n,
        s.bytes_allocated as f64 / n,
    )
}

/// The loop of the profiling mode, kept out of line so that a profiler can restrict itself to
/// it (`valgrind --tool=callgrind --toggle-collect='*profile_loop*'`).
#[inline(never)]
fn profile_loop(iters: usize, mut f: impl FnMut()) {
    for _ in 0..iters {
        f();
    }
}

/// `target/criterion`, where criterion writes its reports.
fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")))
        .join("criterion")
}

fn bench(c: &mut Criterion) {
    let ccr = load_ccr();
    let body = &ccr[HEADER_LEN..];
    let header = Header::decode(&ccr).unwrap();
    let opts = DecodeOptions::default();

    // The Grouped set the walk hard-codes is the one the dictionary gives for this message.
    assert_eq!(grouped_in_ccr(body), GROUPED_IN_CCR);
    let (n, code_sum) = header_walk(body);
    assert_eq!(n, AVPS_IN_CCR);

    // The reference CCR is a valid CCR for the strict decoder, and re-encodes byte-exactly.
    let decoded = CreditControlRequest::decode_with(ccr.clone(), &opts).unwrap();
    for v in &decoded.violations {
        eprintln!("reference CCR violation (strict): {v}");
    }
    assert!(
        decoded.is_valid(),
        "the reference CCR must decode strictly with no violation"
    );
    let msg = decoded.message;
    assert_eq!(msg.multiple_services_credit_control.len(), 3);
    let mut buf = BytesMut::with_capacity(ccr.len());
    msg.encode(header.hop_by_hop, header.end_to_end, &mut buf);
    assert_eq!(&buf[..], &ccr[..], "typed re-encoding is byte-exact");

    // Top level only: 13 AVPs, 3 of them the MSCCs.
    assert_eq!(RawMessage::decode(ccr.clone()).unwrap().avps.len(), 13);

    // The diameter crate parses every AVP (Grouped ones recursively) and re-encodes exactly.
    let dict = Arc::new(diameter::dictionary::Dictionary::new(&[
        &diameter::dictionary::DEFAULT_DICT_XML,
    ]));
    let crate_decode = |wire: &[u8]| {
        diameter::DiameterMessage::decode_from(&mut Cursor::new(wire), Arc::clone(&dict)).unwrap()
    };
    let crate_msg = crate_decode(&ccr);
    assert_eq!(count_crate_avps(crate_msg.get_avps()), AVPS_IN_CCR);
    let mut vec_buf = Vec::with_capacity(ccr.len());
    crate_msg.encode_to(&mut vec_buf).unwrap();
    assert_eq!(
        &vec_buf[..],
        &ccr[..],
        "diameter crate re-encoding is byte-exact"
    );

    // Profiling mode: `CCR_PROFILE=<bench name>` runs that bench's body `CCR_PROFILE_ITERS`
    // times (default 10000) and exits, without criterion or allocation counting: for
    // `valgrind --tool=callgrind`, whose instruction counts do not depend on the machine's load.
    if let Ok(name) = std::env::var("CCR_PROFILE") {
        let iters: usize = std::env::var("CCR_PROFILE_ITERS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10_000);
        match name.as_str() {
            "header_walk" => profile_loop(iters, || {
                black_box(header_walk(black_box(body)));
            }),
            "typed_decode_validate" => profile_loop(iters, || {
                black_box(CreditControlRequest::decode_with(
                    black_box(ccr.clone()),
                    &opts,
                ))
                .unwrap();
            }),
            "typed_encode_reused_buffer" => profile_loop(iters, || {
                buf.clear();
                black_box(&msg).encode(header.hop_by_hop, header.end_to_end, &mut buf);
                black_box(buf.len());
            }),
            "diameter_crate_decode" => profile_loop(iters, || {
                black_box(crate_decode(black_box(&ccr)));
            }),
            "diameter_crate_encode" => profile_loop(iters, || {
                vec_buf.clear();
                black_box(&crate_msg).encode_to(&mut vec_buf).unwrap();
                black_box(vec_buf.len());
            }),
            "raw_decode" => profile_loop(iters, || {
                black_box(RawMessage::decode(black_box(ccr.clone()))).unwrap();
            }),
            other => panic!("CCR_PROFILE: no bench named {other}"),
        }
        eprintln!("CCR_PROFILE: ran {name} {iters} times");
        return;
    }

    // Allocations, counted before criterion runs.
    let dec = allocs_per_call(|| {
        black_box(CreditControlRequest::decode_with(black_box(ccr.clone()), &opts).unwrap());
    });
    let enc = allocs_per_call(|| {
        buf.clear();
        black_box(&msg).encode(header.hop_by_hop, header.end_to_end, &mut buf);
        black_box(buf.len());
    });
    let walk_allocs = allocs_per_call(|| {
        black_box(header_walk(black_box(body)));
    });
    let crate_dec = allocs_per_call(|| {
        black_box(crate_decode(black_box(&ccr)));
    });
    let crate_enc = allocs_per_call(|| {
        vec_buf.clear();
        black_box(&crate_msg).encode_to(&mut vec_buf).unwrap();
        black_box(vec_buf.len());
    });
    let mut report = format!(
        "allocations per call on the reference CCR ({} bytes, {AVPS_IN_CCR} AVPs), mean of {ALLOC_ITERS}:\n",
        ccr.len()
    );
    for (name, (allocs, reallocs, bytes)) in [
        ("header_walk", walk_allocs),
        ("typed_decode_validate", dec),
        ("typed_encode_reused_buffer", enc),
        ("diameter_crate_decode", crate_dec),
        ("diameter_crate_encode", crate_enc),
    ] {
        report.push_str(&format!(
            "  {name:<28} {allocs:>7.2} allocations {reallocs:>6.2} reallocations {bytes:>9.1} bytes\n"
        ));
    }
    eprint!("{report}");
    let dir = criterion_dir();
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("ccr_allocations.txt"), &report))
    {
        eprintln!(
            "cannot write {}: {e}",
            dir.join("ccr_allocations.txt").display()
        );
    }

    let mut g = c.benchmark_group("ccr_reference");
    g.bench_function("header_walk", |b| {
        b.iter(|| {
            let r = header_walk(black_box(body));
            debug_assert_eq!(r.1, code_sum);
            black_box(r)
        })
    });
    g.bench_function("typed_decode_validate", |b| {
        b.iter(|| {
            black_box(CreditControlRequest::decode_with(
                black_box(ccr.clone()),
                &opts,
            ))
        })
    });
    g.bench_function("typed_encode_reused_buffer", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&msg).encode(header.hop_by_hop, header.end_to_end, &mut buf);
            black_box(buf.len())
        })
    });
    g.bench_function("diameter_crate_decode", |b| {
        b.iter(|| {
            black_box(diameter::DiameterMessage::decode_from(
                &mut Cursor::new(black_box(&ccr[..])),
                Arc::clone(&dict),
            ))
        })
    });
    g.bench_function("diameter_crate_encode", |b| {
        b.iter(|| {
            vec_buf.clear();
            black_box(black_box(&crate_msg).encode_to(&mut vec_buf)).unwrap();
            black_box(vec_buf.len())
        })
    });
    g.bench_function("raw_decode", |b| {
        b.iter(|| black_box(RawMessage::decode(black_box(ccr.clone()))))
    });
    g.finish();
}

/// What `criterion_group!` would generate, with the doc comment the workspace lints ask for.
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
