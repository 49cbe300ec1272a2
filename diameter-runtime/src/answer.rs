//! Building the answer RFC 6733 requires when a request is rejected: Result-Code, Failed-AVP,
//! the E bit for protocol errors, Origin-Host/Realm, Session-Id and Proxy-Info, and for other
//! errors the AVPs the application's answer grammar requires, copied from the request.

use bytes::Bytes;

use crate::avp::{AvpFlags, AvpIter};
use crate::consts::{avp_code, result_code};
use crate::dictionary::GrammarDef;
use crate::error::DecodeError;
use crate::header::{CommandFlags, Header};
use crate::raw::{RawAvp, RawMessage};
use crate::typed::Command;
use crate::types::DiameterIdentity;
use crate::violation::{first_violation, Violation};

/// The answering node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Origin-Host of answers.
    pub origin_host: DiameterIdentity<'static>,
    /// Origin-Realm of answers.
    pub origin_realm: DiameterIdentity<'static>,
}

/// Why a request is rejected.
#[derive(Clone, Copy, Debug)]
pub enum Problem<'a> {
    /// The violations a typed decode found.
    Violations(&'a [Violation]),
    /// An error that made the message unreadable.
    Decode(&'a DecodeError),
}

impl<'a> From<&'a [Violation]> for Problem<'a> {
    fn from(v: &'a [Violation]) -> Self {
        Problem::Violations(v)
    }
}

impl<'a> From<&'a Vec<Violation>> for Problem<'a> {
    fn from(v: &'a Vec<Violation>) -> Self {
        Problem::Violations(v)
    }
}

impl<'a> From<&'a DecodeError> for Problem<'a> {
    fn from(e: &'a DecodeError) -> Self {
        Problem::Decode(e)
    }
}

/// The answer to `request` (its bytes as received) for `problem`, or `None` when there is no
/// problem or `request` is not a request (answers are never answered).
///
/// The answer has RFC 6733 section 7.2's shape: Session-Id (copied when the request has one),
/// Origin-Host, Origin-Realm, Result-Code, Error-Message, one Failed-AVP holding the offending
/// AVPs of the deciding Result-Code (section 7.5), then the request's Proxy-Info AVPs in order
/// (section 6.2). The E bit is set for protocol errors (3xxx); the P bit and the identifiers are
/// the request's. This is the shape only: a 5xxx answer (no E bit) is also bound by the
/// application's answer grammar, which often requires more (e.g. CCA's CC-Request-Type);
/// [`error_answer_with`] copies those from the request, and [`Decoded::error_answer`]
/// does so for a typed request.
///
/// [`Decoded::error_answer`]: crate::Decoded::error_answer
///
/// ```
/// use diameter_runtime::answer::{error_answer, Identity};
/// use diameter_runtime::{RawMessage, header::Header};
/// use diameter_runtime::types::DiameterIdentity;
/// let id = Identity {
///     origin_host: DiameterIdentity::from_static("oracle.example"),
///     origin_realm: DiameterIdentity::from_static("example"),
/// };
/// let mut req = Header::request(272, 4).with_ids(7, 8);
/// req.flags.0 |= 0x0f; // reserved bits: 5013
/// let mut bytes = vec![];
/// req.encode(&mut bytes);
/// let err = RawMessage::decode(bytes.clone().into()).unwrap_err();
/// let ans = error_answer(&bytes, (&err).into(), &id).unwrap();
/// assert!(!ans.header.flags.is_error()); // 5013 is a permanent failure, not a protocol error
/// assert_eq!(ans.header.hop_by_hop, 7);
/// ```
pub fn error_answer(
    request: &[u8],
    problem: Problem<'_>,
    id: &Identity,
) -> Option<RawMessage<'static>> {
    error_answer_with(request, problem, id, None)
}

/// A typed message that may know the grammar of its answer: a generated request
/// ([`Command::ANSWER_GRAMMAR`]) and its view, and the generated `Message` and `MessageView`
/// enums. What [`Decoded::error_answer`](crate::Decoded::error_answer) asks.
pub trait AnswerGrammar {
    /// The grammar of the answer to this message; `None` for an answer or an unknown command.
    fn answer_grammar(&self) -> Option<&'static GrammarDef>;
}

impl<'a, T: Command<'a>> AnswerGrammar for T {
    fn answer_grammar(&self) -> Option<&'static GrammarDef> {
        T::ANSWER_GRAMMAR
    }
}

