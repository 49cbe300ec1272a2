//! What the borrowing typed API promises: decoded text and octets point into the input, nothing
//! is copied; `into_owned` gives a `'static` message that outlives the input; and every typed
//! message is covariant in its lifetime, so a `'static` one (built from literals or owned) can
//! be used wherever a borrowed one is expected.
#![allow(clippy::unwrap_used)]

use diameter_messages::credit_control::CreditControlRequest;
use diameter_messages::Message;
use diameter_runtime::types::IntoOwned;
use diameter_runtime::Command;

fn reference_ccr() -> Vec<u8> {
    diameter_tests::read_vectors("ccr-reference.hex")
        .remove(0)
        .1
}

/// Compiles only if `Message` (and so every command and group type it holds) is covariant.
#[allow(dead_code)]
fn covariant<'a>(m: Message<'static>) -> Message<'a> {
    m
}

#[allow(dead_code)]
fn covariant_ccr<'a>(m: CreditControlRequest<'static>) -> CreditControlRequest<'a> {
    m
}

#[test]
fn decoded_text_points_into_the_input() {
    let wire = reference_ccr();
    let d = CreditControlRequest::decode(&wire).unwrap();
    assert!(d.is_valid());
    let range = wire.as_ptr_range();
    let sid = d.message.session_id.as_bytes().as_ptr();
    assert!(
        range.contains(&sid),
        "Session-Id is borrowed from the input"
    );
    let data = &d.message.subscription_id[0].subscription_id_data;
    assert!(range.contains(&data.as_bytes().as_ptr()));
}

#[test]
fn into_owned_outlives_the_input() {
    let wire = reference_ccr();
    let owned: CreditControlRequest<'static> = CreditControlRequest::decode(&wire)
        .unwrap()
        .message
        .into_owned();
    let again = CreditControlRequest::decode(&wire).unwrap().message;
    assert_eq!(covariant_ccr(owned.clone()), again);
    drop(again);
    drop(wire);
    assert_eq!(
        owned.session_id,
        "ocs-client.example.com;1234567890;1;app-gy"
    );
    assert_eq!(owned.multiple_services_credit_control.len(), 3);
    assert_eq!(
        &owned.multiple_services_credit_control[2].service_identifier[..],
        &[202]
    );
}

#[test]
fn any_message_into_owned() {
    let wire = reference_ccr();
    let d = Message::decode(&wire).unwrap().into_owned();
    drop(wire);
    assert_eq!(d.message.name(), Some("Credit-Control-Request"));
    assert!(d.is_valid());
}

#[test]
fn into_shared_keeps_pointing_into_the_frame() {
    let frame = bytes::Bytes::from(reference_ccr());
    let d = Message::decode(&frame).unwrap().into_shared(&frame);
    let Message::CreditControlRequest(ccr) = &d.message else {
        panic!("not a CCR: {:?}", d.message.name());
    };
    let range = frame.as_ptr_range();
    // Shared, not copied: the values still point into the frame, now kept alive by `Bytes`.
    assert!(range.contains(&ccr.session_id.as_bytes().as_ptr()));
    let uei = ccr.user_equipment_info.as_ref().unwrap();
    assert!(range.contains(&uei.user_equipment_info_value.as_bytes().as_ptr()));
    // `into_owned` of a borrowed decode copies instead.
    let copy = Message::decode(&frame).unwrap().message.into_owned();
    let Message::CreditControlRequest(copied) = &copy else {
        unreachable!()
    };
    assert!(!range.contains(&copied.session_id.as_bytes().as_ptr()));
    assert_eq!(copy, d.message);
    drop(frame);
    assert_eq!(
        copied.session_id,
        "ocs-client.example.com;1234567890;1;app-gy"
    );
}
