//! The message form `decode` prints (the JSON of CLI-JSON.md, and the model the text printer
//! renders): header fields, the AVP tree walked with the dictionaries, and what a receiver
//! would answer.
//!
//! The tree is built from the raw AVPs, not from the typed message: every AVP appears once, in
//! wire order, with its flags as sent, so that `encode` can give back the original bytes. The
//! Result-Code and violations come from the typed decoder of `diameter-messages`.

use bytes::Bytes;
use diameter_messages::Message;
use diameter_runtime::avp::{AvpIter, AvpRef, Leniency};
use diameter_runtime::dictionary::AvpDef;
use diameter_runtime::types::{
    Address, AvpType, AvpValue, DiameterIdentity, DiameterUri, IpFilterRule, QosFilterRule, Time,
    Utf8String,
};
use diameter_runtime::{DecodeError, DecodeOptions, Violation};
use serde::Serialize;

use crate::dict;
use crate::input::{CaptureInfo, Item};

fn is_zero(v: &u8) -> bool {
    *v == 0
}

/// One message, as `decode --format json` prints it.
#[derive(Debug, Serialize)]
pub struct MessageView {
    /// The hex line's label.
    pub label: Option<String>,
    /// Why the input could not be read or framed as a message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Protocol version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u8>,
    /// Message-Length as the header says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Command flags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<CommandFlagsView>,
    /// Command code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_code: Option<u32>,
    /// `"Credit-Control-Request"`; null when unknown (absent when the header was unreadable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Option<String>>,
    /// Application-Id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<u32>,
    /// Hop-by-Hop Identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop_by_hop: Option<u32>,
    /// End-to-End Identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_to_end: Option<u32>,
    /// The AVP tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avps: Option<Vec<AvpView>>,
    /// Hex of the body bytes from the first AVP that could not be walked to the end (present
    /// only then); `encode` writes them back after the AVPs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unparsed: Option<String>,
    /// What a receiver would answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_code: Option<u32>,
    /// Every problem found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<ViolationView>>,
    /// Where a captured message was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureView>,
    /// The command's abbreviation (`CCR`), for the text form.
    #[serde(skip)]
    pub abbrev: Option<&'static str>,
}

/// The command flags.
#[derive(Debug, Serialize)]
pub struct CommandFlagsView {
    /// R.
    pub request: bool,
    /// P.
    pub proxiable: bool,
    /// E.
    pub error: bool,
    /// T.
    pub retransmit: bool,
    /// The reserved bits, when any is set.
    #[serde(skip_serializing_if = "is_zero")]
    pub reserved: u8,
}

/// The AVP flags.
#[derive(Debug, Serialize)]
pub struct AvpFlagsView {
    /// V.
    pub vendor: bool,
    /// M.
    pub mandatory: bool,
    /// P.
    pub protected: bool,
    /// The reserved bits, when any is set.
    #[serde(skip_serializing_if = "is_zero")]
    pub reserved: u8,
}

/// One AVP of the tree.
#[derive(Debug, Serialize)]
pub struct AvpView {
    /// Dictionary name; null when unknown.
    pub name: Option<&'static str>,
    /// AVP code.
    pub code: u32,
    /// Vendor-Id, 0 without the V bit.
    pub vendor_id: u32,
    /// Flags as sent.
    pub flags: AvpFlagsView,
    /// Data type; null when unknown.
    #[serde(rename = "type")]
    pub ty: Option<&'static str>,
    /// The value.
    pub value: ValueView,
    /// For Enumerated values: the value's name, or null when unlisted.
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_name: Option<Option<&'static str>>,
    /// For Unsigned32 values the dictionaries name: the value's name (Result-Code,
    /// Experimental-Result-Code of the vendor beside it), or the names of the bits set in a
    /// flag AVP; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<&'static str>>,
    /// Why the data is not a valid value of its type (then `value` is the raw hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An AVP value. The variants serialize as plain JSON values; they differ only in how the
/// text form shows them.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ValueView {
    /// Integer32/64, Enumerated.
    Signed(i64),
    /// Unsigned32/64.
    Unsigned(u64),
    /// Float32 (printed with f32 precision).
    F32(f32),
    /// Float64.
    F64(f64),
    /// Free text (UTF8String, IPFilterRule, QoSFilterRule): quoted in the text form.
    Text(String),
    /// Identities, URIs, addresses, times: shown as is.
    Plain(String),
    /// Lowercase hex of the raw data.
    Hex(String),
    /// The children of a Grouped AVP.
    Group(Vec<AvpView>),
}

