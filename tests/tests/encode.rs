//! Typed encoding into output buffers of every kind. The encoder writes in one pass into a
//! buffer's spare capacity when the message fits, and otherwise measures the message, grows
//! the buffer once and writes again (`diameter_runtime::enc`). Whatever the room:
//!
//! - every kept vector of applications 0, 3 and 4, and random CCRs, encode to the same bytes
//!   after whatever the buffer held before, with room for none, some, exactly all or more of
//!   the message;
//! - a reused buffer allocates nothing, a fresh one once (counted by `stats_alloc`'s global
//!   allocator, in this binary only).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use bytes::BytesMut;
use diameter_messages::credit_control::CreditControlRequest;
use diameter_messages::Message;
use diameter_runtime::header::HEADER_LEN;
use diameter_runtime::{Command, Header};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

mod counting;
mod strategies;

use counting::{allocations, not_counting, CALLS};
use strategies::ccr;

/// What the buffer holds before the message: it must stay.
const BEFORE: &[u8] = b"kept";

/// Rooms to try for a message of `len` bytes: none, less than the header, less than the
/// message, exactly the message, more.
fn rooms(len: usize) -> Vec<usize> {
    vec![
        0,
        1,
        HEADER_LEN - 1,
        HEADER_LEN,
        HEADER_LEN + 1,
        len / 2,
        len - 1,
        len,
        len + 1,
        2 * len,
    ]
}

/// `encode` into a buffer holding [`BEFORE`] with `room` bytes of spare capacity after it.
fn encoded_with_room(room: usize, encode: impl FnOnce(&mut BytesMut)) -> BytesMut {
    let mut buf = BytesMut::with_capacity(BEFORE.len() + room);
    buf.extend_from_slice(BEFORE);
    assert_eq!(buf.capacity() - buf.len(), room, "the room asked for");
    encode(&mut buf);
    buf
}

#[test]
fn kept_vectors_encode_alike_whatever_the_room() {
    let _shared = not_counting();
    let vectors = diameter_tests::vectors_of(&[0, 3, 4]);
    assert!(vectors.len() >= 20, "{} vectors", vectors.len());
    for (name, wire) in &vectors {
        let m = Message::decode(wire).unwrap().message;
        let header = Header::decode(wire).unwrap();
        for room in rooms(wire.len()) {
            let buf = encoded_with_room(room, |buf| m.encode_with_header(&header, buf));
            assert_eq!(&buf[..BEFORE.len()], BEFORE, "{name}, room {room}");
            assert_eq!(&buf[BEFORE.len()..], &wire[..], "{name}, room {room}");
        }
    }
}

#[test]
fn random_ccrs_encode_alike_whatever_the_room() {
    let _shared = not_counting();
    let mut runner = TestRunner::new(Config {
        cases: 128,
        source_file: Some(file!()),
        ..Config::default()
    });
    let strategy = (ccr(), any::<prop::sample::Index>());
    runner
        .run(&strategy, |(m, pick)| {
            let wire = m.to_bytes(3, 4);
            let rooms = rooms(wire.len());
            let room = rooms[pick.index(rooms.len())];
            let buf = encoded_with_room(room, |buf| m.encode(3, 4, buf));
            prop_assert_eq!(&buf[..BEFORE.len()], BEFORE);
            prop_assert_eq!(&buf[BEFORE.len()..], &wire[..], "room {}", room);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_reused_buffer_allocates_nothing_and_a_fresh_one_once() {
    let _alone = counting::counting();
    let wire = diameter_tests::read_vectors("ccr-reference.hex")
        .into_iter()
        .next()
        .unwrap()
        .1;
    let m = CreditControlRequest::decode(&wire).unwrap().message;
    let header = Header::decode(&wire).unwrap();
    let (hop, end) = (header.hop_by_hop, header.end_to_end);

    let mut reused = BytesMut::new();
    let into_reused = allocations(|| {
        reused.clear();
        m.encode(hop, end, &mut reused);
        black_box(&reused);
    });
    let into_fresh = allocations(|| {
        let mut fresh = BytesMut::new();
        m.encode(hop, end, &mut fresh);
        black_box(fresh);
    });
    eprintln!(
        "reference CCR, {CALLS} encodes: {into_reused} allocations into a reused buffer, \
         {into_fresh} into fresh ones"
    );
    assert_eq!(&reused[..], &wire[..]);
    assert!(
        into_reused < CALLS / 10,
        "a reused buffer: {into_reused} allocations in {CALLS} encodes"
    );
    assert!(
        (CALLS..CALLS + CALLS / 10).contains(&into_fresh),
        "a fresh buffer is allocated once, at the size measured: {into_fresh} allocations \
         in {CALLS} encodes"
    );
}
