//! Property tests of the dictionary-free codec.
//!
//! - Random well-formed messages (any header fields with valid flags; AVP trees up to 4 deep,
//!   with and without Vendor-Id, data of any length including 0 and non-multiples of 4, Grouped
//!   AVPs built with `RawAvp::grouped_from`) encode, decode to the same message, re-encode to
//!   the same bytes, and `raw::walk` visits exactly their AVPs in order.
//! - Arbitrary bytes, and valid messages with bytes flipped or cut, never make the decoder
//!   (raw or typed), framing, the walk or any value type's decoder panic; and whatever decodes
//!   strictly re-encodes byte-exactly.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use bytes::{Bytes, BytesMut};
use diameter_runtime::avp::{AvpIter, Leniency};
use diameter_runtime::frame::{self, Frame};
use diameter_runtime::header::{CommandFlags, Header, HEADER_LEN};
use diameter_runtime::raw::walk;
use diameter_runtime::types::{
    Address, AvpValue, DiameterIdentity, DiameterUri, IpFilterRule, OctetString, QosFilterRule,
    Time, Utf8String,
};
use diameter_runtime::{AvpError, AvpErrorKind, DecodeError, DecodeOptions, RawAvp, RawMessage};
use proptest::prelude::*;

mod strategies;

use strategies::damage;

/// Grouped AVPs get codes with the top bit set, leaves codes without, so a walk can tell them
/// apart by code alone.
const GROUPED_BIT: u32 = 0x8000_0000;

fn is_grouped(code: u32, _vendor: u32) -> bool {
    code & GROUPED_BIT != 0
}

/// A leaf's data: raw octets, or a typed value whose decode is checked too.
#[derive(Clone, Debug)]
enum Data {
    Octets(Vec<u8>),
    U32(u32),
    I64(i64),
    Text(String),
    Addr(IpAddr),
}

/// A generated AVP tree.
#[derive(Clone, Debug)]
enum Node {
    Leaf {
        code: u32,
        flags: u8,
        vendor: Option<u32>,
        data: Data,
    },
    Group {
        code: u32,
        flags: u8,
        vendor: Option<u32>,
        children: Vec<Node>,
    },
}

fn data() -> impl Strategy<Value = Data> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..=37).prop_map(Data::Octets),
        1 => any::<u32>().prop_map(Data::U32),
        1 => any::<i64>().prop_map(Data::I64),
        1 => ".{0,12}".prop_map(Data::Text),
        1 => any::<IpAddr>().prop_map(Data::Addr),
    ]
}

/// M and P bits at random; V follows the Vendor-Id; reserved bits clear.
fn avp_flags() -> impl Strategy<Value = u8> {
    (any::<bool>(), any::<bool>()).prop_map(|(m, p)| (u8::from(m) << 6) | (u8::from(p) << 5))
}

fn vendor() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![Just(None), Just(Some(10415)), any::<u32>().prop_map(Some)]
}

fn leaf() -> impl Strategy<Value = Node> {
    (0..GROUPED_BIT, avp_flags(), vendor(), data()).prop_map(|(code, flags, vendor, data)| {
        Node::Leaf {
            code,
            flags,
            vendor,
            data,
        }
    })
}

/// A tree whose deepest AVP is at most at depth 4 (the top level being depth 1).
fn tree() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(3, 48, 5, |inner| {
        (
            GROUPED_BIT..=u32::MAX,
            avp_flags(),
            vendor(),
            proptest::collection::vec(inner, 0..5),
        )
            .prop_map(|(code, flags, vendor, children)| Node::Group {
                code,
                flags,
                vendor,
                children,
            })
    })
}

/// Valid command flags: R, P, E, T at random but never R with E; reserved bits clear.
fn command_flags() -> impl Strategy<Value = u8> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(r, p, e, t)| {
        let mut f = CommandFlags::default();
        f = f.with(CommandFlags::REQUEST, r);
        f = f.with(CommandFlags::PROXIABLE, p);
        f = f.with(CommandFlags::ERROR, e && !r);
        f = f.with(CommandFlags::RETRANSMIT, t);
        f.0
    })
}

fn header() -> impl Strategy<Value = Header> {
    (
        command_flags(),
        0..=0x00ff_ffffu32,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(flags, code, app, hbh, e2e)| Header {
            version: 1,
            length: 0,
            flags: CommandFlags(flags),
            command_code: code,
            application_id: app,
            hop_by_hop: hbh,
            end_to_end: e2e,
        })
}