/// One violation.
#[derive(Debug, Serialize)]
pub struct ViolationView {
    /// The Result-Code it calls for.
    pub result_code: u32,
    /// The offending AVP's name, when known.
    pub avp: Option<&'static str>,
    /// The offending AVP's code (0 when not about one AVP).
    pub code: u32,
    /// Its Vendor-Id.
    pub vendor_id: u32,
    /// Enclosing command and Grouped AVPs, outermost first.
    pub path: Vec<String>,
    /// What is wrong.
    pub message: String,
    /// Hex of the Failed-AVP content RFC 6733 7.5 asks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_avp: Option<String>,
}

/// Where a captured message was seen.
#[derive(Debug, Serialize)]
pub struct CaptureView {
    /// Packet number (1-based) of the packet completing the message.
    pub packet: usize,
    /// `"tcp"` or `"sctp"`.
    pub transport: &'static str,
    /// Sender address and port.
    pub src: String,
    /// Receiver address and port.
    pub dst: String,
}

impl From<CaptureInfo> for CaptureView {
    fn from(c: CaptureInfo) -> Self {
        CaptureView {
            packet: c.packet,
            transport: c.transport,
            src: c.src,
            dst: c.dst,
        }
    }
}

impl ViolationView {
    /// From a violation the typed decoder found.
    pub fn from_violation(v: &Violation) -> Self {
        ViolationView {
            result_code: v.result_code,
            avp: v.avp,
            code: v.code,
            vendor_id: v.vendor_id,
            path: v.path.iter().map(|p| p.to_string()).collect(),
            message: v.message.clone(),
            failed_avp: v.failed_avp.as_ref().map(hex::encode),
        }
    }

    /// From an error that stopped the whole message.
    pub fn from_error(e: &DecodeError, command: Option<&str>) -> Self {
        let mut path: Vec<String> = command.map(str::to_string).into_iter().collect();
        let mut message = e.to_string();
        let (avp, code, vendor_id, failed) = match e {
            DecodeError::Avp(a) => {
                path.extend(a.path.iter().map(|p| {
                    diameter_messages::avp_def(p.code, p.vendor_id)
                        .map_or_else(|| format!("AVP {}", p.code), |d| d.name.to_string())
                }));
                message = format!("{} (at byte {} of its container)", a.kind, a.offset);
                (
                    diameter_messages::avp_def(a.code, a.vendor_id).map(|d| d.name),
                    a.code,
                    a.vendor_id,
                    Some(hex::encode(&a.failed_avp)),
                )
            }
            _ => (None, 0, 0, None),
        };
        ViolationView {
            result_code: e.result_code(),
            avp,
            code,
            vendor_id,
            path,
            message,
            failed_avp: failed,
        }
    }
}

impl MessageView {
    fn empty(label: Option<String>, capture: Option<CaptureInfo>) -> Self {
        MessageView {
            label,
            error: None,
            version: None,
            length: None,
            flags: None,
            command_code: None,
            command: None,
            application_id: None,
            hop_by_hop: None,
            end_to_end: None,
            avps: None,
            unparsed: None,
            result_code: None,
            violations: None,
            capture: capture.map(CaptureView::from),
            abbrev: None,
        }
    }

    /// Decodes one input item.
    pub fn from_item(item: Item, opts: &DecodeOptions) -> Self {
        let mut v = Self::empty(item.label, item.capture);
        match item.data {
            Err(e) => v.error = Some(e),
            Ok(bytes) => v.decode(bytes, opts),
        }
        v
    }

    /// Decodes one message from its bytes.
    #[cfg(test)]
    pub fn from_bytes(label: Option<String>, bytes: Bytes, opts: &DecodeOptions) -> Self {
        let mut v = Self::empty(label, None);
        v.decode(bytes, opts);
        v
    }

    /// Could the message be framed (it has no `error`), whatever its violations?
    pub fn is_framed(&self) -> bool {
        self.error.is_none()
    }

    /// Was the message read, and is it valid (Result-Code 2001)?
    pub fn is_ok(&self) -> bool {
        self.error.is_none() && self.result_code == Some(2001)
    }

