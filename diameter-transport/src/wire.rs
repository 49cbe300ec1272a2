//! What the node does to messages on the wire around the typed API: the base messages of the
//! peer layer built with the generated types, [`Capabilities`] mapped to and from CER/CEA, and
//! the few header and AVP touches a node owns (identifiers, the P bit, empty identities filled
//! in, the Result-Code read for counters).

use std::net::IpAddr;

use bytes::{Bytes, BytesMut};
use diameter_messages::base::{
    CapabilitiesExchangeAnswer, CapabilitiesExchangeRequest, DeviceWatchdogAnswer,
    DeviceWatchdogRequest, DisconnectCause, DisconnectPeerAnswer, DisconnectPeerRequest,
    VendorSpecificApplicationId,
};
use diameter_runtime::avp::{padding, AvpFlags, AVP_HEADER_LEN};
use diameter_runtime::consts::{application_id, avp_code, command_code, result_code};
use diameter_runtime::header::{CommandFlags, Header, HEADER_LEN};
use diameter_runtime::types::{Address, DiameterIdentity, Utf8String};
use diameter_runtime::Command;

use crate::capabilities::{Application, ApplicationKind, Capabilities, VendorSpecificApp};
use crate::session_id::{NextId, SessionIdGenerator};

/// Is this a message of the peer layer (CER/CEA, DWR/DWA, DPR/DPA)? RFC 6733 sends them with
/// Application-Id 0; the code alone decides, as a peer that got the application wrong still
/// needs its watchdog answered.
pub(crate) fn is_base(header: &Header) -> bool {
    matches!(
        header.command_code,
        command_code::CAPABILITIES_EXCHANGE
            | command_code::DEVICE_WATCHDOG
            | command_code::DISCONNECT_PEER
    )
}

fn identity(s: &str) -> DiameterIdentity<'static> {
    // Origin-Host and Origin-Realm were checked when the node was built; a peer's name that is
    // not a valid identity still travels as its bytes.
    DiameterIdentity::try_from(s.to_owned())
        .unwrap_or_else(|_| DiameterIdentity::from_static("invalid.invalid"))
}

fn addresses(caps: &Capabilities, local_ip: Option<IpAddr>) -> smallvec::SmallVec<[Address; 1]> {
    let mut out: smallvec::SmallVec<[Address; 1]> = caps
        .host_ip_addresses
        .iter()
        .map(|ip| (*ip).into())
        .collect();
    if out.is_empty() {
        // CER/CEA need one: the address of the connection, when the node configured none.
        out.push(local_ip.unwrap_or(IpAddr::from([127, 0, 0, 1])).into());
    }
    out
}

fn vendor_specific(apps: &[VendorSpecificApp]) -> Vec<VendorSpecificApplicationId> {
    apps.iter()
        .map(|v| {
            let mut g = VendorSpecificApplicationId::new(v.vendor_id);
            match v.application.kind {
                ApplicationKind::Auth => g.auth_application_id = Some(v.application.id),
                ApplicationKind::Acct => g.acct_application_id = Some(v.application.id),
            }
            g
        })
        .collect()
}

fn from_vendor_specific(groups: &[VendorSpecificApplicationId]) -> Vec<VendorSpecificApp> {
    groups
        .iter()
        .filter_map(|g| {
            let application = match (g.auth_application_id, g.acct_application_id) {
                (Some(id), _) => Application::auth(id),
                (None, Some(id)) => Application::acct(id),
                (None, None) => return None,
            };
            Some(VendorSpecificApp {
                vendor_id: g.vendor_id,
                application,
            })
        })
        .collect()
}

