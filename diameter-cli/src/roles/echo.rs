//! `echo`: answers every request of every application compiled in with 2001 DIAMETER_SUCCESS,
//! in that command's own answer.
//!
//! The answers are built untyped, from the dictionary tables: the generated crate has no
//! generic "answer of this request" constructor (a request type does not name its answer
//! type), so the answer is a raw message with the request's header (R bit cleared) whose AVPs
//! follow the answer's grammar: Session-Id copied, Result-Code 2001, Origin-Host and
//! Origin-Realm (left empty for the node to fill), then every AVP the answer grammar
//! requires that the request carries (CC-Request-Type and -Number, Accounting-Record-Type and
//! -Number, Auth-Session-State, ...), plus the application ids. An answer whose grammar
//! requires an AVP the request lacks is sent without it.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use diameter_runtime::consts::avp_code;
use diameter_runtime::dictionary::CommandDef;
use diameter_runtime::header::Header;
use diameter_runtime::{DecodeOptions, RawAvp, RawMessage};
use diameter_transport::NodeBuilder;

use super::{codes, Observer};

/// The M bit of an AVP header.
const MANDATORY: u8 = 0x40;
/// Auth-Application-Id, Acct-Application-Id, Vendor-Specific-Application-Id: copied whenever
/// the answer grammar has them, required or not.
const APPLICATION_AVPS: [u32; 3] = [258, 259, 260];
/// The base protocol's own commands, which the node answers itself: CER, DWR, DPR.
const PEER_COMMANDS: [u32; 3] = [257, 280, 282];

/// Registers a handler for every request command of every application compiled in.
pub fn install(mut builder: NodeBuilder, observer: Observer) -> NodeBuilder {
    for app in crate::dict::applications() {
        for command in app.commands {
            if app.id == 0 && PEER_COMMANDS.contains(&command.code) {
                continue;
            }
            let observer = observer.clone();
            builder = builder.raw_handler(app.id, command.code, move |frame: Bytes, ctx| {
                let started = Instant::now();
                let (answer, code) = answer(&frame, command);
                observer.record(ctx.peer_host(), command.request_abbrev, code, started);
                std::future::ready(answer)
            });
        }
    }
    builder
}

/// The answer to `request` (a request of `command`), and its Result-Code.
pub fn answer(request: &[u8], command: &CommandDef) -> (BytesMut, u32) {
    let mut buf = BytesMut::new();
    let Ok(req) = RawMessage::parse(request, &DecodeOptions::lenient()) else {
        // The node framed it, so only an AVP is broken: there is nothing to echo.
        let Ok(header) = Header::decode_unchecked(request) else {
            return (buf, 0);
        };
        let mut msg = RawMessage::new(Header::answer_to(&header));
        msg.avps.push(result_code(codes::UNABLE_TO_COMPLY));
        msg.avps.push(RawAvp::new(
            avp_code::ORIGIN_HOST,
            MANDATORY,
            None,
            Bytes::new(),
        ));
        msg.avps.push(RawAvp::new(
            avp_code::ORIGIN_REALM,
            MANDATORY,
            None,
            Bytes::new(),
        ));
        msg.encode(&mut buf);
        return (buf, codes::UNABLE_TO_COMPLY);
    };
    let mut msg = RawMessage::new(Header::answer_to(&req.header));
    let mut has_result = false;
    for rule in command.answer.rules {
        let (code, vendor) = (rule.avp.code, rule.avp.vendor_id);
        match (code, vendor) {
            (avp_code::RESULT_CODE, 0) => {
                msg.avps.push(result_code(codes::SUCCESS));
                has_result = true;
            }
            (avp_code::ORIGIN_HOST, 0) | (avp_code::ORIGIN_REALM, 0) => {
                msg.avps
                    .push(RawAvp::new(code, MANDATORY, None, Bytes::new()));
            }
            _ if rule.min >= 1 || (vendor == 0 && APPLICATION_AVPS.contains(&code)) => {
                let max = rule.max.unwrap_or(u32::MAX) as usize;
                msg.avps.extend(
                    req.avps
                        .iter()
                        .filter(|a| a.code == code && a.vendor() == vendor)
                        .take(max)
                        .cloned(),
                );
            }
            _ => {}
        }
    }
    if !has_result {
        msg.avps.push(result_code(codes::SUCCESS));
    }
    msg.encode(&mut buf);
    (buf, codes::SUCCESS)
}

fn result_code(code: u32) -> RawAvp<'static> {
    RawAvp::from_value(avp_code::RESULT_CODE, MANDATORY, None, &code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_messages::prelude::*;

    #[test]
    fn a_ccr_gets_a_valid_cca_with_its_request_type_and_number() {
        let ccr = credit_control::CreditControlRequest::builder()
            .session_id("c;1;2")
            .origin_host(DiameterIdentity::from_static("c.example"))
            .origin_realm(DiameterIdentity::from_static("example"))
            .destination_realm(DiameterIdentity::from_static("example"))
            .auth_application_id(4)
            .service_context_id("32251@3gpp.org")
            .cc_request_type(credit_control::CcRequestType::UPDATE_REQUEST)
            .cc_request_number(7)
            .build()
            .unwrap();
        let mut req = BytesMut::new();
        ccr.encode(1, 2, &mut req);
        let (_, command) = crate::dict::command(4, 272).unwrap();
        let (mut answer, code) = answer(&req, command);
        assert_eq!(code, 2001);
        // The node fills the empty Origin-Host and Origin-Realm; here, by hand.
        let mut raw = RawMessage::parse(&answer, &DecodeOptions::lenient())
            .unwrap()
            .into_owned();
        for a in raw.avps.iter_mut() {
            if a.code == avp_code::ORIGIN_HOST || a.code == avp_code::ORIGIN_REALM {
                a.data = OctetString::from("s.example");
            }
        }
        answer.clear();
        raw.encode(&mut answer);
        let decoded = credit_control::CreditControlAnswer::decode(&answer).unwrap();
        assert!(decoded.is_valid(), "{:?}", decoded.violations);
        let cca = decoded.message;
        assert_eq!(cca.session_id.as_str(), "c;1;2");
        assert_eq!((cca.result_code, cca.cc_request_number), (2001, 7));
        assert_eq!(
            cca.cc_request_type,
            credit_control::CcRequestType::UPDATE_REQUEST
        );
        assert!(!Header::decode_unchecked(&answer)
            .unwrap()
            .flags
            .is_request());
    }
}
