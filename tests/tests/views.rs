//! The generated zero-allocation views (`diameter_runtime::view`) against the structs they
//! stand for: decoding a message as a view must find exactly what decoding it as the struct
//! finds, and `to_command()` must rebuild the very struct.
//!
//! - Every kept vector of applications 0, 3 and 4, strict, lenient and pedantic: the same
//!   violations (Result-Codes, paths, Failed-AVPs) and notes, and `to_command()` equal to the
//!   decoded struct.
//! - The reference CCR: accessors (Grouped ones and repeated ones included) give its values,
//!   `to_group()` gives the struct's groups, `to_command()` re-encodes to the input bytes.
//! - Random CCRs (the generator of `proptest_typed.rs`): no violation either way, and
//!   `to_command()` equal to the struct and to the message encoded.
//! - Kept vectors with bytes flipped or cut: the same error or the same violations; and, when
//!   every AVP list is well framed (views read AVP headers tolerantly past a malformed AVP,
//!   where the struct's decoder stops), `to_command()` equal to the struct.
//! - A view is `Copy`, has nothing to drop, and decoding and reading the reference CCR through
//!   one allocates nothing (counted by `stats_alloc`'s global allocator, in this binary only).
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::fmt::Debug;
use std::hint::black_box;

use diameter_messages::credit_control::{
    CcRequestType, CreditControlRequest, CreditControlRequestView, SubscriptionIdType,
    UserEquipmentInfoType,
};
use diameter_messages::{Message, MessageView};
use diameter_runtime::header::HEADER_LEN;
use diameter_runtime::raw::walk;
use diameter_runtime::types::AvpType;
use diameter_runtime::{Command, CommandView, DecodeOptions, GroupView, Header, Violation};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

mod counting;
mod strategies;

use counting::{allocations, not_counting, CALLS};
use strategies::{ccr, damage};

/// The decoding modes every comparison runs in.
const MODES: [(&str, DecodeOptions); 3] = [
    ("strict", DecodeOptions::new()),
    ("lenient", DecodeOptions::lenient()),
    ("pedantic", DecodeOptions::pedantic()),
];

/// The vectors of applications 0, 3 and 4 (the S6a and Sh ones belong to later dictionaries),
/// as `typed_vectors.rs` reads them.
fn base_and_cc_vectors() -> Vec<(String, Vec<u8>)> {
    diameter_tests::vectors_of(&[0, 3, 4])
}

fn reference_ccr() -> Vec<u8> {
    diameter_tests::read_vectors("ccr-reference.hex")
        .remove(0)
        .1
}

/// How a message decoded, once struct and view were found to agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Agreement {
    /// Both refused it, with the same error.
    Error,
    /// The same violations; messages not compared.
    Violations,
    /// The same violations, and `to_command()` equal to the struct; `valid` when there were
    /// none.
    Message { valid: bool },
}

/// The first lines where the pretty `Debug` of `expected` and `actual` differ, with the lines
/// before them, which name the field.
fn first_difference(expected: &impl Debug, actual: &impl Debug) -> String {
    let (e, a) = (format!("{expected:#?}"), format!("{actual:#?}"));
    let (e, a): (Vec<&str>, Vec<&str>) = (e.lines().collect(), a.lines().collect());
    let at = e
        .iter()
        .zip(&a)
        .position(|(x, y)| x != y)
        .unwrap_or(e.len().min(a.len()));
    let excerpt =
        |lines: &[&str]| lines[at.saturating_sub(8)..(at + 3).min(lines.len())].join("\n");
    format!(
        "struct, line {at}:\n{}\nview.to_command():\n{}",
        excerpt(&e),
        excerpt(&a)
    )
}

fn show(violations: &[Violation]) -> String {
    let v: Vec<String> = violations
        .iter()
        .map(|v| {
            format!(
                "{v} (Failed-AVP {:?})",
                v.failed_avp.as_deref().map(hex::encode)
            )
        })
        .collect();
    format!("[{}]", v.join("; "))
}