    /// Fills in the header fields the bytes hold, however few.
    fn read_header(&mut self, b: &[u8]) {
        let word = |i: usize| {
            b.get(i..i + 4)
                .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
        };
        self.version = b.first().copied();
        self.length = word(0).map(|w| w & 0x00ff_ffff);
        if let Some(w) = word(4) {
            let f = (w >> 24) as u8;
            self.flags = Some(CommandFlagsView {
                request: f & 0x80 != 0,
                proxiable: f & 0x40 != 0,
                error: f & 0x20 != 0,
                retransmit: f & 0x10 != 0,
                reserved: f & 0x0f,
            });
            self.command_code = Some(w & 0x00ff_ffff);
        }
        self.application_id = word(8);
        self.hop_by_hop = word(12);
        self.end_to_end = word(16);
        if let (Some(code), Some(app), Some(flags)) =
            (self.command_code, self.application_id, &self.flags)
        {
            let found = dict::command(app, code);
            self.abbrev = found.map(|(_, c)| {
                if flags.request {
                    c.request_abbrev
                } else {
                    c.answer_abbrev
                }
            });
            self.command = Some(found.map(|(_, c)| {
                format!(
                    "{}-{}",
                    c.name,
                    if flags.request { "Request" } else { "Answer" }
                )
            }));
        }
    }

    fn decode(&mut self, bytes: Bytes, opts: &DecodeOptions) {
        self.read_header(&bytes);
        if let Some(e) = framing_error(&bytes, opts) {
            self.error = Some(e.to_string());
            self.result_code = Some(e.result_code());
            self.violations = Some(vec![ViolationView::from_error(&e, None)]);
            return;
        }
        let (mut avps, stopped) = walk(&bytes[20..], 1, opts);
        crate::names::fill(&mut avps, self.application_id);
        self.avps = Some(avps);
        self.unparsed = stopped.map(|(_, at)| hex::encode(&bytes[20 + at..]));
        // The richest grammar compiled in: TS 32.299's CCR over RFC 4006's (see
        // `diameter_messages::richest_profile`).
        match Message::decode_profile(&bytes, opts, diameter_messages::richest_profile()) {
            Ok(d) => {
                self.command = Some(d.message.name().map(str::to_string));
                self.result_code = Some(d.result_code());
                self.violations = Some(
                    d.violations
                        .iter()
                        .map(ViolationView::from_violation)
                        .collect(),
                );
            }
            Err(e) => {
                let command = self.command.clone().flatten();
                self.result_code = Some(e.result_code());
                self.violations = Some(vec![ViolationView::from_error(&e, command.as_deref())]);
            }
        }
    }
}

/// Why `bytes` cannot be one whole message at all (before any AVP is looked at).
fn framing_error(bytes: &[u8], opts: &DecodeOptions) -> Option<DecodeError> {
    let Some(h) = bytes.get(..20) else {
        return Some(DecodeError::Truncated { len: bytes.len() });
    };
    let length = u32::from_be_bytes([0, h[1], h[2], h[3]]);
    if h[0] != 1 {
        Some(DecodeError::UnsupportedVersion { version: h[0] })
    } else if length < 20 || length % 4 != 0 {
        Some(DecodeError::InvalidMessageLength { length })
    } else if length > opts.max_message_len {
        Some(DecodeError::MessageTooLarge {
            length,
            limit: opts.max_message_len,
        })
    } else if length as usize != bytes.len() {
        Some(DecodeError::LengthMismatch {
            length,
            available: bytes.len(),
        })
    } else {
        None
    }
}

/// The tree walk tolerates what it can (reserved bits, non-zero padding), to show as much as
/// possible; the violations say what a strict receiver thinks of it.
const WALK_LENIENCY: Leniency = Leniency::strict()
    .with_reserved_bits(true)
    .with_nonzero_padding(true);

/// The AVPs of `buf` at nesting `depth` (1 for the message body); when a malformed AVP
/// stopped the walk, why and at which offset of `buf`.
fn walk(buf: &[u8], depth: u32, opts: &DecodeOptions) -> (Vec<AvpView>, Option<(String, usize)>) {
    let mut out = Vec::new();
    let mut it = AvpIter::with_leniency(buf, WALK_LENIENCY);
    loop {
        let at = it.position();
        match it.next() {
            None => return (out, None),
            Some(Ok(a)) => out.push(avp_view(&a, depth, opts)),
            Some(Err(e)) => return (out, Some((e.to_string(), at))),
        }
    }
}

fn avp_view(a: &AvpRef<'_>, depth: u32, opts: &DecodeOptions) -> AvpView {
    let h = &a.header;
    let def = diameter_messages::avp_def(h.code, h.vendor());
    let (value, enum_name, error) = match def {
        None => (ValueView::Hex(hex::encode(a.data)), None, None),
        Some(d) => render_value(d, a.data, depth, opts),
    };
    AvpView {
        name: def.map(|d| d.name),
        code: h.code,
        vendor_id: h.vendor(),
        flags: AvpFlagsView {
            vendor: h.flags.is_vendor(),
            mandatory: h.flags.is_mandatory(),
            protected: h.flags.is_protected(),
            reserved: h.flags.reserved(),
        },
        ty: def.map(|d| d.ty.as_str()),
        value,
        enum_name,
        names: None,
        error,
    }
}

