//! `diameter encode`: messages given as JSON (the form `decode --format json` prints) back to
//! bytes.
//!
//! What is given is used as given (AVP order, flags including the P and reserved bits, header
//! ids), so encoding a decoded message gives the original bytes; what is missing defaults from
//! the dictionaries. An AVP whose object carries `"error"` (its value could not be decoded)
//! takes its `value` as the raw hex.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use diameter_runtime::avp::AvpFlags;
use diameter_runtime::dictionary::AvpDef;
use diameter_runtime::header::{CommandFlags, Header, MAX_U24, VERSION};
use diameter_runtime::types::{AvpType, DiameterIdentity, DiameterUri, Time};
use diameter_runtime::{RawAvp, RawMessage};
use serde_json::{Map, Value};

use crate::dict;

/// Hop-by-Hop and End-to-End identifiers for messages that give none: a SplitMix64 sequence
/// seeded from the clock and the process id (unique enough for a tool; no `rand` needed).
pub struct IdGenerator {
    state: u64,
}

impl IdGenerator {
    /// A generator seeded from now.
    pub fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        IdGenerator {
            state: nanos ^ (u64::from(std::process::id()) << 32),
        }
    }

    /// The next identifier.
    pub fn next_id(&mut self) -> u32 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as u32
    }
}

/// The JSON values of the input: one object, a stream of objects (JSON Lines or not), or
/// arrays of them. A JSON Lines input with a bad line still yields its other lines.
pub fn messages(text: &str) -> Vec<Result<Value, String>> {
    let mut out = Vec::new();
    for r in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match r {
            Ok(Value::Array(items)) => out.extend(items.into_iter().map(Ok)),
            Ok(v) => out.push(Ok(v)),
            Err(e) => {
                let lines: Vec<&str> = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect();
                if lines.len() > 1 && lines.iter().all(|l| l.starts_with(['{', '['])) {
                    let mut out = Vec::new();
                    for (n, l) in lines.iter().enumerate() {
                        match serde_json::from_str(l) {
                            Ok(Value::Array(items)) => out.extend(items.into_iter().map(Ok)),
                            Ok(v) => out.push(Ok(v)),
                            Err(e) => out.push(Err(format!("line {}: {e}", n + 1))),
                        }
                    }
                    return out;
                }
                out.push(Err(format!("invalid JSON: {e}")));
                break;
            }
        }
    }
    out
}

fn get_u32(o: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u32>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{path}{key}: {v} is not an unsigned 32-bit number")),
    }
}

fn get_bool(o: &Map<String, Value>, key: &str, path: &str) -> Result<Option<bool>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(format!("{path}{key}: {v} is not true or false")),
    }
}

/// A flags object `{"request": true, ...}` (or a number: the raw octet) over `default`.
fn flags_byte(
    v: Option<&Value>,
    bits: &[(&str, u8)],
    default: u8,
    path: &str,
) -> Result<u8, String> {
    match v {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(|| format!("{path}flags: {n} is not an octet")),
        Some(Value::Object(o)) => {
            let mut f = default;
            for &(key, bit) in bits {
                match get_bool(o, key, &format!("{path}flags."))? {
                    Some(true) => f |= bit,
                    Some(false) => f &= !bit,
                    None => {}
                }
            }
            if let Some(r) = get_u32(o, "reserved", &format!("{path}flags."))? {
                let mask = bits.iter().fold(0xffu8, |m, &(_, b)| m & !b);
                let r = u8::try_from(r)
                    .ok()
                    .filter(|r| r & !mask == 0)
                    .ok_or_else(|| {
                        format!("{path}flags.reserved: {r} is not within {mask:#04x}")
                    })?;
                f = (f & !mask) | r;
            }
            Ok(f)
        }
        Some(v) => Err(format!("{path}flags: {v} is not an object")),
    }
}

