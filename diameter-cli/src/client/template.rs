//! Requests given as JSON (the `decode --format json` form), made into templates that `send`
//! and `load` turn into distinct wire messages cheaply.
//!
//! What the JSON leaves out is filled in: Origin-Host and Origin-Realm (the tool's identity),
//! and Session-Id for commands whose grammar has one (the placeholder `{session}`, so that the
//! messages of one round share a session and rounds differ). Hop-by-hop and end-to-end
//! identifiers are always the node's.
//!
//! Placeholders in any string value (also numbers given as strings, e.g. `"{step}"` for
//! CC-Request-Number) are replaced per request:
//! - `{seq}` — the request's number in the run (0, 1, 2, ...);
//! - `{round}` — the round's number: a round is one pass over the file's messages;
//! - `{step}` — the message's index in the file (0-based);
//! - `{session}` — the round's Session-Id, `<origin-host>;<start time>;<round>` (RFC 6733 8.8).
//!
//! The top-level AVPs without placeholders are encoded once; the others are encoded per
//! request from their JSON.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use diameter_runtime::consts::avp_code;
use diameter_runtime::header::{Header, HEADER_LEN, MAX_U24};
use serde_json::{json, Value};

use crate::dict;
use crate::encode::{self, IdGenerator};

/// The placeholders a string value may hold.
const PLACEHOLDERS: [&str; 4] = ["{seq}", "{round}", "{step}", "{session}"];

/// The Session-Id a template is checked with.
const PROBE_SESSION: &str = "probe.invalid;0;0";

/// Where one request sits in a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Slot {
    /// Request number in the run.
    pub seq: u64,
    /// Round (pass over the file) number.
    pub round: u64,
    /// Index of the message in the file.
    pub step: usize,
}

/// One top-level AVP of a template.
#[derive(Debug)]
enum Part {
    /// Encoded once (with its padding).
    Fixed(Bytes),
    /// Holds placeholders: encoded per request from this JSON.
    Dynamic(Value),
}

/// A request ready to be stamped out.
#[derive(Debug)]
pub struct Template {
    header: Header,
    parts: Vec<Part>,
    lenient: bool,
}

/// The requests of one file, and what the round's Session-Id is made of.
#[derive(Debug)]
pub struct Script {
    /// The templates, in file order.
    pub messages: Vec<Template>,
    session_prefix: String,
}

fn has_placeholder(v: &Value) -> bool {
    match v {
        Value::String(s) => PLACEHOLDERS.iter().any(|p| s.contains(p)),
        Value::Array(a) => a.iter().any(has_placeholder),
        Value::Object(o) => o.values().any(has_placeholder),
        _ => false,
    }
}

fn substitute(v: &mut Value, slot: Slot, session: &str) {
    match v {
        Value::String(s) if s.contains('{') => {
            *s = s
                .replace("{seq}", &slot.seq.to_string())
                .replace("{round}", &slot.round.to_string())
                .replace("{step}", &slot.step.to_string())
                .replace("{session}", session);
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, slot, session)),
        Value::Object(o) => o.values_mut().for_each(|x| substitute(x, slot, session)),
        _ => {}
    }
}

/// The code of an AVP object, by `code` or by `name`.
fn avp_code_of(v: &Value) -> Option<u32> {
    let o = v.as_object()?;
    if let Some(c) = o.get("code").and_then(Value::as_u64) {
        return u32::try_from(c).ok();
    }
    let vendor = o.get("vendor_id").and_then(Value::as_u64).unwrap_or(0);
    let def = dict::avp_by_name(o.get("name")?.as_str()?)?;
    (u64::from(def.vendor_id) == vendor).then_some(def.code)
}

impl Script {
    /// Reads the requests of `text` (one JSON object, JSON Lines or an array) as templates
    /// for a node named `origin_host`/`origin_realm`. Answers (R bit clear) are refused.
    pub fn parse(
        text: &str,
        origin_host: &str,
        origin_realm: &str,
        lenient: bool,
    ) -> Result<Script, String> {
        let mut messages = Vec::new();
        for (n, v) in encode::messages(text).into_iter().enumerate() {
            let at = |e: String| format!("message {}: {e}", n + 1);
            let v = v.map_err(at)?;
            messages.push(Template::new(v, origin_host, origin_realm, lenient).map_err(at)?);
        }
        if messages.is_empty() {
            return Err("no message in the input".into());
        }
        let start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(Script {
            messages,
            session_prefix: format!("{origin_host};{start};"),
        })
    }

    /// The Session-Id of `round`.
    pub fn session_id(&self, round: u64) -> String {
        format!("{}{round}", self.session_prefix)
    }