/// Decodes `bytes` as the struct of view `V` and as `V`; checks that both give the same error
/// or the same violations and, if `compare_messages`, that `to_command()` equals the struct.
fn view_agrees<'a, V>(
    bytes: &'a [u8],
    opts: &DecodeOptions,
    compare_messages: bool,
) -> Result<Agreement, String>
where
    V: CommandView<'a>,
    V::Command: PartialEq + Debug,
{
    match (
        V::Command::decode_with(bytes, opts),
        V::decode_with(bytes, opts),
    ) {
        (Err(s), Err(v)) if s == v => Ok(Agreement::Error),
        (Err(s), Err(v)) => Err(format!("errors differ: struct {s:?}, view {v:?}")),
        (Ok(s), Ok(v)) => {
            if s.violations != v.violations {
                return Err(format!(
                    "violations differ:\n  struct {}\n  view   {}",
                    show(&s.violations),
                    show(&v.violations)
                ));
            }
            if (&s.notes, s.dropped) != (&v.notes, v.dropped) {
                return Err(format!(
                    "notes or dropped counts differ: struct {:?} {}, view {:?} {}",
                    s.notes, s.dropped, v.notes, v.dropped
                ));
            }
            if !compare_messages {
                return Ok(Agreement::Violations);
            }
            let rebuilt = v.message.to_command();
            if rebuilt == s.message {
                Ok(Agreement::Message {
                    valid: s.violations.is_empty(),
                })
            } else {
                Err(format!(
                    "to_command() differs from the struct (violations {}):\n{}",
                    show(&s.violations),
                    first_difference(&s.message, &rebuilt)
                ))
            }
        }
        (s, v) => Err(format!(
            "struct {:?} but view {:?}",
            s.map(|d| show(&d.violations)),
            v.map(|d| show(&d.violations))
        )),
    }
}

/// [`view_agrees`] for the command of the kept vectors with `key` (Application-Id,
/// Command-Code, R bit), the type `diameter_messages::Message` decodes it as.
fn agrees_as(
    key: (u32, u32, bool),
    bytes: &[u8],
    opts: &DecodeOptions,
    compare_messages: bool,
) -> Result<Agreement, String> {
    use diameter_messages::{accounting as acct, base, credit_control as cc, sh};
    let (b, o, c) = (bytes, opts, compare_messages);
    match key {
        (0, 257, true) => view_agrees::<base::CapabilitiesExchangeRequestView>(b, o, c),
        (0, 257, false) => view_agrees::<base::CapabilitiesExchangeAnswerView>(b, o, c),
        (0, 280, true) => view_agrees::<base::DeviceWatchdogRequestView>(b, o, c),
        (0, 280, false) => view_agrees::<base::DeviceWatchdogAnswerView>(b, o, c),
        (0, 282, true) => view_agrees::<base::DisconnectPeerRequestView>(b, o, c),
        (0, 282, false) => view_agrees::<base::DisconnectPeerAnswerView>(b, o, c),
        (3, 271, true) => view_agrees::<acct::AccountingRequestView>(b, o, c),
        (3, 271, false) => view_agrees::<acct::AccountingAnswerView>(b, o, c),
        (4, 258, true) => view_agrees::<cc::ReAuthRequestView>(b, o, c),
        (4, 258, false) => view_agrees::<cc::ReAuthAnswerView>(b, o, c),
        (4, 272, true) => view_agrees::<cc::CreditControlRequestView>(b, o, c),
        (4, 272, false) => view_agrees::<cc::CreditControlAnswerView>(b, o, c),
        (4, 274, true) => view_agrees::<base::AbortSessionRequestView>(b, o, c),
        (4, 274, false) => view_agrees::<base::AbortSessionAnswerView>(b, o, c),
        (4, 275, true) => view_agrees::<base::SessionTerminationRequestView>(b, o, c),
        (4, 275, false) => view_agrees::<base::SessionTerminationAnswerView>(b, o, c),
        (16_777_217, 306, false) => view_agrees::<sh::UserDataAnswerView>(b, o, c),
        (16_777_217, 307, true) => view_agrees::<sh::ProfileUpdateRequestView>(b, o, c),
        (16_777_217, 309, true) => view_agrees::<sh::PushNotificationRequestView>(b, o, c),
        _ => panic!("no view listed for (application, code, request) {key:?}"),
    }
}