/// Our CER.
pub(crate) fn cer(
    local: &Capabilities,
    local_ip: Option<IpAddr>,
) -> CapabilitiesExchangeRequest<'static> {
    CapabilitiesExchangeRequest {
        origin_host: identity(&local.origin_host),
        origin_realm: identity(&local.origin_realm),
        host_ip_address: addresses(local, local_ip),
        vendor_id: local.vendor_id,
        product_name: Utf8String::from(local.product_name.clone()),
        origin_state_id: local.origin_state_id,
        supported_vendor_id: local.supported_vendor_ids.iter().copied().collect(),
        auth_application_id: local.auth_apps.iter().copied().collect(),
        inband_security_id: local.inband_security.iter().copied().collect(),
        acct_application_id: local.acct_apps.iter().copied().collect(),
        vendor_specific_application_id: vendor_specific(&local.vendor_specific_apps),
        firmware_revision: local.firmware_revision,
        other_avps: Vec::new(),
    }
}

/// Our CEA with `result_code`. A refusal still advertises what we are (RFC 6733 5.3.2 lists
/// the same AVPs), so the peer can tell why.
pub(crate) fn cea(
    local: &Capabilities,
    local_ip: Option<IpAddr>,
    result_code: u32,
) -> CapabilitiesExchangeAnswer<'static> {
    let c = cer(local, local_ip);
    CapabilitiesExchangeAnswer {
        result_code,
        origin_host: c.origin_host,
        origin_realm: c.origin_realm,
        host_ip_address: c.host_ip_address,
        vendor_id: c.vendor_id,
        product_name: c.product_name,
        origin_state_id: c.origin_state_id,
        supported_vendor_id: c.supported_vendor_id,
        auth_application_id: c.auth_application_id,
        inband_security_id: c.inband_security_id,
        acct_application_id: c.acct_application_id,
        vendor_specific_application_id: c.vendor_specific_application_id,
        firmware_revision: c.firmware_revision,
        ..Default::default()
    }
}

/// What a CER or a CEA advertises: the two generated types carry the same capability fields,
/// so one body reads either.
macro_rules! advertised {
    ($m:expr) => {{
        let m = $m;
        Capabilities {
            origin_host: m.origin_host.as_str().to_owned(),
            origin_realm: m.origin_realm.as_str().to_owned(),
            host_ip_addresses: m.host_ip_address.iter().filter_map(Address::ip).collect(),
            vendor_id: m.vendor_id,
            product_name: m.product_name.as_str().to_owned(),
            firmware_revision: m.firmware_revision,
            origin_state_id: m.origin_state_id,
            supported_vendor_ids: m.supported_vendor_id.to_vec(),
            auth_apps: m.auth_application_id.to_vec(),
            acct_apps: m.acct_application_id.to_vec(),
            vendor_specific_apps: from_vendor_specific(&m.vendor_specific_application_id),
            inband_security: m.inband_security_id.to_vec(),
        }
    }};
}

/// What a CER advertises.
pub(crate) fn caps_of_cer(m: &CapabilitiesExchangeRequest<'_>) -> Capabilities {
    advertised!(m)
}

/// What a CEA advertises.
pub(crate) fn caps_of_cea(m: &CapabilitiesExchangeAnswer<'_>) -> Capabilities {
    advertised!(m)
}

/// Encodes a base message of the peer layer.
pub(crate) fn encode<'a, C: Command<'a>>(m: &C, hop_by_hop: u32, end_to_end: u32) -> Bytes {
    m.to_bytes(hop_by_hop, end_to_end)
}

pub(crate) fn dwr(local: &Capabilities) -> DeviceWatchdogRequest<'static> {
    let mut m =
        DeviceWatchdogRequest::new(identity(&local.origin_host), identity(&local.origin_realm));
    m.origin_state_id = local.origin_state_id;
    m
}

pub(crate) fn dwa(local: &Capabilities) -> DeviceWatchdogAnswer<'static> {
    DeviceWatchdogAnswer {
        result_code: result_code::SUCCESS,
        origin_host: identity(&local.origin_host),
        origin_realm: identity(&local.origin_realm),
        origin_state_id: local.origin_state_id,
        ..Default::default()
    }
}

pub(crate) fn dpr(local: &Capabilities, cause: DisconnectCause) -> DisconnectPeerRequest<'static> {
    DisconnectPeerRequest {
        origin_host: identity(&local.origin_host),
        origin_realm: identity(&local.origin_realm),
        disconnect_cause: cause,
        ..Default::default()
    }
}