/// Encodes one message object.
pub fn encode_message(v: &Value, lenient: bool, ids: &mut IdGenerator) -> Result<Bytes, String> {
    let o = v.as_object().ok_or("not a JSON object")?;
    if let Some(e) = o.get("error").and_then(Value::as_str) {
        return Err(format!(
            "this message could not be decoded ({e}): nothing to encode"
        ));
    }
    let version = match get_u32(o, "version", "")? {
        None => VERSION,
        Some(v) => u8::try_from(v).map_err(|_| format!("version: {v} is not an octet"))?,
    };
    let name = match o.get("command") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(v) => return Err(format!("command: {v} is not a string")),
    };
    let code_given = get_u32(o, "command_code", "")?;
    let app_given = get_u32(o, "application_id", "")?;
    let mut request_default = None;
    let def = match name {
        Some(name) => {
            let mut found = dict::find_command(name);
            // A command several applications define (ACR: base accounting and NASREQ) means
            // the base protocol's unless an application id says otherwise.
            found.sort_by_key(|(a, _, _)| a.spec != "RFC 6733");
            let best = found
                .iter()
                .find(|(a, c, _)| {
                    app_given.map_or(true, |id| a.id == id)
                        && code_given.map_or(true, |k| c.code == k)
                })
                .or_else(|| {
                    found
                        .iter()
                        .find(|(_, c, _)| code_given.map_or(true, |k| c.code == k))
                })
                .copied();
            match best {
                Some((a, c, side)) => {
                    request_default = side;
                    Some((a, c))
                }
                None if code_given.is_some() => None,
                None => {
                    return Err(format!(
                        "command: no command named {name:?} in the dictionaries"
                    ))
                }
            }
        }
        None => code_given.and_then(|code| dict::command(app_given.unwrap_or(0), code)),
    };
    let command_code = code_given
        .or(def.map(|(_, c)| c.code))
        .ok_or("needs \"command\" or \"command_code\"")?;
    if command_code > MAX_U24 {
        return Err(format!(
            "command_code: {command_code} does not fit in 24 bits"
        ));
    }
    let application_id = app_given.or(def.map(|(a, _)| a.id)).unwrap_or(0);
    let mut default_flags = 0;
    if request_default.unwrap_or(true) {
        default_flags |= CommandFlags::REQUEST;
    }
    if def.map_or(true, |(_, c)| c.proxiable) {
        default_flags |= CommandFlags::PROXIABLE;
    }
    let flags = flags_byte(
        o.get("flags"),
        &[
            ("request", CommandFlags::REQUEST),
            ("proxiable", CommandFlags::PROXIABLE),
            ("error", CommandFlags::ERROR),
            ("retransmit", CommandFlags::RETRANSMIT),
        ],
        default_flags,
        "",
    )?;
    let hop_by_hop = match get_u32(o, "hop_by_hop", "")? {
        Some(v) => v,
        None => ids.next_id(),
    };
    let end_to_end = match get_u32(o, "end_to_end", "")? {
        Some(v) => v,
        None => ids.next_id(),
    };
    let header = Header {
        version,
        length: 0,
        flags: CommandFlags(flags),
        command_code,
        application_id,
        hop_by_hop,
        end_to_end,
    };
    let avps = match o.get("avps") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, a)| encode_avp(a, &format!("avps[{i}]"), lenient))
            .collect::<Result<Vec<_>, _>>()?,
        Some(v) => return Err(format!("avps: {v} is not an array")),
    };
    // Bytes a decoder could not walk as AVPs, written back as they were.
    let unparsed = match o.get("unparsed") {
        None | Some(Value::Null) => Bytes::new(),
        v => hex_value(v).map_err(|e| format!("unparsed: {e}"))?,
    };
    let msg = RawMessage { header, avps };
    let total = msg.encoded_len() + unparsed.len();
    if total > MAX_U24 as usize {
        return Err(format!("the message would be {total} bytes, over 2^24 - 1"));
    }
    // Through the runtime's one AVP writer, the unparsed bytes after the AVPs.
    let mut buf = BytesMut::with_capacity(total);
    diameter_runtime::enc::message(&mut buf, &msg.header, |w| {
        diameter_runtime::raw::put_raw(w, &msg.avps);
        w.put(&unparsed);
    });
    Ok(buf.freeze())
}

fn find_type(s: &str) -> Option<AvpType> {
    AvpType::from_name(s).or_else(|| {
        AvpType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    })
}