fn message() -> impl Strategy<Value = (Header, Vec<Node>)> {
    (header(), proptest::collection::vec(tree(), 0..8))
}

fn encode_data(d: &Data) -> Bytes {
    let mut buf = BytesMut::new();
    match d {
        Data::Octets(v) => buf.extend_from_slice(v),
        Data::U32(v) => v.encode(&mut buf),
        Data::I64(v) => v.encode(&mut buf),
        Data::Text(s) => Utf8String::from(s.as_str()).encode(&mut buf),
        Data::Addr(a) => Address::from(*a).encode(&mut buf),
    }
    buf.freeze()
}

fn to_raw(n: &Node) -> RawAvp<'static> {
    match n {
        Node::Leaf {
            code,
            flags,
            vendor,
            data,
        } => RawAvp::new(*code, *flags, *vendor, encode_data(data)),
        Node::Group {
            code,
            flags,
            vendor,
            children,
        } => {
            let kids: Vec<RawAvp> = children.iter().map(to_raw).collect();
            RawAvp::grouped_from(*code, *flags, *vendor, &kids)
        }
    }
}

/// Pre-order (depth, code, vendor) of a tree.
fn preorder(nodes: &[Node], depth: u32, out: &mut Vec<(u32, u32, u32)>) {
    for n in nodes {
        match n {
            Node::Leaf { code, vendor, .. } => out.push((depth, *code, vendor.unwrap_or(0))),
            Node::Group {
                code,
                vendor,
                children,
                ..
            } => {
                out.push((depth, *code, vendor.unwrap_or(0)));
                preorder(children, depth + 1, out);
            }
        }
    }
}

/// Checks a decoded AVP against the node it was built from, recursing with `grouped()`.
fn check_decoded(raw: &RawAvp, node: &Node) -> Result<(), TestCaseError> {
    match node {
        Node::Leaf {
            code,
            flags,
            vendor,
            data,
        } => {
            prop_assert_eq!(raw.code, *code);
            prop_assert_eq!(raw.vendor_id, *vendor);
            prop_assert_eq!(raw.flags.0 & 0x60, *flags);
            prop_assert_eq!(raw.flags.is_vendor(), vendor.is_some());
            match data {
                Data::Octets(v) => prop_assert_eq!(&raw.data[..], &v[..]),
                Data::U32(v) => prop_assert_eq!(raw.value::<u32>().unwrap(), *v),
                Data::I64(v) => prop_assert_eq!(raw.value::<i64>().unwrap(), *v),
                Data::Text(s) => prop_assert_eq!(raw.value::<Utf8String>().unwrap(), s.as_str()),
                Data::Addr(a) => prop_assert_eq!(raw.value::<Address>().unwrap().ip(), Some(*a)),
            }
        }
        Node::Group {
            code,
            vendor,
            children,
            ..
        } => {
            prop_assert_eq!(raw.code, *code);
            prop_assert_eq!(raw.vendor_id, *vendor);
            let kids = raw.grouped().unwrap();
            prop_assert_eq!(kids.len(), children.len());
            for (k, c) in kids.iter().zip(children) {
                check_decoded(k, c)?;
            }
        }
    }
    Ok(())
}

/// Runs every value type's decoder on `data`; none may panic.
fn decode_every_type(data: &[u8]) {
    let _ = <Bytes as AvpValue>::decode(data);
    let _ = OctetString::decode(data);
    let _ = i32::decode(data);
    let _ = i64::decode(data);
    let _ = u32::decode(data);
    let _ = u64::decode(data);
    let _ = f32::decode(data);
    let _ = f64::decode(data);
    let _ = Address::decode(data);
    let _ = Time::decode(data);
    let _ = Utf8String::decode(data);
    let _ = DiameterIdentity::decode(data);
    let _ = DiameterUri::decode(data);
    let _ = IpFilterRule::decode(data);
    let _ = QosFilterRule::decode(data);
}

/// Every Result-Code a structural error may carry, and a well-formed Failed-AVP.
fn check_error(e: &DecodeError) -> Result<(), TestCaseError> {
    let rc = e.result_code();
    prop_assert!(
        [3008, 3009, 5011, 5012, 5013, 5014, 5015].contains(&rc),
        "{e:?} -> {rc}"
    );
    if let DecodeError::Avp(a) = e {
        check_failed_avp(a)?;
    }
    Ok(())
}