pub(crate) fn dpa(local: &Capabilities) -> DisconnectPeerAnswer<'static> {
    DisconnectPeerAnswer {
        result_code: result_code::SUCCESS,
        origin_host: identity(&local.origin_host),
        origin_realm: identity(&local.origin_realm),
        ..Default::default()
    }
}

/// The top-level AVPs of a message a node cares about, found in one walk of their headers.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Session-Id's data, when present.
    pub session_id: Option<(usize, usize)>,
    /// Where the first empty Session-Id, Origin-Host and Origin-Realm start (their headers):
    /// the AVPs the node fills in.
    pub empty: Empty,
    /// Destination-Host's data.
    pub destination_host: Option<(usize, usize)>,
    /// Destination-Realm's data.
    pub destination_realm: Option<(usize, usize)>,
    /// Origin-Host's data.
    pub origin_host: Option<(usize, usize)>,
    pub auth_application_id: Option<u32>,
    pub acct_application_id: Option<u32>,
    pub result_code: Option<u32>,
}

/// The offsets of empty identity AVPs in a message (their headers), found by [`scan`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Empty {
    pub session_id: Option<usize>,
    pub origin_host: Option<usize>,
    pub origin_realm: Option<usize>,
}

impl Empty {
    fn any(&self) -> bool {
        self.session_id.is_some() || self.origin_host.is_some() || self.origin_realm.is_some()
    }
}

fn u32_of(data: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(data.try_into().ok()?))
}

/// One top-level AVP as the node's own walks see it.
struct TopAvp {
    code: u32,
    flags: u8,
    /// Where its data is, in the body (padding excluded).
    data: std::ops::Range<usize>,
}

impl TopAvp {
    fn has_vendor(&self) -> bool {
        self.flags & AvpFlags::VENDOR != 0
    }
}

/// The top-level AVPs of a message body, by their headers alone, up to the first whose length
/// does not fit. Every request and answer the node sends or receives is walked here (to find
/// Session-Id, the Result-Code, empty identities), so it reads only code, flags and length,
/// and checks nothing the typed decode checks anyway.
fn top_avps(body: &[u8]) -> impl Iterator<Item = TopAvp> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let h: &[u8; AVP_HEADER_LEN] = body.get(at..at + AVP_HEADER_LEN)?.try_into().ok()?;
        let code = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let flags = h[4];
        let len = u32::from_be_bytes([0, h[5], h[6], h[7]]) as usize;
        let header_len = if flags & AvpFlags::VENDOR != 0 {
            AVP_HEADER_LEN + 4
        } else {
            AVP_HEADER_LEN
        };
        if len < header_len || len > body.len() - at {
            return None;
        }
        let avp = TopAvp {
            code,
            flags,
            data: at + header_len..at + len,
        };
        at += len + padding(len);
        Some(avp)
    })
}

/// The first top-level Result-Code of `msg` (a whole message). Answers carry it near the
/// front, so this stops long before a full [`scan`]: the caller reads it for every answer.
pub(crate) fn result_code(msg: &[u8]) -> Option<u32> {
    let body = msg.get(HEADER_LEN..)?;
    top_avps(body)
        .find(|avp| avp.code == avp_code::RESULT_CODE && !avp.has_vendor())
        .and_then(|avp| u32_of(&body[avp.data]))
}

