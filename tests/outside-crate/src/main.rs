//! A user's program: reads a Gy CCR (the reference CCR-Initial, in `ccr.bin`), adds Testco's
//! AVPs to it, and decodes the result with one call, the vendor group read typed.

use diameter_messages::Message;
use diameter_runtime::typed::{group_to_raw, scalar_to_raw, Command};

#[allow(clippy::all, unused_variables, irrefutable_let_patterns)]
mod testco {
    include!(concat!(env!("OUT_DIR"), "/diameter_dictionary.rs"));
}

use testco::testco::{defs, TestcoUsage, TestcoZone};

fn main() {
    let reference: &[u8] = include_bytes!("../ccr.bin");
    let decoded = testco::decode(reference).expect("a whole message");
    assert!(decoded.is_valid(), "{:?}", decoded.violations);
    let Message::CreditControlRequest(mut ccr) = decoded.message else {
        panic!("not a CCR");
    };

    // Testco's usage report in the first MSCC (M bit set), its tariff at the top (M bit clear).
    let mut usage = TestcoUsage::default();
    usage.cc_total_octets = 1_234_567;
    usage.testco_zone = Some(TestcoZone::ROAMING);
    ccr.multiple_services_credit_control[0]
        .other_avps
        .push(group_to_raw(&usage));
    ccr.other_avps
        .push(scalar_to_raw(&defs::TESTCO_TARIFF, &9u32));
    let bytes = ccr.to_bytes(1, 2);

    // The shipped dictionaries alone do not know Testco-Usage, whose M bit is set: 5001.
    let shipped_only = Message::decode(&bytes).expect("a whole message");
    let codes: Vec<u32> = shipped_only
        .violations
        .iter()
        .map(|v| v.result_code)
        .collect();
    assert_eq!(codes, [5001]);

    // One call with Testco's module: valid.
    let decoded = testco::decode(&bytes).expect("a whole message");
    assert!(decoded.is_valid(), "{:?}", decoded.violations);
    let Message::CreditControlRequest(ccr) = decoded.message else {
        panic!("not a CCR");
    };

    // And one call to read the vendor group typed.
    let mscc = &ccr.multiple_services_credit_control[0];
    let found = testco::find_group::<TestcoUsage>(&mscc.other_avps).expect("Testco-Usage sent");
    assert!(found.is_valid(), "{:?}", found.violations);
    assert_eq!(found.message, usage);
    let zone = found.message.testco_zone.and_then(|zone| zone.name());
    println!(
        "decoded a CCR with Testco-Usage: {} octets, zone {}",
        found.message.cc_total_octets,
        zone.unwrap_or("?")
    );
}