/// The Failed-AVP content of an AVP error, padded as an answer would carry it, is one AVP that
/// parses strictly (reserved flag bits aside: they are the error being reported), and nests
/// the enclosing Grouped AVPs down to the offending one, one AVP per level (RFC 6733 7.5).
/// A header cut short is the exception: 7.5 says to zero-fill it, whatever length that gives.
fn check_failed_avp(e: &AvpError) -> Result<(), TestCaseError> {
    prop_assert!(
        e.failed_avp.len() >= 8,
        "Failed-AVP shorter than a header: {e:?}"
    );
    if matches!(e.kind, AvpErrorKind::HeaderTruncated { .. }) {
        return Ok(());
    }
    let leniency = Leniency::strict().with_reserved_bits(true);
    let codes: Vec<u32> = e.path.iter().map(|p| p.code).chain([e.code]).collect();
    let mut level = e.failed_avp.to_vec();
    level.resize(level.len().next_multiple_of(4), 0);
    for (i, code) in codes.iter().enumerate() {
        let avps: Vec<_> = AvpIter::with_leniency(&level, leniency)
            .collect::<Result<_, _>>()
            .map_err(|bad| {
                TestCaseError::fail(format!(
                    "Failed-AVP of {e:?} is malformed at level {i}: {bad}"
                ))
            })?;
        prop_assert_eq!(avps.len(), 1, "Failed-AVP of {:?}, level {}", e, i);
        prop_assert_eq!(
            avps[0].header.code,
            *code,
            "Failed-AVP of {:?}, level {}",
            e,
            i
        );
        level = avps[0].data.to_vec();
    }
    Ok(())
}

