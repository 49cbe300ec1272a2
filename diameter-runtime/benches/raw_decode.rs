//! The dictionary-free codec on the reference CCR (`tests/vectors/ccr-reference.hex`), against a
//! hand-written header walk that approximates the physical limit. All four run in one criterion
//! group so that their times compare within the same run:
//!
//! - `header_walk`: a loop reading only the 8/12-byte AVP headers, recursing into the Grouped
//!   AVPs, allocating nothing;
//! - `raw_walk`: `diameter_runtime::raw::walk` with the same Grouped set;
//! - `raw_decode`: `RawMessage::decode`, then `RawAvp::grouped` of every Grouped AVP, recursively;
//! - `raw_encode`: `RawMessage::encode` into a reused buffer.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_main, Criterion};
use diameter_runtime::header::HEADER_LEN;
use diameter_runtime::raw::walk;
use diameter_runtime::{DecodeOptions, RawAvp, RawMessage};

/// The Grouped AVPs of the reference CCR, as tshark shows them: Subscription-Id (443),
/// Multiple-Services-Credit-Control (456), Requested-Service-Unit (437), User-Equipment-Info
/// (458). All are base (vendor 0) AVPs of RFC 4006.
fn is_grouped(code: u32, vendor: u32) -> bool {
    vendor == 0 && matches!(code, 443 | 456 | 437 | 458)
}

/// AVPs in the reference CCR, Grouped children included.
const AVPS_IN_CCR: usize = 29;

fn load_ccr() -> Bytes {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/ccr-reference.hex"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap();
    let hex_part = line.rsplit('\t').next().unwrap();
    Bytes::from(hex::decode(hex_part).unwrap())
}

/// Visits every AVP header of `buf`, recursing into Grouped AVPs; returns the count. Reads
/// only the headers, checks only what it needs to stay in bounds, allocates nothing.
fn header_walk(buf: &[u8]) -> usize {
    let mut count = 0;
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
        if is_grouped(code, vendor) {
            count += header_walk(data);
        }
        pos += (len + 3) & !3;
    }
    count
}

/// Parses every Grouped AVP among `avps`, recursively; returns the AVPs touched.
fn touch_all(avps: &[RawAvp]) -> usize {
    let mut n = 0;
    for a in avps {
        n += 1;
        black_box(a.data.len());
        if is_grouped(a.code, a.vendor()) {
            n += touch_all(&a.grouped().unwrap());
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let ccr = load_ccr();
    let body = &ccr[HEADER_LEN..];
    let opts = DecodeOptions::default();
    let raw_walk = |body: &[u8]| walk(body, &opts, &is_grouped, &mut |_, _| {}).unwrap();
    let raw_decode = |wire: Bytes| touch_all(&RawMessage::decode(wire).unwrap().avps);

    // All four see the same AVPs.
    assert_eq!(header_walk(body), AVPS_IN_CCR);
    assert_eq!(raw_walk(body), AVPS_IN_CCR);
    assert_eq!(raw_decode(ccr.clone()), AVPS_IN_CCR);
    let msg = RawMessage::decode(ccr.clone()).unwrap();
    let mut buf = BytesMut::with_capacity(ccr.len());
    msg.encode(&mut buf);
    assert_eq!(&buf[..], &ccr[..]);

    let mut g = c.benchmark_group("ccr_reference");
    g.bench_function("header_walk", |b| b.iter(|| header_walk(black_box(body))));
    g.bench_function("raw_walk", |b| b.iter(|| raw_walk(black_box(body))));
    g.bench_function("raw_decode", |b| {
        b.iter(|| raw_decode(black_box(ccr.clone())))
    });
    g.bench_function("raw_encode", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&msg).encode(&mut buf);
            black_box(buf.len())
        })
    });
    g.finish();
}

/// What `criterion_group!` would generate, with the doc comment the workspace lints ask for.
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
