//! Builds a Credit-Control-Request, encodes it, decodes it back (as a struct, then as a
//! zero-allocation view), then breaks it and prints the error answer RFC 6733 requires. Run
//! with `cargo run -p diameter-messages --example credit_control`.

use diameter_messages::prelude::*;
use diameter_runtime::answer::Identity;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Required AVPs by name; `build` names any left out.
    let mut ccr = credit_control::CreditControlRequest::builder()
        .session_id("client.example;1;1")
        .origin_host(DiameterIdentity::from_static("client.example"))
        .origin_realm(DiameterIdentity::from_static("example"))
        .destination_realm(DiameterIdentity::try_from("ocs.example")?)
        .auth_application_id(4)
        .service_context_id("32251@3gpp.org")
        .cc_request_type(credit_control::CcRequestType::INITIAL_REQUEST)
        .cc_request_number(0)
        .build()?;
    // Optional and repeated AVPs are plain fields.
    ccr.multiple_services_credit_control
        .push(credit_control::MultipleServicesCreditControl {
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
    let view = credit_control::CreditControlRequestView::decode(&bytes)?;
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
        origin_host: DiameterIdentity::from_static("ocs.example"),
        origin_realm: DiameterIdentity::from_static("example"),
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
