//! Hostile input against honest input of the same size: a CCR-I (the kept vector, without its
//! 3GPP Service-Information) carrying 4,000 unknown AVPs, once with the M bit (each a 5001
//! DIAMETER_AVP_UNSUPPORTED) and once without (kept in `other_avps`, no violation). With
//! violations bounded per message (`DecodeOptions::max_violations`), the first should cost
//! about what the second does: past the bound a violation is counted, not built.
//! `struct_m_bit_unbounded` keeps every violation, as decoding did before the bound.
//!
//! ```sh
//! cargo bench -p diameter-tests --bench hostile -- --warm-up-time 1 --measurement-time 3
//! ```
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_main, Criterion};
use diameter_messages::credit_control::{CreditControlRequest, CreditControlRequestView};
use diameter_runtime::{Command, CommandView, DecodeOptions, RawAvp, RawMessage};

/// Unknown AVPs added to the CCR.
const EXTRA: u32 = 4000;

/// The CCR-I with `EXTRA` unknown AVPs of 4 bytes of data, with AVP flags `flags`.
fn ccr_with_unknown(flags: u8) -> Bytes {
    let (_, bytes) = diameter_tests::read_vectors("vectors.hex")
        .into_iter()
        .find(|(l, _)| l.as_deref() == Some("CCR-I"))
        .unwrap();
    let mut m = RawMessage::decode(Bytes::from(bytes)).unwrap();
    m.avps.retain(|a| a.code != 873);
    for i in 0..EXTRA {
        m.avps.push(RawAvp::new(
            70000 + i,
            flags,
            None,
            Bytes::from_static(&[0; 4]),
        ));
    }
    m.to_bytes()
}

fn bench(c: &mut Criterion) {
    let hostile = ccr_with_unknown(0x40);
    let honest = ccr_with_unknown(0);
    assert_eq!(hostile.len(), honest.len());
    let d = CreditControlRequest::decode(&hostile).unwrap();
    assert_eq!((d.result_code(), d.violations.len()), (5001, 32));
    assert!(CreditControlRequest::decode(&honest).unwrap().is_valid());

    let mut g = c.benchmark_group("unknown_avps_4000");
    for (name, bytes) in [("m_bit", &hostile), ("no_m_bit", &honest)] {
        g.bench_function(format!("struct_{name}"), |b| {
            b.iter(|| CreditControlRequest::decode(black_box(bytes)).unwrap())
        });
        g.bench_function(format!("view_{name}"), |b| {
            b.iter(|| CreditControlRequestView::decode(black_box(bytes)).unwrap())
        });
    }
    // What the bound saves: every violation kept, as before it existed.
    let unbounded = DecodeOptions::default().with_max_violations(u32::MAX);
    g.bench_function("struct_m_bit_unbounded", |b| {
        b.iter(|| CreditControlRequest::decode_with(black_box(&hostile), &unbounded).unwrap())
    });
    g.finish();
}

/// What `criterion_group!` would generate, with the doc comment the workspace lints ask for.
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