/// Everything a receiver may run on untrusted bytes: none may panic, and a strict decode that
/// succeeds re-encodes to the same bytes.
fn hostile(bytes: &[u8]) -> Result<(), TestCaseError> {
    let opts = DecodeOptions::default();
    match frame::check(bytes, &opts) {
        Ok(Frame::Complete(n)) => prop_assert!(n >= HEADER_LEN && n <= bytes.len()),
        Ok(Frame::Incomplete(n)) => prop_assert!(n > bytes.len()),
        Err(e) => check_error(&e)?,
    }
    let _ = frame::peek_header(bytes);
    let _ = Header::decode(bytes);
    // The typed decoder too (its fast AVP walk must agree with AvpIter: a debug assertion).
    for opts in [DecodeOptions::default(), DecodeOptions::lenient()] {
        if let Ok(d) = diameter_messages::Message::decode_with(bytes, &opts) {
            let _ = d.result_code();
        }
    }
    match RawMessage::decode(Bytes::copy_from_slice(bytes)) {
        Ok(msg) => {
            prop_assert_eq!(&msg.to_bytes()[..], bytes);
            for a in &msg.avps {
                decode_every_type(&a.data);
                match a.grouped() {
                    Ok(kids) => {
                        for k in &kids {
                            decode_every_type(&k.data);
                            if let Err(e) = k.grouped() {
                                check_failed_avp(&e.inside(&a.header()))?;
                            }
                        }
                    }
                    Err(e) => check_failed_avp(&e)?,
                }
            }
        }
        Err(e) => check_error(&e)?,
    }
    let body = bytes.get(HEADER_LEN..).unwrap_or(bytes);
    let all = |_: u32, _: u32| true;
    let none = |_: u32, _: u32| false;
    let choices: [&dyn Fn(u32, u32) -> bool; 3] = [&all, &none, &is_grouped];
    for grouped in choices {
        let mut seen = 0usize;
        match walk(body, &opts, grouped, &mut |_, _| seen += 1) {
            Ok(n) => prop_assert_eq!(n, seen),
            Err(e) => check_error(&e)?,
        }
    }
    decode_every_type(&Bytes::copy_from_slice(bytes));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn well_formed_messages_round_trip((header, nodes) in message()) {
        let mut msg = RawMessage::new(header);
        msg.avps = nodes.iter().map(to_raw).collect();
        let wire = msg.to_bytes();
        prop_assert_eq!(wire.len(), msg.encoded_len());
        prop_assert_eq!(wire.len() % 4, 0);
        prop_assert_eq!(
            frame::check(&wire, &DecodeOptions::default()),
            Ok(Frame::Complete(wire.len()))
        );

        let back = RawMessage::decode(wire.clone()).unwrap();
        let mut expected_header = header;
        expected_header.length = wire.len() as u32;
        prop_assert_eq!(back.header, expected_header);
        prop_assert_eq!(&back.avps, &msg.avps);
        prop_assert_eq!(&back.to_bytes(), &wire);
        for (raw, node) in back.avps.iter().zip(&nodes) {
            check_decoded(raw, node)?;
        }

        let mut expected = Vec::new();
        preorder(&nodes, 1, &mut expected);
        prop_assert!(expected.iter().all(|e| e.0 <= 4));
        let mut seen = Vec::new();
        let n = walk(&wire[HEADER_LEN..], &DecodeOptions::default(), &is_grouped,
                     &mut |depth, a| seen.push((depth, a.header.code, a.header.vendor())))
            .unwrap();
        prop_assert_eq!(n, expected.len());
        prop_assert_eq!(seen, expected);
        // Without descending, the walk sees the top level only.
        let top = walk(&wire[HEADER_LEN..], &DecodeOptions::default(), &|_, _| false,
                       &mut |_, _| {}).unwrap();
        prop_assert_eq!(top, nodes.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        hostile(&bytes)?;
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_header_never_panic(
        header in header(),
        body in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        // A header whose length is right, so decoding reaches the AVPs.
        let mut wire = BytesMut::new();
        let mut h = header;
        h.length = (HEADER_LEN + body.len()) as u32;
        h.encode(&mut wire);
        wire.extend_from_slice(&body);
        hostile(&wire)?;
    }

    #[test]
    fn damaged_messages_never_panic(
        (header, nodes) in message(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 0..4),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut msg = RawMessage::new(header);
        msg.avps = nodes.iter().map(to_raw).collect();
        let mut wire = msg.to_bytes().to_vec();
        damage(&mut wire, &flips, cut);
        hostile(&wire)?;
    }

    #[test]
    fn damaged_known_commands_never_panic(
        which in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 0..4),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        // The kept vectors are typed commands, so the typed decoders walk the damage.
        let vectors = diameter_tests::read_vectors("vectors.hex");
        let mut wire = vectors[which.index(vectors.len())].1.clone();
        damage(&mut wire, &flips, cut);
        hostile(&wire)?;
    }

    #[test]
    fn avp_data_of_any_length_round_trips(
        code in any::<u32>(),
        vendor in vendor(),
        data in proptest::collection::vec(any::<u8>(), 0..70),
    ) {
        let avp = RawAvp::new(code, 0x40, vendor, Bytes::from(data.clone()));
        let hlen = if vendor.is_some() { 12 } else { 8 };
        prop_assert_eq!(avp.wire().len(), hlen + data.len());
        prop_assert_eq!(avp.encoded_len(), (hlen + data.len()).next_multiple_of(4));
        let mut msg = RawMessage::new(Header::request(1, 0));
        msg.avps.push(avp.clone());
        msg.avps.push(avp.clone());
        let back = RawMessage::decode(msg.to_bytes()).unwrap();
        prop_assert_eq!(&back.avps, &msg.avps);
        prop_assert_eq!(&back.avps[1].data[..], &data[..]);
    }
}

/// The message strategy really produces what the round-trip property claims to cover.
#[test]
fn generated_trees_cover_the_edge_cases() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[derive(Default, Debug)]
    struct Seen {
        max_depth: u32,
        empty_groups: usize,
        empty_leaves: usize,
        unaligned_leaves: usize,
        vendor: usize,
        no_vendor: usize,
    }
    fn visit(nodes: &[Node], depth: u32, s: &mut Seen) {
        for n in nodes {
            s.max_depth = s.max_depth.max(depth);
            let vendor = match n {
                Node::Leaf { vendor, data, .. } => {
                    let len = encode_data(data).len();
                    s.empty_leaves += usize::from(len == 0);
                    s.unaligned_leaves += usize::from(len % 4 != 0);
                    vendor
                }
                Node::Group {
                    vendor, children, ..
                } => {
                    s.empty_groups += usize::from(children.is_empty());
                    visit(children, depth + 1, s);
                    vendor
                }
            };
            if vendor.is_some() {
                s.vendor += 1;
            } else {
                s.no_vendor += 1;
            }
        }
    }
    let mut runner = TestRunner::deterministic();
    let strategy = message();
    let mut s = Seen::default();
    for _ in 0..512 {
        let (_, nodes) = strategy.new_tree(&mut runner).unwrap().current();
        visit(&nodes, 1, &mut s);
    }
    assert_eq!(s.max_depth, 4, "{s:?}");
    assert!(s.empty_groups > 0, "{s:?}");
    assert!(s.empty_leaves > 0, "{s:?}");
    assert!(s.unaligned_leaves > 0, "{s:?}");
    assert!(s.vendor > 0 && s.no_vendor > 0, "{s:?}");
}