/// AVPs never copied from the request: those [`error_answer`] writes itself, and those that
/// describe the sending node (RFC 6733 5.3: CEA's Host-IP-Address, Vendor-Id and Product-Name
/// are the answering node's, which only the node knows).
const NOT_COPIED: [u32; 10] = [
    avp_code::SESSION_ID,
    avp_code::ORIGIN_HOST,
    avp_code::ORIGIN_REALM,
    avp_code::RESULT_CODE,
    avp_code::ERROR_MESSAGE,
    avp_code::FAILED_AVP,
    avp_code::PROXY_INFO,
    avp_code::HOST_IP_ADDRESS,
    avp_code::VENDOR_ID,
    avp_code::PRODUCT_NAME,
];

/// As [`error_answer`], and when the answer is no protocol error (no E bit, so
/// `answer_grammar`, the application's grammar of the answer, applies to it): copies from the
/// request every top-level AVP that grammar requires (`{ X }` or `< X >`, at least once), in
/// the grammar's order, the first occurrence of each, after Session-Id. That gives e.g. the
/// Auth-Session-State of S6a and Sh answers, the Vendor-Specific-Application-Id of Sh's, and
/// CCA's Auth-Application-Id, CC-Request-Type and CC-Request-Number (RFC 4006 8.2).
///
/// Not copied: an AVP the request lacks, or that a violation of the request's top level names
/// (it would make the answer as wrong as the request), and those the node itself describes
/// (Origin-Host, CEA's Host-IP-Address, ...). A required answer AVP the request cannot
/// supply is left out: the application that must send a valid answer adds it.
///
/// ```
/// use diameter_runtime::answer::{error_answer_with, Identity};
/// use diameter_runtime::dictionary::{AvpDef, FlagRule, GrammarDef, RuleDef};
/// use diameter_runtime::types::AvpType;
/// use diameter_runtime::types::DiameterIdentity;
/// use diameter_runtime::{Header, RawAvp, RawMessage, Violation};
/// // An answer grammar requiring CC-Request-Type (RFC 4006 8.2, much abridged).
/// static CC_REQUEST_TYPE: AvpDef = AvpDef {
///     name: "CC-Request-Type", code: 416, vendor_id: 0, ty: AvpType::Enumerated,
///     m: FlagRule::Must, v: FlagRule::MustNot, p: FlagRule::May, enums: &[],
///     grouped: None, spec: "RFC 4006",
/// };
/// static CCA: GrammarDef = GrammarDef {
///     rules: &[RuleDef { avp: &CC_REQUEST_TYPE, fixed: false, min: 1, max: Some(1) }],
///     extensible: true,
///     one_of: &[],
///     excluded: &[],
///     excluded_codes: 0,
/// };
/// let mut ccr = RawMessage::new(Header::request(272, 4).with_ids(7, 8));
/// ccr.avps.push(RawAvp::from_value(416, 0x40, None, &1u32));
/// let missing = Violation {
///     result_code: 5005, avp: Some("Service-Context-Id"), code: 461, vendor_id: 0,
///     path: vec!["Credit-Control-Request"], message: "missing".into(), failed_avp: None,
/// };
/// let id = Identity {
///     origin_host: DiameterIdentity::from_static("server.example"),
///     origin_realm: DiameterIdentity::from_static("example"),
/// };
/// let vs = [missing];
/// let cca = error_answer_with(&ccr.to_bytes(), (&vs[..]).into(), &id, Some(&CCA)).unwrap();
/// assert_eq!(cca.find(416, 0).unwrap().value::<u32>().unwrap(), 1);
/// ```
pub fn error_answer_with(
    request: &[u8],
    problem: Problem<'_>,
    id: &Identity,
    answer_grammar: Option<&GrammarDef>,
) -> Option<RawMessage<'static>> {
    let req = Header::decode_unchecked(request).ok()?;
    if !req.flags.is_request() {
        return None;
    }
    let (code, message, failed): (u32, String, Vec<Bytes>) = match problem {
        Problem::Violations(vs) => {
            let first = first_violation(vs)?;
            let failed = vs
                .iter()
                .filter(|v| v.result_code == first.result_code)
                .filter_map(|v| v.failed_avp.clone())
                .collect();
            (first.result_code, first.to_string(), failed)
        }
        Problem::Decode(e) => (
            e.result_code(),
            e.to_string(),
            e.failed_avp().cloned().into_iter().collect(),
        ),
    };
    // The request's top-level AVPs that are at fault, never copied into the answer.
    let offending: Vec<(u32, u32)> = match problem {
        Problem::Violations(vs) => vs
            .iter()
            .filter(|v| v.path.len() <= 1 && v.code != 0)
            .map(|v| (v.code, v.vendor_id))
            .collect(),
        Problem::Decode(e) => e
            .failed_avp()
            .and_then(|a| avp_key(a))
            .into_iter()
            .collect(),
    };
    let mut header = Header::answer_to(&req);
    header.flags = header
        .flags
        .with(CommandFlags::ERROR, result_code::is_protocol_error(code));
    let mut ans = RawMessage::new(header);
    // What of the request can still be read: its top-level AVPs up to the first malformed one.
    let body = request
        .get(crate::header::HEADER_LEN..req.length.min(request.len() as u32) as usize)
        .unwrap_or(&[]);
    let top: Vec<_> = AvpIter::new(body).map_while(Result::ok).collect();
    let flags = AvpFlags::MANDATORY;
    if let Some(s) = top
        .iter()
        .find(|a| a.header.code == avp_code::SESSION_ID && a.header.vendor_id.is_none())
    {
        ans.avps.push(RawAvp::new(
            avp_code::SESSION_ID,
            flags,
            None,
            Bytes::copy_from_slice(s.data),
        ));
    }
    if let Some(grammar) = answer_grammar.filter(|_| !result_code::is_protocol_error(code)) {
        for rule in grammar.rules.iter().filter(|r| r.min >= 1) {
            let key = (rule.avp.code, rule.avp.vendor_id);
            if (key.1 == 0 && NOT_COPIED.contains(&key.0)) || offending.contains(&key) {
                continue;
            }
            let found = top
                .iter()
                .find(|a| (a.header.code, a.header.vendor_id.unwrap_or(0)) == key);
            if let Some(a) = found {
                ans.avps.push(RawAvp::new(
                    a.header.code,
                    a.header.flags.0,
                    a.header.vendor_id,
                    Bytes::copy_from_slice(a.data),
                ));
            }
        }
    }
    ans.avps.push(RawAvp::new(
        avp_code::ORIGIN_HOST,
        flags,
        None,
        id.origin_host.as_octets().clone(),
    ));
    ans.avps.push(RawAvp::new(
        avp_code::ORIGIN_REALM,
        flags,
        None,
        id.origin_realm.as_octets().clone(),
    ));
    ans.avps.push(RawAvp::from_value(
        avp_code::RESULT_CODE,
        flags,
        None,
        &code,
    ));
    // Error-Message has M must-not (RFC 6733 4.5).
    ans.avps.push(RawAvp::new(
        avp_code::ERROR_MESSAGE,
        0,
        None,
        Bytes::from(message),
    ));
    if !failed.is_empty() {
        ans.avps.push(RawAvp::new(
            avp_code::FAILED_AVP,
            flags,
            None,
            crate::failed::entries(&failed),
        ));
    }
    for p in top
        .iter()
        .filter(|a| a.header.code == avp_code::PROXY_INFO && a.header.vendor_id.is_none())
    {
        ans.avps.push(RawAvp::new(
            avp_code::PROXY_INFO,
            p.header.flags.0,
            None,
            Bytes::copy_from_slice(p.data),
        ));
    }
    Some(ans)
}