/// Walks the top-level AVP headers of `msg` (a whole message), up to the first malformed one.
pub(crate) fn scan(msg: &[u8]) -> Scan {
    let mut s = Scan::default();
    // By hand rather than with `top_avps`: it runs three or four times per round trip, and
    // most AVPs are passed over after one comparison of their code.
    let mut at = HEADER_LEN;
    while let Some(h) = msg.get(at..at + AVP_HEADER_LEN) {
        let code = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let vendor = h[4] & AvpFlags::VENDOR != 0;
        let len = u32::from_be_bytes([0, h[5], h[6], h[7]]) as usize;
        let header_len = if vendor {
            AVP_HEADER_LEN + 4
        } else {
            AVP_HEADER_LEN
        };
        if len < header_len || len > msg.len() - at {
            break;
        }
        // Every code looked for is at most Origin-Realm's (296).
        if !vendor && code <= avp_code::ORIGIN_REALM {
            let span = (at + AVP_HEADER_LEN, at + len);
            let data = &msg[span.0..span.1];
            // An empty AVP is its header alone (no Vendor-Id here): where it starts.
            let empty_at = || data.is_empty().then_some(at);
            match code {
                avp_code::SESSION_ID => {
                    s.session_id = Some(span);
                    s.empty.session_id = s.empty.session_id.or_else(empty_at);
                }
                avp_code::ORIGIN_HOST => {
                    s.origin_host = Some(span);
                    s.empty.origin_host = s.empty.origin_host.or_else(empty_at);
                }
                avp_code::ORIGIN_REALM => {
                    s.empty.origin_realm = s.empty.origin_realm.or_else(empty_at)
                }
                avp_code::DESTINATION_HOST => s.destination_host = Some(span),
                avp_code::DESTINATION_REALM => s.destination_realm = Some(span),
                avp_code::AUTH_APPLICATION_ID => {
                    s.auth_application_id = s.auth_application_id.or(u32_of(data))
                }
                avp_code::ACCT_APPLICATION_ID => {
                    s.acct_application_id = s.acct_application_id.or(u32_of(data))
                }
                avp_code::RESULT_CODE => s.result_code = u32_of(data),
                _ => {}
            }
        }
        at += len + padding(len);
    }
    s
}

/// What to put into the empty identity AVPs of an outgoing message.
pub(crate) struct Identities<'s> {
    pub origin_host: &'s [u8],
    pub origin_realm: &'s [u8],
    pub session_id: SessionFill<'s>,
}