/// Encodes one AVP object; `path` names it in errors, e.g. `avps[3]`.
pub fn encode_avp(v: &Value, path: &str, lenient: bool) -> Result<RawAvp<'static>, String> {
    let o = v
        .as_object()
        .ok_or_else(|| format!("{path}: {v} is not an AVP object"))?;
    let name = match o.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(v) => return Err(format!("{path}.name: {v} is not a string")),
    };
    let path = match name {
        Some(n) => format!("{path} ({n})"),
        None => path.to_string(),
    };
    let p = format!("{path}.");
    let code = get_u32(o, "code", &p)?;
    let vendor_given = get_u32(o, "vendor_id", &p)?;
    let def: Option<&'static AvpDef> = match (code, name) {
        (Some(c), _) => {
            let d = diameter_messages::avp_def(c, vendor_given.unwrap_or(0));
            if let (Some(n), Some(by_name)) = (name, name.and_then(dict::avp_by_name)) {
                if d.map_or(true, |d| d.name != by_name.name) {
                    return Err(format!(
                        "{path}: {n} is AVP {} (vendor {}), not {c} (vendor {})",
                        by_name.code,
                        by_name.vendor_id,
                        vendor_given.unwrap_or(0)
                    ));
                }
            }
            d
        }
        (None, Some(n)) => Some(dict::avp_by_name(n).ok_or_else(|| {
            format!("{path}: no AVP named {n:?} in the dictionaries; give its \"code\"")
        })?),
        (None, None) => return Err(format!("{path}: an AVP needs \"name\" or \"code\"")),
    };
    let code = code.or(def.map(|d| d.code)).unwrap_or(0);
    let vendor_id = vendor_given.or(def.map(|d| d.vendor_id)).unwrap_or(0);
    let mut default_flags = def.map_or(0, AvpDef::default_flags);
    if vendor_id != 0 {
        default_flags |= AvpFlags::VENDOR;
    }
    let flags = flags_byte(
        o.get("flags"),
        &[
            ("vendor", AvpFlags::VENDOR),
            ("mandatory", AvpFlags::MANDATORY),
            ("protected", AvpFlags::PROTECTED),
        ],
        default_flags,
        &p,
    )?;
    let vendor = if flags & AvpFlags::VENDOR != 0 {
        Some(vendor_id)
    } else if vendor_id != 0 {
        return Err(format!("{path}: vendor_id {vendor_id} needs the V flag"));
    } else {
        None
    };
    let ty = match o.get("type") {
        None => def.map(|d| d.ty),
        Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(find_type(s).ok_or_else(|| format!("{p}type: {s:?} is no AVP data type"))?)
        }
        Some(v) => return Err(format!("{p}type: {v} is not a string")),
    };
    let value = o.get("value");
    let undecoded = o.get("error").is_some_and(|e| !e.is_null());
    let data = match ty {
        Some(AvpType::Grouped) if !undecoded && value.is_some_and(Value::is_array) => {
            let mut buf = BytesMut::new();
            for (i, child) in value
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                encode_avp(child, &format!("{path}.value[{i}]"), lenient)?.encode(&mut buf);
            }
            buf.freeze()
        }
        Some(ty) if !undecoded => typed_value(ty, def, value, o.get("enum"), lenient)
            .map_err(|e| format!("{p}value: {e}"))?,
        _ => hex_value(value).map_err(|e| format!("{p}value: {e}"))?,
    };
    if data.len() + 12 > MAX_U24 as usize {
        return Err(format!(
            "{path}: {} bytes of data do not fit in an AVP",
            data.len()
        ));
    }
    Ok(RawAvp::new(code, flags, vendor, data))
}

/// Raw data given as hex (an optional `0x` and white space allowed).
fn hex_value(v: Option<&Value>) -> Result<Bytes, String> {
    match v {
        None | Some(Value::Null) => Ok(Bytes::new()),
        Some(Value::String(s)) => {
            let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            let digits = digits.strip_prefix("0x").unwrap_or(&digits);
            hex::decode(digits)
                .map(Bytes::from)
                .map_err(|e| format!("{s:?} is not hex: {e}"))
        }
        Some(v) => Err(format!("{v} is not a hex string")),
    }
}

fn put<T>(f: impl FnOnce(&mut BytesMut, T), v: T) -> Bytes {
    let mut b = BytesMut::new();
    f(&mut b, v);
    b.freeze()
}

fn int<T: TryFrom<i128>>(v: &Value, ty: &str) -> Result<T, String> {
    let n: Option<i128> = match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("{v} is not a valid {ty}"))
}

fn float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{v} is not a number"))
}

fn text(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| format!("{v} is not a string"))
}

/// The data of a value of type `ty`.
fn typed_value(
    ty: AvpType,
    def: Option<&AvpDef>,
    value: Option<&Value>,
    enum_name: Option<&Value>,
    lenient: bool,
) -> Result<Bytes, String> {
    let missing = || format!("missing for a {ty} AVP");
    if ty == AvpType::Enumerated {
        let by_name = |n: &str| {
            def.and_then(|d| d.enum_value(n))
                .ok_or_else(|| format!("{n:?} is not a value of this AVP"))
        };
        let v: i32 = match (value, enum_name) {
            (Some(Value::String(s)), _) => match s.trim().parse() {
                Ok(v) => v,
                Err(_) => by_name(s)?,
            },
            (Some(v), _) if !v.is_null() => int(v, "Enumerated (Integer32)")?,
            (_, Some(Value::String(n))) => by_name(n)?,
            _ => return Err(missing()),
        };
        return Ok(put(BytesMut::put_i32, v));
    }
    let v = match value {
        None | Some(Value::Null) => return Err(missing()),
        Some(v) => v,
    };
    Ok(match ty {
        AvpType::OctetString => hex_value(Some(v))?,
        AvpType::Integer32 => put(BytesMut::put_i32, int(v, "Integer32")?),
        AvpType::Integer64 => put(BytesMut::put_i64, int(v, "Integer64")?),
        AvpType::Unsigned32 => put(BytesMut::put_u32, int(v, "Unsigned32")?),
        AvpType::Unsigned64 => put(BytesMut::put_u64, int(v, "Unsigned64")?),
        AvpType::Float32 => put(BytesMut::put_f32, float(v)? as f32),
        AvpType::Float64 => put(BytesMut::put_f64, float(v)?),
        AvpType::Utf8String | AvpType::IpFilterRule | AvpType::QosFilterRule => {
            Bytes::copy_from_slice(text(v)?.as_bytes())
        }
        AvpType::DiameterIdentity => {
            let s = text(v)?;
            if !lenient {
                DiameterIdentity::try_from(s)
                    .map_err(|e| format!("{e} (--lenient writes it anyway)"))?;
            }
            Bytes::copy_from_slice(s.as_bytes())
        }
        AvpType::DiameterUri => {
            let s = text(v)?;
            if !lenient {
                DiameterUri::try_from(s)
                    .map_err(|e| format!("{e} (--lenient writes it anyway)"))?;
            }
            Bytes::copy_from_slice(s.as_bytes())
        }
        AvpType::Address => address(text(v)?)?,
        AvpType::Time => {
            let s = text(v)?;
            let t = Time::parse_rfc3339(s).ok_or_else(|| {
                format!("{s:?} is not a time of the form 2024-01-02T03:04:05Z within 1968..2104")
            })?;
            put(BytesMut::put_u32, t.ntp_seconds())
        }
        // Grouped values given as hex.
        AvpType::Grouped => hex_value(Some(v))?,
        AvpType::Enumerated => return Err(missing()),
    })
}