/// (code, Vendor-Id) of the AVP whose bytes start `avp`, if its header can be read.
fn avp_key(avp: &[u8]) -> Option<(u32, u32)> {
    let code = u32::from_be_bytes(avp.get(..4)?.try_into().ok()?);
    let vendor = if avp.get(4)? & AvpFlags::VENDOR != 0 {
        u32::from_be_bytes(avp.get(8..12)?.try_into().ok()?)
    } else {
        0
    };
    Some((code, vendor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::{AvpDef, FlagRule, RuleDef};
    use crate::types::{AvpType, Utf8String};

    fn id() -> Identity {
        Identity {
            origin_host: DiameterIdentity::from_static("server.example"),
            origin_realm: DiameterIdentity::from_static("example"),
        }
    }

    fn request() -> RawMessage<'static> {
        let mut m = RawMessage::new(Header::request(272, 4).with_ids(11, 22));
        m.avps.push(RawAvp::from_value(
            263,
            0x40,
            None,
            &Utf8String::from("c.example;1"),
        ));
        m.avps.push(RawAvp::new(
            284,
            0x40,
            None,
            Bytes::from_static(&[0, 0, 1, 24, 0x40, 0, 0, 12, 0, 0, 0, 1]),
        ));
        m.avps.push(RawAvp::new(
            284,
            0x40,
            None,
            Bytes::from_static(&[0, 0, 1, 24, 0x40, 0, 0, 12, 0, 0, 0, 2]),
        ));
        m
    }

    fn violation(code: u32, failed: &'static [u8]) -> Violation {
        Violation {
            result_code: code,
            avp: Some("X"),
            code: 1,
            vendor_id: 0,
            path: vec!["Credit-Control-Request"],
            message: "m".into(),
            failed_avp: Some(Bytes::from_static(failed)),
        }
    }

    #[test]
    fn permanent_failure_answer() {
        let req = request().to_bytes();
        let vs = vec![
            violation(5005, &[0, 0, 1, 0x9f, 0x40, 0, 0, 12, 0, 0, 0, 0]),
            violation(5005, &[0, 0, 1, 0xa0, 0x40, 0, 0, 9, 0]),
        ];
        let ans = error_answer(&req, (&vs).into(), &id()).unwrap();
        assert!(!ans.header.flags.is_request() && !ans.header.flags.is_error());
        assert!(ans.header.flags.is_proxiable());
        assert_eq!((ans.header.hop_by_hop, ans.header.end_to_end), (11, 22));
        let codes: Vec<u32> = ans.avps.iter().map(|a| a.code).collect();
        assert_eq!(codes, vec![263, 264, 296, 268, 281, 279, 284, 284]);
        assert_eq!(ans.find(268, 0).unwrap().value::<u32>().unwrap(), 5005);
        assert_eq!(&ans.find(263, 0).unwrap().data[..], b"c.example;1");
        // Both missing AVPs in one Failed-AVP, each padded.
        let failed = ans.find(279, 0).unwrap().grouped().unwrap();
        assert_eq!(
            failed.iter().map(|a| a.code).collect::<Vec<_>>(),
            vec![415, 416]
        );
        // Proxy-Info kept in order.
        let proxies: Vec<_> = ans
            .avps
            .iter()
            .filter(|a| a.code == 284)
            .map(|a| a.data[11])
            .collect();
        assert_eq!(proxies, vec![1, 2]);
        // It encodes and decodes.
        RawMessage::decode(ans.to_bytes()).unwrap();
    }

    #[test]
    fn protocol_error_wins_and_sets_e_bit() {
        let req = request().to_bytes();
        let vs = vec![
            violation(5005, &[0, 0, 0, 1, 0x40, 0, 0, 8]),
            violation(3009, &[0, 0, 0, 2, 0x5f, 0, 0, 8]),
        ];
        let ans = error_answer(&req, (&vs).into(), &id()).unwrap();
        assert!(ans.header.flags.is_error());
        assert_eq!(ans.find(268, 0).unwrap().value::<u32>().unwrap(), 3009);
        // The offending AVP keeps its reserved bits, so read it leniently.
        let lenient = crate::DecodeOptions::lenient();
        assert_eq!(
            ans.find(279, 0).unwrap().grouped_with(&lenient).unwrap()[0].code,
            2
        );
    }

    const fn def(code: u32, vendor_id: u32) -> AvpDef {
        AvpDef {
            name: "X",
            code,
            vendor_id,
            ty: AvpType::Unsigned32,
            m: FlagRule::Must,
            v: FlagRule::May,
            p: FlagRule::May,
            enums: &[],
            grouped: None,
            spec: "test",
        }
    }

    static A: AvpDef = def(416, 0);
    static B: AvpDef = def(1, 10415);
    static OPTIONAL: AvpDef = def(2, 0);
    static ABSENT: AvpDef = def(3, 0);
    static VENDOR_ID: AvpDef = def(266, 0);
    static ORIGIN_HOST: AvpDef = def(264, 0);

    const fn rule(avp: &'static AvpDef, min: u32) -> RuleDef {
        RuleDef {
            avp,
            fixed: false,
            min,
            max: None,
        }
    }

    /// Requires, in this order: B, A, Origin-Host, Vendor-Id, ABSENT; OPTIONAL is optional.
    static ANSWER: GrammarDef = GrammarDef {
        rules: &[
            rule(&B, 1),
            rule(&OPTIONAL, 0),
            rule(&A, 1),
            rule(&ORIGIN_HOST, 1),
            rule(&VENDOR_ID, 1),
            rule(&ABSENT, 1),
        ],
        extensible: false,
        one_of: &[],
        excluded: &[],
        excluded_codes: 0,
    };

    /// A request carrying A twice, B, OPTIONAL, Origin-Host and Vendor-Id.
    fn request_with_copies() -> Vec<u8> {
        let mut m = request();
        for (code, vendor, v) in [
            (416, None, 1u32),
            (416, None, 2),
            (2, None, 3),
            (1, Some(10415), 4),
            (264, None, 5),
            (266, None, 6),
        ] {
            let flags = if vendor.is_some() { 0xc0 } else { 0x40 };
            m.avps.push(RawAvp::from_value(code, flags, vendor, &v));
        }
        m.to_bytes().to_vec()
    }

    fn avps(ans: &RawMessage<'_>) -> Vec<(u32, Option<u32>)> {
        ans.avps.iter().map(|a| (a.code, a.vendor_id)).collect()
    }

    #[test]
    fn required_answer_avps_are_copied_from_the_request() {
        let req = request_with_copies();
        let vs = vec![violation(
            5005,
            &[0, 0, 1, 0x9f, 0x40, 0, 0, 12, 0, 0, 0, 0],
        )];
        let ans = error_answer_with(&req, (&vs).into(), &id(), Some(&ANSWER)).unwrap();
        // In the grammar's order, after Session-Id; A's first occurrence only; not the optional
        // one, not ours to describe (Origin-Host, Vendor-Id), not the one the request lacks.
        assert_eq!(
            avps(&ans),
            [
                (263, None),
                (1, Some(10415)),
                (416, None),
                (264, None),
                (296, None),
                (268, None),
                (281, None),
                (279, None),
                (284, None),
                (284, None),
            ]
        );
        assert_eq!(ans.find(416, 0).unwrap().value::<u32>().unwrap(), 1);
        assert_eq!(ans.find(1, 10415).unwrap().flags.0, 0xc0);
        assert_eq!(&ans.find(264, 0).unwrap().data[..], b"server.example");
        // Without the grammar: RFC 6733's shape only.
        let plain = error_answer(&req, (&vs).into(), &id()).unwrap();
        assert_eq!(plain.avps.len(), 8);
    }

    #[test]
    fn protocol_errors_and_offending_avps_are_not_copied() {
        let req = request_with_copies();
        // 3xxx: the E bit, RFC 6733's answer-message grammar; nothing copied.
        let vs = vec![violation(3009, &[0, 0, 0, 2, 0x5f, 0, 0, 8])];
        let ans = error_answer_with(&req, (&vs).into(), &id(), Some(&ANSWER)).unwrap();
        assert!(ans.header.flags.is_error());
        assert!(ans.find(416, 0).is_none() && ans.find(1, 10415).is_none());
        // A top-level AVP a violation names is at fault: not copied.
        let mut bad_a = violation(5004, &[0, 0, 1, 0xa0, 0x40, 0, 0, 12, 0, 0, 0, 1]);
        bad_a.code = 416;
        let vs = vec![bad_a];
        let ans = error_answer_with(&req, (&vs).into(), &id(), Some(&ANSWER)).unwrap();
        assert!(ans.find(416, 0).is_none());
        assert!(ans.find(1, 10415).is_some());
    }

    #[test]
    fn decode_errors_and_non_requests() {
        let mut bytes = request().to_bytes().to_vec();
        bytes[20 + 4] = 0x5f; // reserved bits on Session-Id
        let err = RawMessage::decode(Bytes::from(bytes.clone())).unwrap_err();
        let ans = error_answer(&bytes, (&err).into(), &id()).unwrap();
        assert!(ans.header.flags.is_error());
        assert_eq!(ans.find(268, 0).unwrap().value::<u32>().unwrap(), 3009);
        let lenient = crate::DecodeOptions::lenient();
        assert_eq!(
            ans.find(279, 0).unwrap().grouped_with(&lenient).unwrap()[0].code,
            263
        );
        // No Session-Id could be read: the walk stopped at the malformed first AVP.
        assert!(ans.find(263, 0).is_none());
        let answer = RawMessage::new(Header::answer_to(&Header::request(272, 4))).to_bytes();
        assert!(error_answer(&answer, (&err).into(), &id()).is_none());
        assert!(error_answer(&request().to_bytes(), Problem::Violations(&[]), &id()).is_none());
    }
}