/// Where an empty Session-Id's value comes from.
#[derive(Clone, Copy)]
pub(crate) enum SessionFill<'s> {
    /// A new one, for a request that starts a session.
    New(&'s SessionIdGenerator),
    /// The request's, for its answer (empty when the request had none).
    Copy(&'s [u8]),
}

/// The value going into one empty AVP.
enum FillData<'d> {
    Bytes(&'d [u8]),
    Session(NextId<'d>),
}

impl FillData<'_> {
    fn len(&self) -> usize {
        match self {
            FillData::Bytes(b) => b.len(),
            FillData::Session(id) => id.len(),
        }
    }

    fn write(&self, out: &mut [u8]) {
        match self {
            FillData::Bytes(b) => out.copy_from_slice(b),
            FillData::Session(id) => id.write(out),
        }
    }
}

/// Fills the empty Session-Id, Origin-Host and Origin-Realm AVPs of `msg` that `scan` found
/// (an empty DiameterIdentity is never valid, and an empty Session-Id names no session: empty
/// means "the node's to fill"). Untouched when none is empty.
///
/// Every request and answer whose identities a user left to the node passes here, so it
/// works in place: the message grows once, each stretch between filled AVPs moves once (from
/// the back, so nothing is overwritten before it is moved), and a new Session-Id is written
/// straight into its place; no allocation while the buffer has room, which encoding reserves.
pub(crate) fn fill_identities(msg: &mut BytesMut, scan: &Scan, ids: &Identities<'_>) {
    if !scan.empty.any() {
        return;
    }
    let session = scan.empty.session_id.map(|at| {
        let data = match ids.session_id {
            SessionFill::New(generator) => FillData::Session(generator.take()),
            SessionFill::Copy(bytes) => FillData::Bytes(bytes),
        };
        (at, data)
    });
    let mut fills: [Option<(usize, FillData<'_>)>; 3] = [
        session,
        scan.empty
            .origin_host
            .map(|at| (at, FillData::Bytes(ids.origin_host))),
        scan.empty
            .origin_realm
            .map(|at| (at, FillData::Bytes(ids.origin_realm))),
    ];
    // In message order, so that the moves below can run from the back.
    fills.sort_unstable_by_key(|f| f.as_ref().map_or(usize::MAX, |(at, _)| *at));
    let old_len = msg.len();
    let grown: usize = fills
        .iter()
        .flatten()
        .map(|(_, d)| d.len() + padding(d.len()))
        .sum();
    // The AVP lengths first, while each header is still where the scan saw it.
    for (at, data) in fills.iter().flatten() {
        let len = ((AVP_HEADER_LEN + data.len()) as u32).to_be_bytes();
        if let Some(field) = msg.get_mut(at + 5..at + 8) {
            field.copy_from_slice(&len[1..]);
        }
    }
    msg.resize(old_len + grown, 0);
    // `end`: the source bytes from here on are in place; `to`: where they went.
    let (mut end, mut to) = (old_len, old_len + grown);
    for (at, data) in fills.iter().rev().flatten() {
        // The stretch after this AVP's header moves to its final place.
        let from = at + AVP_HEADER_LEN;
        let moved = end - from;
        msg.copy_within(from..end, to - moved);
        to -= moved;
        // Then the value, and its padding, in front of it.
        let len = data.len();
        let start = to - len - padding(len);
        data.write(&mut msg[start..start + len]);
        msg[start + len..to].fill(0);
        (end, to) = (from, start);
    }
    let len = (msg.len() as u32).to_be_bytes();
    msg[1..4].copy_from_slice(&len[1..]);
}

impl Scan {
    /// The bytes of an AVP found by the scan, in `msg` (the message scanned).
    pub fn get(msg: &[u8], span: Option<(usize, usize)>) -> Option<&[u8]> {
        span.and_then(|(a, b)| msg.get(a..b))
    }
}

/// Appends one top-level AVP (no Vendor-Id) to a whole message and fixes its length.
pub(crate) fn append_avp(msg: &[u8], code: u32, flags: u8, data: &[u8]) -> BytesMut {
    let avp_len = 8 + data.len();
    let padded = (avp_len + 3) & !3;
    let mut out = BytesMut::with_capacity(msg.len() + padded);
    out.extend_from_slice(msg);
    out.extend_from_slice(&code.to_be_bytes());
    let len = u32::try_from(avp_len).unwrap_or(u32::MAX) & 0x00ff_ffff;
    out.extend_from_slice(&(len | (u32::from(flags) << 24)).to_be_bytes());
    out.extend_from_slice(data);
    out.resize(msg.len() + padded, 0);
    let total = u32::try_from(out.len()).unwrap_or(u32::MAX) & 0x00ff_ffff;
    if out.len() >= HEADER_LEN {
        out[1..4].copy_from_slice(&total.to_be_bytes()[1..]);
    }
    out
}

/// The data of every top-level AVP `code` (no Vendor-Id) of a whole message.
pub(crate) fn all_of(msg: &[u8], code: u32) -> impl Iterator<Item = &[u8]> {
    let body = msg.get(HEADER_LEN..).unwrap_or(&[]);
    top_avps(body)
        .filter(move |a| a.code == code && !a.has_vendor())
        .map(move |a| &body[a.data])
}

/// Writes the identifiers into an encoded message's header.
pub(crate) fn set_ids(msg: &mut [u8], hop_by_hop: u32, end_to_end: u32) {
    if msg.len() >= HEADER_LEN {
        set_hop_by_hop(msg, hop_by_hop);
        msg[16..20].copy_from_slice(&end_to_end.to_be_bytes());
    }
}

/// Writes the hop-by-hop identifier into an encoded message's header.
pub(crate) fn set_hop_by_hop(msg: &mut [u8], hop_by_hop: u32) {
    if msg.len() >= HEADER_LEN {
        msg[12..16].copy_from_slice(&hop_by_hop.to_be_bytes());
    }
}

/// Sets or clears a command flag bit in an encoded message's header.
pub(crate) fn set_flag(msg: &mut [u8], bit: u8, on: bool) {
    if let Some(f) = msg.get_mut(4) {
        *f = CommandFlags(*f).with(bit, on).0;
    }
}

/// What the node reserves for a message it encodes: most messages fit.
pub(crate) const TYPICAL_MESSAGE: usize = 512;

/// Sets the header's Application-Id of an encoded message.
pub(crate) fn set_application_id(msg: &mut [u8], id: u32) {
    if msg.len() >= HEADER_LEN {
        msg[8..12].copy_from_slice(&id.to_be_bytes());
    }
}

/// The application a request of the common application (a base session command: RAR, ASR,
/// STR) is really for: its Auth- or Acct-Application-Id. Other requests keep theirs.
pub(crate) fn session_command_application(header: &Header, scan: &Scan) -> Option<u32> {
    if header.application_id != application_id::COMMON || is_base(header) {
        return None;
    }
    scan.auth_application_id.or(scan.acct_application_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diameter_messages::credit_control::{CreditControlAnswer, MultipleServicesCreditControl};

    #[test]
    fn filled_identities_are_spliced_in_and_the_rest_kept_byte_for_byte() {
        let cca = CreditControlAnswer {
            result_code: 2001,
            auth_application_id: 4,
            cc_request_number: 7,
            multiple_services_credit_control: vec![MultipleServicesCreditControl {
                rating_group: Some(100),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut msg = BytesMut::new();
        cca.encode(5, 6, &mut msg);
        let ids = Identities {
            origin_host: b"ocs.example",
            origin_realm: b"example",
            session_id: SessionFill::Copy(b"pgw.example;1;2"),
        };
        let scan_before = scan(&msg);
        assert!(scan_before.empty.session_id.is_some() && scan_before.empty.origin_host.is_some());
        let mut filled = msg.clone();
        fill_identities(&mut filled, &scan_before, &ids);

        let decoded = CreditControlAnswer::decode(&filled).expect("decodes");
        assert!(decoded.is_valid(), "{:?}", decoded.violations);
        let expected = CreditControlAnswer {
            session_id: "pgw.example;1;2".into(),
            origin_host: DiameterIdentity::from_static("ocs.example"),
            origin_realm: DiameterIdentity::from_static("example"),
            ..cca
        };
        assert_eq!(decoded.message, expected);
        // The same bytes as encoding the complete answer (identifiers included).
        assert_eq!(filled, expected.to_bytes(5, 6));
        // Nothing empty: the message is left as it is.
        let mut again = filled.clone();
        fill_identities(&mut again, &scan(&filled), &ids);
        assert_eq!(again, filled);
    }

    #[test]
    fn a_new_session_id_and_identities_of_every_padding_are_spliced_in_place() {
        let generator = SessionIdGenerator::with_high("gw.example", 4_000_000_000);
        let reference = SessionIdGenerator::with_high("gw.example", 4_000_000_000);
        // Host and realm lengths 1 to 8 cover every padding; the Session-Id goes where the
        // encoder put it, whatever AVPs come between.
        for (n, host) in [
            "a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh",
        ]
        .into_iter()
        .enumerate()
        {
            let realm = &host[..host.len().div_ceil(2)];
            let cca = CreditControlAnswer {
                result_code: 2001,
                auth_application_id: 4,
                cc_request_number: n as u32,
                ..Default::default()
            };
            let mut msg = BytesMut::with_capacity(32);
            cca.encode(1, 2, &mut msg);
            let ids = Identities {
                origin_host: host.as_bytes(),
                origin_realm: realm.as_bytes(),
                session_id: SessionFill::New(&generator),
            };
            let found = scan(&msg);
            fill_identities(&mut msg, &found, &ids);
            let expected = CreditControlAnswer {
                session_id: reference.next().into(),
                origin_host: DiameterIdentity::try_from(host.to_owned()).expect("an identity"),
                origin_realm: DiameterIdentity::try_from(realm.to_owned()).expect("an identity"),
                ..cca
            };
            assert_eq!(msg, expected.to_bytes(1, 2), "host {host}");
        }
    }

    /// What `scan` finds, found again the slow way, by the generic walk.
    fn scan_by_walk(msg: &[u8]) -> String {
        let body = &msg[HEADER_LEN..];
        let mut s = Scan::default();
        for avp in top_avps(body).filter(|a| !a.has_vendor()) {
            let data = &body[avp.data.clone()];
            let span = Some((HEADER_LEN + avp.data.start, HEADER_LEN + avp.data.end));
            // No Vendor-Id: the header is the eight bytes before the data.
            let empty = data
                .is_empty()
                .then_some(HEADER_LEN + avp.data.start - AVP_HEADER_LEN);
            match avp.code {
                avp_code::SESSION_ID => {
                    s.session_id = span;
                    s.empty.session_id = s.empty.session_id.or(empty);
                }
                avp_code::ORIGIN_HOST => {
                    s.origin_host = span;
                    s.empty.origin_host = s.empty.origin_host.or(empty);
                }
                avp_code::ORIGIN_REALM => s.empty.origin_realm = s.empty.origin_realm.or(empty),
                avp_code::DESTINATION_HOST => s.destination_host = span,
                avp_code::DESTINATION_REALM => s.destination_realm = span,
                avp_code::AUTH_APPLICATION_ID => {
                    s.auth_application_id = s.auth_application_id.or(u32_of(data))
                }
                avp_code::ACCT_APPLICATION_ID => {
                    s.acct_application_id = s.acct_application_id.or(u32_of(data))
                }
                avp_code::RESULT_CODE => s.result_code = u32_of(data),
                _ => {}
            }
        }
        format!("{s:?}")
    }

    #[test]
    fn scan_finds_what_a_walk_of_every_avp_finds() {
        use diameter_messages::credit_control::CreditControlRequest;
        let ccr = CreditControlRequest {
            session_id: "pgw.example;1;2".into(),
            origin_host: DiameterIdentity::from_static("pgw.example"),
            destination_realm: DiameterIdentity::from_static("example"),
            destination_host: Some(DiameterIdentity::from_static("ocs.example")),
            auth_application_id: 4,
            ..Default::default()
        }
        .to_bytes(1, 2);
        let cca = CreditControlAnswer {
            result_code: 4012,
            origin_realm: DiameterIdentity::from_static("example"),
            ..Default::default()
        }
        .to_bytes(3, 4);
        // A vendor AVP with a code the scan looks for is not the base AVP.
        let vendor = {
            let mut m = BytesMut::from(&cca[..]);
            let mut avp = vec![0, 0, 1, 12, 0xc0, 0, 0, 16, 0, 0, 0x28, 0xaf];
            avp.extend_from_slice(&7u32.to_be_bytes());
            m.extend_from_slice(&avp);
            let len = (m.len() as u32).to_be_bytes();
            m[1..4].copy_from_slice(&len[1..]);
            m.freeze()
        };
        let mut messages = vec![ccr.clone(), cca, vendor];
        // Cut anywhere: the scan stops at the first AVP that does not fit, as the walk does.
        for cut in (HEADER_LEN..ccr.len()).step_by(5) {
            messages.push(ccr.slice(..cut));
        }
        for msg in messages {
            assert_eq!(format!("{:?}", scan(&msg)), scan_by_walk(&msg));
        }
    }

    #[test]
    fn result_code_is_read_without_a_full_scan() {
        let cca = CreditControlAnswer {
            session_id: "pgw.example;1;2".into(),
            result_code: 4012,
            ..Default::default()
        };
        let msg = cca.to_bytes(1, 2);
        assert_eq!(result_code(&msg), Some(4012));
        assert_eq!(result_code(&msg), scan(&msg).result_code);
        // A header alone, or less, has none.
        assert_eq!(result_code(&msg[..HEADER_LEN]), None);
        assert_eq!(result_code(&msg[..3]), None);
    }
}
