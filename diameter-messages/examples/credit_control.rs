//! Builds a Credit-Control-Request, encodes it, decodes it back (as a struct, then as a
//! zero-allocation view), then breaks it and prints the error answer RFC 6733 requires. Run with `cargo run -p diameter-messages --example credit_control`.

use diameter_messages::credit_control::{
    CcRequestType, CreditControlRequest, CreditControlRequestView, MultipleServicesCreditControl,
};
use diameter_messages::Message;
use diameter_runtime::answer::Identity;
use diameter_runtime::typed::Command;
use diameter_runtime::types::{DiameterIdentity, IntoOwned, Utf8String};
use diameter_runtime::{CommandView, RawMessage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ccr = CreditControlRequest::new(
        Utf8String::from("client.example;1;1"),        // Session-Id
        DiameterIdentity::borrowed("client.example")?, // Origin-Host
        "example".parse()?,                            // Origin-Realm
        "ocs.example".parse()?,                        // Destination-Realm
        4,                                             // Auth-Application-Id
        Utf8String::from("32251@3gpp.org"),            // Service-Context-Id
        CcRequestType::INITIAL_REQUEST,
        0, // CC-Request-Number
    );
    ccr.multiple_services_credit_control
        .push(MultipleServicesCreditControl {
            rating_group: Some(100),
            ..Default::default()
        });
    let bytes = ccr.to_bytes(1, 1);
    println!("encoded {} bytes", bytes.len());

    // Text fields of the decoded message borrow `bytes`; `into_owned` copies them out.
    let decoded = Message::decode(&bytes)?;
    assert!(decoded.is_valid());
    println!(
        "decoded {:?}, result {}",
        decoded.message.name(),
        decoded.result_code()
    );
    let kept: Message<'static> = decoded.message.into_owned();

    // The same checks through a view: nothing allocated, each field read when asked.
    let view = CreditControlRequestView::decode(&bytes)?;
    assert!(view.is_valid());
    let ccr = view.message;
    println!("view: session {}", ccr.session_id().as_str());
    for mscc in ccr.multiple_services_credit_control() {
        println!("view: rating group {:?}", mscc.rating_group());
    }

    // Drop CC-Request-Number (415): the request is now missing a required AVP.
    let mut raw = RawMessage::decode(bytes)?;
    assert_eq!(kept.name(), Some("Credit-Control-Request"));
    raw.avps.retain(|a| a.code != 415);
    let broken = raw.to_bytes();
    let decoded = Message::decode(&broken)?;
    for v in &decoded.violations {
        println!("violation: {v}");
    }
    let me = Identity {
        origin_host: "ocs.example".parse()?,
        origin_realm: "example".parse()?,
    };
    if let Some(answer) = decoded.error_answer(&broken, &me) {
        let code = answer.find(268, 0).map(|a| a.value::<u32>()).transpose()?;
        println!(
            "answer: Result-Code {code:?}, {} AVPs, E bit {}",
            answer.avps.len(),
            answer.header.flags.is_error()
        );
    }
    Ok(())
}