    /// The wire bytes of the request at `slot` (identifiers zero: the node sets them).
    pub fn render(&self, slot: Slot) -> Result<BytesMut, String> {
        let t = self
            .messages
            .get(slot.step)
            .ok_or_else(|| format!("no message {}", slot.step))?;
        t.render(slot, &self.session_id(slot.round))
    }
}

impl Template {
    fn new(
        mut v: Value,
        origin_host: &str,
        origin_realm: &str,
        lenient: bool,
    ) -> Result<Template, String> {
        // The header, to find the command's grammar; placeholders take sample values, which
        // also checks that the template encodes.
        let mut probe = v.clone();
        substitute(&mut probe, Slot::default(), PROBE_SESSION);
        let sample = encode::encode_message(&probe, lenient, &mut IdGenerator::new())?;
        let header = Header::decode_unchecked(&sample).map_err(|e| e.to_string())?;
        if !header.flags.is_request() {
            return Err("not a request (its R bit is clear)".into());
        }
        let o = v.as_object_mut().ok_or("not a JSON object")?;
        if o.get("unparsed").is_some_and(|u| !u.is_null()) {
            return Err("\"unparsed\" bytes cannot be sent".into());
        }
        let avps = match o.entry("avps").or_insert_with(|| json!([])) {
            Value::Array(a) => a,
            other => return Err(format!("avps: {other} is not an array")),
        };
        let present = |avps: &[Value], code| avps.iter().any(|a| avp_code_of(a) == Some(code));
        let grammar =
            dict::command(header.application_id, header.command_code).map(|(_, c)| c.request);
        let names_session = grammar.is_some_and(|g| {
            g.rules
                .iter()
                // `*0[ Session-Id ]` rules exclude it.
                .any(|r| {
                    r.avp.code == avp_code::SESSION_ID && r.avp.vendor_id == 0 && r.max != Some(0)
                })
        });
        // Session-Id first (its fixed place), then the identities.
        let mut at = 0;
        if names_session && !present(avps, avp_code::SESSION_ID) {
            avps.insert(0, json!({"name": "Session-Id", "value": "{session}"}));
        }
        if avps
            .first()
            .is_some_and(|a| avp_code_of(a) == Some(avp_code::SESSION_ID))
        {
            at = 1;
        }
        if !present(avps, avp_code::ORIGIN_HOST) {
            avps.insert(at, json!({"name": "Origin-Host", "value": origin_host}));
            at += 1;
        }
        if !present(avps, avp_code::ORIGIN_REALM) {
            avps.insert(at, json!({"name": "Origin-Realm", "value": origin_realm}));
        }
        let mut parts = Vec::with_capacity(avps.len());
        for (i, a) in avps.iter().enumerate() {
            if has_placeholder(a) {
                // Checked now with a sample, so that a bad template fails before sending.
                let mut probe = a.clone();
                substitute(&mut probe, Slot::default(), PROBE_SESSION);
                encode::encode_avp(&probe, &format!("avps[{i}]"), lenient)?;
                parts.push(Part::Dynamic(a.clone()));
            } else {
                let mut b = BytesMut::new();
                encode::encode_avp(a, &format!("avps[{i}]"), lenient)?.encode(&mut b);
                parts.push(Part::Fixed(b.freeze()));
            }
        }
        Ok(Template {
            header,
            parts,
            lenient,
        })
    }

    /// The request's Application-Id.
    pub fn application_id(&self) -> u32 {
        self.header.application_id
    }

    /// Does the request advertise itself as accounting (an Acct-Application-Id AVP, or the
    /// base accounting application 3)?
    pub fn is_accounting(&self) -> bool {
        self.header.application_id == 3
            || self.parts.iter().any(|p| match p {
                // An AVP header: code, then flags (V clear: a base AVP).
                Part::Fixed(b) => {
                    b.len() >= 5
                        && b[..4] == avp_code::ACCT_APPLICATION_ID.to_be_bytes()
                        && b[4] & 0x80 == 0
                }
                Part::Dynamic(v) => avp_code_of(v) == Some(avp_code::ACCT_APPLICATION_ID),
            })
    }