fn key_of(bytes: &[u8]) -> (u32, u32, bool) {
    let h = Header::decode(bytes).unwrap();
    (h.application_id, h.command_code, h.flags.is_request())
}

/// Whether every AVP list the decoders walk is well framed under `opts`' leniency: the body
/// and, recursively, the data of every AVP the dictionaries type as Grouped. Only then do a
/// view's tolerant accessors see the AVPs the struct's decoder saw.
fn framing_intact(bytes: &[u8], opts: &DecodeOptions) -> bool {
    let grouped = |code, vendor| {
        diameter_messages::avp_def(code, vendor).is_some_and(|d| d.ty == AvpType::Grouped)
    };
    let body = bytes.get(HEADER_LEN..).unwrap_or_default();
    walk(body, opts, &grouped, &mut |_, _| {}).is_ok()
}

#[test]
fn kept_vectors_decode_alike_as_struct_and_view() {
    let _shared = not_counting();
    // The 24 messages of applications 0, 3 and 4, and the three Sh ones whose User-Data
    // python-diameter writes with Cx's code 606 (M bit): 5001 in strict mode, so that the
    // comparison covers violations with a Failed-AVP, not only empty lists.
    let mut vectors = base_and_cc_vectors();
    vectors.extend(
        diameter_tests::vectors_of(&[16_777_217])
            .into_iter()
            .filter(|(l, _)| ["Sh-UDA", "Sh-PUR", "Sh-PNR"].contains(&l.as_str())),
    );
    assert_eq!(vectors.len(), 27);
    let mut failures = Vec::new();
    let mut with_violations = 0;
    for (label, bytes) in &vectors {
        for (mode, opts) in &MODES {
            match agrees_as(key_of(bytes), bytes, opts, true) {
                Ok(Agreement::Message { valid }) => with_violations += usize::from(!valid),
                Ok(other) => failures.push(format!("{label} ({mode}): {other:?}")),
                Err(e) => failures.push(format!("{label} ({mode}): {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(with_violations > 0);
}

/// `MessageView` picks the view `Message` picks the struct for, on every kept vector, under
/// both grammars of application 4 (profile-less and 3GPP), and on one with a command code no
/// dictionary defines (the raw form, with a 3001).
#[test]
fn message_view_dispatches_as_message_does() {
    let _shared = not_counting();
    let mut unknown = 0;
    let mut all = diameter_tests::read_vectors("vectors.hex");
    let mut unknown_command = all[0].1.clone();
    unknown_command[5..8].copy_from_slice(&[0, 0x03, 0xe7]); // command code 999
    all.push((Some("code 999".into()), unknown_command));
    for (label, bytes) in all {
        for ((mode, opts), profile) in MODES.iter().flat_map(|m| [(m, None), (m, Some("3gpp"))]) {
            let by_struct = Message::decode_profile(&bytes, opts, profile);
            let by_view = MessageView::decode_profile(&bytes, opts, profile);
            match (by_struct, by_view) {
                (Ok(s), Ok(v)) => {
                    assert_eq!(v.violations, s.violations, "{label:?} ({mode})");
                    assert_eq!(v.notes, s.notes, "{label:?} ({mode})");
                    assert_eq!(v.message.name(), s.message.name(), "{label:?} ({mode})");
                    assert_eq!(v.message.to_message(), s.message, "{label:?} ({mode})");
                    unknown += usize::from(matches!(v.message, MessageView::Unknown(_)));
                }
                (Err(s), Err(v)) => assert_eq!(v, s, "{label:?} ({mode})"),
                (s, v) => panic!("{label:?} ({mode}): struct {s:?}, view {v:?}"),
            }
        }
    }
    assert!(unknown > 0, "the raw form is exercised too");
}

#[test]
fn reference_ccr_reads_through_its_view() {
    let _shared = not_counting();
    let wire = reference_ccr();
    let header = Header::decode(&wire).unwrap();
    let by_struct = CreditControlRequest::decode(&wire).unwrap();
    assert!(by_struct.is_valid(), "{}", show(&by_struct.violations));
    let d = CreditControlRequestView::decode(&wire).unwrap();
    assert!(d.is_valid(), "{}", show(&d.violations));
    let ccr = d.message;

    assert_eq!(
        ccr.session_id(),
        "ocs-client.example.com;1234567890;1;app-gy"
    );
    assert!(
        wire.as_ptr_range()
            .contains(&ccr.session_id().as_bytes().as_ptr()),
        "Session-Id is read in place"
    );
    assert_eq!(ccr.origin_host(), "ocs-client.example.com");
    assert_eq!(ccr.origin_realm(), "example.com");
    assert_eq!(ccr.auth_application_id(), 4);
    assert_eq!(ccr.cc_request_type(), CcRequestType::INITIAL_REQUEST);
    assert_eq!(ccr.cc_request_number(), 0);
    assert_eq!(ccr.destination_host(), None);
    assert!(ccr.requested_service_unit().is_none());

    let msccs: Vec<_> = ccr.multiple_services_credit_control().collect();
    assert_eq!(msccs.len(), 3);
    for (i, mscc) in (0u32..).zip(&msccs) {
        assert_eq!(mscc.rating_group(), Some(100 + i), "MSCC {i}");
        let rsu = mscc
            .requested_service_unit()
            .expect("Requested-Service-Unit");
        assert_eq!(
            rsu.cc_total_octets(),
            Some(1_000_000 * u64::from(i + 1)),
            "MSCC {i}"
        );
        assert_eq!(rsu.cc_time(), None, "MSCC {i}");
        assert_eq!(
            mscc.service_identifier().collect::<Vec<_>>(),
            [200 + i],
            "MSCC {i}"
        );
        assert!(mscc.granted_service_unit().is_none(), "MSCC {i}");
        assert_eq!(mscc.used_service_unit().count(), 0, "MSCC {i}");
        assert_eq!(mscc.other_avps().count(), 0, "MSCC {i}");
        assert_eq!(
            mscc.to_group(),
            by_struct.message.multiple_services_credit_control[i as usize],
            "MSCC {i}"
        );
    }

    let subs: Vec<_> = ccr.subscription_id().collect();
    assert_eq!(subs.len(), 1);
    assert_eq!(
        subs[0].subscription_id_type(),
        SubscriptionIdType::END_USER_E164
    );
    assert_eq!(subs[0].subscription_id_data(), "1234567890");
    assert_eq!(subs[0].to_group(), by_struct.message.subscription_id[0]);

    let uei = ccr.user_equipment_info().expect("User-Equipment-Info");
    assert_eq!(
        uei.user_equipment_info_type(),
        UserEquipmentInfoType::IMEISV
    );
    assert_eq!(uei.user_equipment_info_value(), b"3566110123456789");
    assert_eq!(Some(uei.to_group()), by_struct.message.user_equipment_info);

    assert_eq!(ccr.route_record().count(), 0);
    assert_eq!(ccr.other_avps().count(), 0);

    let rebuilt = ccr.to_command();
    assert_eq!(rebuilt, by_struct.message);
    assert_eq!(
        &rebuilt.to_bytes(header.hop_by_hop, header.end_to_end)[..],
        &wire[..],
        "to_command() re-encodes to the input"
    );
}

#[test]
fn view_is_copy_and_decodes_and_reads_without_allocating() {
    let _alone = counting::counting();
    assert!(!std::mem::needs_drop::<CreditControlRequestView>());

    let wire = reference_ccr();
    let view = CreditControlRequestView::decode(&wire).unwrap().message;
    // Compiles only if the view is `Copy`: `view` is still usable after the move.
    let copy = view;
    assert_eq!(copy.session_id(), view.session_id());

    // Reads what `reference_ccr_reads_through_its_view` checks, and more.
    let decode_and_read = || {
        let d = CreditControlRequestView::decode(black_box(&wire)).unwrap();
        assert!(d.is_valid());
        let ccr = d.message;
        let mut acc = ccr.session_id().as_bytes().len() + ccr.origin_host().as_bytes().len();
        acc += ccr.cc_request_type().0 as usize;
        for mscc in ccr.multiple_services_credit_control() {
            acc += mscc.rating_group().unwrap_or(0) as usize;
            acc += mscc.service_identifier().sum::<u32>() as usize;
            if let Some(rsu) = mscc.requested_service_unit() {
                acc += rsu.cc_total_octets().unwrap_or(0) as usize;
            }
        }
        for sub in ccr.subscription_id() {
            acc += sub.subscription_id_data().as_bytes().len();
        }
        if let Some(uei) = ccr.user_equipment_info() {
            acc += uei.user_equipment_info_value().as_bytes().len();
        }
        acc += ccr.other_avps().count();
        black_box(acc);
    };
    let struct_decode = || {
        black_box(CreditControlRequest::decode(black_box(&wire)).unwrap());
    };
    let a_box = || {
        black_box(Box::new(0u64));
    };

    assert!(allocations(a_box) >= CALLS, "the counting allocator counts");
    let by_view = allocations(decode_and_read);
    let by_struct = allocations(struct_decode);
    eprintln!(
        "reference CCR, {CALLS} calls: {by_view} allocations to decode and read the view, \
         {by_struct} to decode the struct"
    );
    assert!(by_struct >= CALLS, "the struct decode allocates (its Vecs)");
    assert!(
        by_view < CALLS / 10,
        "a view allocates nothing on a valid message: {by_view} in {CALLS} calls"
    );
}

/// Makes the Message-Length say the length `wire` has (after [`damage`]), so that decoding
/// reaches the damaged AVPs rather than stop at the header.
fn fix_length(wire: &mut [u8]) {
    if wire.len() >= 4 {
        let len = (wire.len() as u32).to_be_bytes();
        wire[1..4].copy_from_slice(&len[1..]);
    }
}

#[test]
fn damaged_vectors_decode_alike_as_struct_and_view() {
    const CASES: u32 = 2048;
    let _shared = not_counting();
    let vectors = base_and_cc_vectors();
    // How many runs ended each way: same error, same violations (framing broken), same
    // message and no violation, same message despite violations.
    let tally: [Cell<usize>; 4] = Default::default();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        source_file: Some(file!()),
        ..Config::default()
    });
    let strategy = (
        any::<Index>(),
        vec((any::<Index>(), 1..=255u8), 0..4),
        of(any::<Index>()),
        any::<bool>(),
    );
    let result = runner.run(&strategy, |(which, flips, cut, fix)| {
        let (label, original) = &vectors[which.index(vectors.len())];
        let mut wire = original.clone();
        damage(&mut wire, &flips, cut);
        if fix {
            fix_length(&mut wire);
        }
        for (mode, opts) in &MODES {
            let intact = framing_intact(&wire, opts);
            let agreement = agrees_as(key_of(original), &wire, opts, intact).map_err(|e| {
                TestCaseError::fail(format!(
                    "{label} damaged, {mode}: {e}\n  wire {}",
                    hex::encode(&wire)
                ))
            })?;
            let way = match agreement {
                Agreement::Error => 0,
                Agreement::Violations => 1,
                Agreement::Message { valid: true } => 2,
                Agreement::Message { valid: false } => 3,
            };
            tally[way].set(tally[way].get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Each way is taken often enough for the property to mean something.
    let tally = tally.map(Cell::into_inner);
    eprintln!(
        "damaged vectors, runs with the same error, the same violations, the same valid \
         message, the same message despite violations: {tally:?}"
    );
    let runs = 2 * CASES as usize;
    assert!(
        tally.iter().all(|&n| n >= runs / 50),
        "{tally:?} of {runs} runs"
    );
}

/// A manual runner rather than `proptest!`, so that the allocation count never runs while
/// this test generates values: the shared guard is held for the whole run.
#[test]
fn random_ccrs_decode_alike_as_struct_and_view() {
    let _shared = not_counting();
    let mut runner = TestRunner::new(Config {
        cases: 256,
        source_file: Some(file!()),
        ..Config::default()
    });
    let result = runner.run(&ccr(), |m| {
        let wire = m.to_bytes(7, 9);
        for (mode, opts) in &MODES {
            let agreement = view_agrees::<CreditControlRequestView>(&wire, opts, true)
                .map_err(|e| TestCaseError::fail(format!("{mode}: {e}")))?;
            prop_assert_eq!(agreement, Agreement::Message { valid: true }, "{}", mode);
            let view = CreditControlRequestView::decode_with(&wire, opts)
                .unwrap()
                .message;
            prop_assert_eq!(&view.to_command(), &m, "{}", mode);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