type Rendered = (ValueView, Option<Option<&'static str>>, Option<String>);

fn scalar<'a, T: AvpValue<'a>>(data: &'a [u8], f: impl FnOnce(T) -> ValueView) -> Rendered {
    match T::decode(data) {
        Ok(v) => (f(v), None, None),
        Err(e) => (ValueView::Hex(hex::encode(data)), None, Some(e.to_string())),
    }
}

fn render_value(def: &'static AvpDef, data: &[u8], depth: u32, opts: &DecodeOptions) -> Rendered {
    let raw = || ValueView::Hex(hex::encode(data));
    match def.ty {
        AvpType::OctetString => (raw(), None, None),
        AvpType::Integer32 => scalar(data, |v: i32| ValueView::Signed(v.into())),
        AvpType::Integer64 => scalar(data, ValueView::Signed),
        AvpType::Unsigned32 => scalar(data, |v: u32| ValueView::Unsigned(v.into())),
        AvpType::Unsigned64 => scalar(data, ValueView::Unsigned),
        AvpType::Float32 => match scalar(data, ValueView::F32) {
            (ValueView::F32(f), ..) if !f.is_finite() => non_finite(data, f.into()),
            r => r,
        },
        AvpType::Float64 => match scalar(data, ValueView::F64) {
            (ValueView::F64(f), ..) if !f.is_finite() => non_finite(data, f),
            r => r,
        },
        AvpType::Enumerated => match scalar(data, |v: i32| ValueView::Signed(v.into())) {
            (ValueView::Signed(v), ..) => {
                let name = i32::try_from(v).ok().and_then(|v| def.enum_name(v));
                (ValueView::Signed(v), Some(name), None)
            }
            r => r,
        },
        AvpType::Utf8String => scalar(data, |v: Utf8String| ValueView::Text(v.to_string())),
        AvpType::IpFilterRule => scalar(data, |v: IpFilterRule| ValueView::Text(v.to_string())),
        AvpType::QosFilterRule => scalar(data, |v: QosFilterRule| ValueView::Text(v.to_string())),
        AvpType::DiameterIdentity => {
            scalar(data, |v: DiameterIdentity| ValueView::Plain(v.to_string()))
        }
        AvpType::DiameterUri => scalar(data, |v: DiameterUri| ValueView::Plain(v.to_string())),
        AvpType::Address => scalar(data, |v: Address| ValueView::Plain(v.to_string())),
        AvpType::Time => scalar(data, |v: Time| ValueView::Plain(v.to_string())),
        AvpType::Grouped => {
            if depth >= opts.max_depth && !data.is_empty() {
                let msg = format!("Grouped AVPs nested deeper than {}", opts.max_depth);
                return (raw(), None, Some(msg));
            }
            match walk(data, depth + 1, opts) {
                (children, None) => (ValueView::Group(children), None, None),
                (_, Some((e, _))) => (raw(), None, Some(e)),
            }
        }
    }
}

/// NaN and the infinities have no JSON number: they are shown as their bytes.
fn non_finite(data: &[u8], f: f64) -> Rendered {
    (
        ValueView::Hex(hex::encode(data)),
        None,
        Some(format!(
            "{f} has no JSON number form; the value is its raw bytes"
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_hex(h: &str) -> MessageView {
        let bytes = Bytes::from(hex::decode(h).unwrap());
        MessageView::from_bytes(None, bytes, &DecodeOptions::default())
    }

    #[test]
    fn dwr_decodes_with_names_and_values() {
        let v = decode_hex("0100003c800001180000000000000001000000020000010840000011612e6578616d706c6500000000000128400000136578616d706c652e6f726700");
        assert!(v.is_ok());
        assert_eq!(v.command, Some(Some("Device-Watchdog-Request".into())));
        assert_eq!(v.abbrev, Some("DWR"));
        let avps = v.avps.unwrap();
        assert_eq!(avps[0].name, Some("Origin-Host"));
        assert!(matches!(&avps[0].value, ValueView::Plain(s) if s == "a.example"));
    }

    #[test]
    fn short_input_is_an_error_with_partial_header() {
        let v = decode_hex("0100003c80000118");
        assert!(v.error.is_some());
        assert_eq!(v.command_code, Some(280));
        assert_eq!(v.application_id, None);
        assert_eq!(v.result_code, Some(5015));
        assert!(!v.is_ok());
    }
}