    fn render(&self, slot: Slot, session: &str) -> Result<BytesMut, String> {
        let mut buf = BytesMut::with_capacity(256);
        buf.put_bytes(0, HEADER_LEN);
        for (i, p) in self.parts.iter().enumerate() {
            match p {
                Part::Fixed(b) => buf.put_slice(b),
                Part::Dynamic(v) => {
                    let mut v = v.clone();
                    substitute(&mut v, slot, session);
                    encode::encode_avp(&v, &format!("avps[{i}]"), self.lenient)?.encode(&mut buf);
                }
            }
        }
        let len = u32::try_from(buf.len())
            .ok()
            .filter(|l| *l <= MAX_U24)
            .ok_or("the message is longer than 2^24 - 1 bytes")?;
        let header = Header {
            length: len,
            hop_by_hop: 0,
            end_to_end: 0,
            ..self.header
        };
        let mut head = BytesMut::with_capacity(HEADER_LEN);
        header.encode(&mut head);
        buf[..HEADER_LEN].copy_from_slice(&head[..HEADER_LEN]);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_runtime::{DecodeOptions, RawMessage};

    fn ccr() -> &'static str {
        r#"{"command": "CCR", "avps": [
            {"name": "Destination-Realm", "value": "example.net"},
            {"name": "Auth-Application-Id", "value": 4},
            {"name": "Service-Context-Id", "value": "32251@3gpp.org"},
            {"name": "CC-Request-Type", "enum": "INITIAL_REQUEST"},
            {"name": "CC-Request-Number", "value": "{step}"},
            {"name": "Subscription-Id", "value": [
                {"name": "Subscription-Id-Type", "enum": "END_USER_E164"},
                {"name": "Subscription-Id-Data", "value": "4670{seq}"}]}]}"#
    }

    fn text_of(m: &RawMessage<'_>, code: u32) -> String {
        let a = m.find(code, 0).expect("AVP present");
        String::from_utf8(a.data.as_bytes().to_vec()).expect("UTF-8")
    }

    #[test]
    fn fills_identities_and_session_and_substitutes() {
        let s = Script::parse(ccr(), "cli.example.net", "example.net", false).expect("parse");
        let slot = Slot {
            seq: 17,
            round: 3,
            step: 0,
        };
        let bytes = s.render(slot).expect("render").freeze();
        let m = RawMessage::parse(&bytes, &DecodeOptions::default()).expect("valid message");
        assert_eq!(
            m.avps[0].code,
            avp_code::SESSION_ID,
            "Session-Id comes first"
        );
        assert_eq!(text_of(&m, avp_code::SESSION_ID), s.session_id(3));
        assert!(text_of(&m, avp_code::SESSION_ID).starts_with("cli.example.net;"));
        assert_eq!(text_of(&m, avp_code::ORIGIN_HOST), "cli.example.net");
        assert_eq!(text_of(&m, avp_code::ORIGIN_REALM), "example.net");
        let sub = m
            .find(443, 0)
            .expect("Subscription-Id")
            .grouped()
            .expect("grouped");
        assert_eq!(sub[1].data.as_bytes(), b"467017");
        assert_eq!(
            m.find(415, 0).expect("CC-Request-Number").data.as_bytes(),
            [0; 4]
        );
        assert_eq!(m.header.hop_by_hop, 0);
        assert_eq!(m.header.application_id, 4);
        // Another round: another session.
        let other = s
            .render(Slot { round: 4, ..slot })
            .expect("render")
            .freeze();
        assert_ne!(bytes, other);
    }

    #[test]
    fn keeps_what_is_given_and_refuses_answers() {
        let given = r#"{"command": "CCR", "avps": [
            {"name": "Session-Id", "value": "mine;1;2"},
            {"name": "Origin-Host", "value": "given.example"}]}"#;
        let s = Script::parse(given, "cli.example", "example", false).expect("parse");
        let bytes = s.render(Slot::default()).expect("render").freeze();
        let m = RawMessage::parse(&bytes, &DecodeOptions::default()).expect("valid");
        assert_eq!(text_of(&m, avp_code::SESSION_ID), "mine;1;2");
        assert_eq!(text_of(&m, avp_code::ORIGIN_HOST), "given.example");
        assert_eq!(text_of(&m, avp_code::ORIGIN_REALM), "example");
        let cca = r#"{"command": "CCA", "avps": []}"#;
        let e = Script::parse(cca, "a.example", "example", false).unwrap_err();
        assert!(e.contains("not a request"), "{e}");
        let bad =
            r#"{"command": "CCR", "avps": [{"name": "CC-Request-Number", "value": "x{seq}"}]}"#;
        assert!(Script::parse(bad, "a.example", "example", false).is_err());
        // Which applications the CER advertises, and how.
        // (By name alone, "ACR" is NASREQ's, application 1: the first application defining it.)
        let acr = r#"{"command": "ACR", "application_id": 3,
            "avps": [{"name": "Acct-Application-Id", "value": 3}]}"#;
        let acr = Script::parse(acr, "a.example", "example", false).expect("parse");
        assert!(acr.messages[0].is_accounting());
        assert_eq!(acr.messages[0].application_id(), 3);
        assert!(!s.messages[0].is_accounting());
        // No Session-Id is added to a command whose grammar has none.
        let dwr =
            Script::parse(r#"{"command": "DWR"}"#, "a.example", "example", false).expect("parse");
        let b = dwr.render(Slot::default()).expect("render").freeze();
        let m = RawMessage::parse(&b, &DecodeOptions::default()).expect("valid");
        assert!(m.find(avp_code::SESSION_ID, 0).is_none());
    }
}
