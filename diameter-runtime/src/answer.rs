//! Building the answer RFC 6733 requires when a request is rejected: Result-Code, Failed-AVP,
//! the E bit for protocol errors, Origin-Host/Realm, Session-Id and Proxy-Info.

use bytes::Bytes;

use crate::avp::{AvpFlags, AvpIter};
use crate::consts::{avp_code, result_code};
use crate::error::DecodeError;
use crate::header::{CommandFlags, Header};
use crate::raw::{RawAvp, RawMessage};
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
/// the request's. An application answer with more required AVPs (e.g. CCA's CC-Request-Type)
/// can take these AVPs and add its own.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Utf8String;

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