/// `192.0.2.1`, `2001:db8::1`, or `<family>:<hex>` for other address families.
fn address(s: &str) -> Result<Bytes, String> {
    let mut b = BytesMut::new();
    if let Ok(ip) = s.trim().parse::<IpAddr>() {
        match ip {
            IpAddr::V4(a) => {
                b.put_u16(1);
                b.put_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                b.put_u16(2);
                b.put_slice(&a.octets());
            }
        }
        return Ok(b.freeze());
    }
    let (family, data) = s
        .split_once(':')
        .and_then(|(f, h)| Some((f.trim().parse::<u16>().ok()?, hex::decode(h.trim()).ok()?)))
        .ok_or_else(|| format!("{s:?} is not an IP address or <family>:<hex>"))?;
    b.put_u16(family);
    b.put_slice(&data);
    Ok(b.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_from_the_dictionaries() {
        let mut ids = IdGenerator::new();
        let v = json!({"command": "DWR", "hop_by_hop": 1, "end_to_end": 2, "avps": [
            {"name": "Origin-Host", "value": "a.example"},
            {"name": "Origin-Realm", "value": "example.org"}]});
        let b = encode_message(&v, false, &mut ids).unwrap();
        assert_eq!(
            hex::encode(&b),
            "0100003c800001180000000000000001000000020000010840000011612e6578616d706c6500000000000128400000136578616d706c652e6f726700"
        );
    }

    #[test]
    fn enum_by_name_vendor_and_errors() {
        let mut ids = IdGenerator::new();
        let v = json!({"command": "Credit-Control-Request", "avps": [
            {"name": "CC-Request-Type", "enum": "TERMINATION_REQUEST"},
            {"code": 1, "vendor_id": 65535, "value": "0102"},
            {"name": "Event-Timestamp", "value": "2024-01-02T03:04:05Z"},
            {"name": "Host-IP-Address", "value": "8:3439"}]});
        let b = encode_message(&v, false, &mut ids).unwrap();
        assert_eq!(&b[8..12], &[0, 0, 0, 4]);
        assert_eq!(b[4], 0xc0);
        assert_eq!(&b[20..32], &[0, 0, 1, 0xa0, 0x40, 0, 0, 12, 0, 0, 0, 3]);
        assert_eq!(
            &b[32..46],
            &[0, 0, 0, 1, 0x80, 0, 0, 14, 0, 0, 0xff, 0xff, 1, 2]
        );
        let bad = json!({"command": "DWR", "avps": [{"name": "Origin-Host", "value": "a b"}]});
        let e = encode_message(&bad, false, &mut ids).unwrap_err();
        assert!(e.contains("avps[0] (Origin-Host)"), "{e}");
        assert!(encode_message(&bad, true, &mut ids).is_ok());
        assert!(encode_message(&json!({"avps": []}), false, &mut ids).is_err());
    }

    #[test]
    fn json_lines_with_a_bad_line() {
        let m = messages("{\"a\":1}\n{bad\n[{\"b\":2}]\n");
        assert_eq!(m.len(), 3);
        assert!(m[0].is_ok() && m[1].is_err());
        assert_eq!(messages("[{\"a\":1},{\"b\":2}]").len(), 2);
    }

    #[test]
    fn ids_differ() {
        let mut g = IdGenerator::new();
        assert_ne!(g.next_id(), g.next_id());
    }
}
