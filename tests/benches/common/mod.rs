//! What the `ccr` and `ccr_allocs` benches share: the reference CCR, checked once, and one
//! function per measured operation, so that both binaries measure exactly the same code.

use std::hint::black_box;
use std::io::Cursor;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use diameter_messages::credit_control::{CreditControlRequest, CreditControlRequestView};
use diameter_runtime::header::HEADER_LEN;
use diameter_runtime::raw::walk;
use diameter_runtime::types::{AvpType, IntoOwned};
use diameter_runtime::{
    Command, CommandView, DecodeError, DecodeOptions, Decoded, Header, RawMessage,
};

/// AVPs in the reference CCR, Grouped children included.
pub const AVPS_IN_CCR: usize = 29;

/// The Grouped AVPs (code, vendor) of the reference CCR, as [`grouped_in_ccr`] finds them in
/// the dictionary: Requested-Service-Unit, Subscription-Id, Multiple-Services-Credit-Control,
/// User-Equipment-Info. Spelled out so that [`header_walk`] is a `match`, with no lookup.
pub const GROUPED_IN_CCR: [(u32, u32); 4] = [(437, 0), (443, 0), (456, 0), (458, 0)];

#[inline(always)]
fn is_grouped(code: u32, vendor: u32) -> bool {
    vendor == 0 && matches!(code, 437 | 443 | 456 | 458)
}

/// The distinct Grouped (code, vendor) pairs of `body`, as the dictionary types them, sorted.
fn grouped_in_ccr(body: &[u8]) -> Vec<(u32, u32)> {
    let dict_grouped = |code, vendor| {
        diameter_messages::avp_def(code, vendor).is_some_and(|d| d.ty == AvpType::Grouped)
    };
    let mut found = Vec::new();
    walk(
        body,
        &DecodeOptions::default(),
        &dict_grouped,
        &mut |_, a| {
            let key = (a.header.code, a.header.vendor());
            if dict_grouped(key.0, key.1) && !found.contains(&key) {
                found.push(key);
            }
        },
    )
    .unwrap();
    found.sort_unstable();
    found
}

/// Visits every AVP header of `buf`, recursing into Grouped AVPs; returns the number of AVPs
/// and the sum of their codes. Reads only the headers, checks only what it needs to stay in
/// bounds, allocates nothing: the baseline the codecs are compared with.
pub fn header_walk(buf: &[u8]) -> (usize, u64) {
    let mut count = 0;
    let mut acc = 0u64;
    let mut pos = 0;
    while let Some(h) = buf.get(pos..pos + 8) {
        let code = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let len = u32::from_be_bytes([0, h[5], h[6], h[7]]) as usize;
        let (hlen, vendor) = if h[4] & 0x80 != 0 {
            let Some(v) = buf.get(pos + 8..pos + 12) else {
                break;
            };
            (12, u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
        } else {
            (8, 0)
        };
        let Some(data) = buf.get(pos + hlen..pos + len) else {
            break;
        };
        count += 1;
        acc += u64::from(code);
        if is_grouped(code, vendor) {
            let (n, s) = header_walk(data);
            count += n;
            acc += s;
        }
        pos += (len + 3) & !3;
    }
    (count, acc)
}

/// Counts the AVPs of a `diameter` crate AVP list, Grouped children included.
fn count_crate_avps(avps: &[diameter::avp::Avp]) -> usize {
    avps.iter()
        .map(|a| {
            1 + match a.get_value() {
                diameter::avp::AvpValue::Grouped(g) => count_crate_avps(g.avps()),
                _ => 0,
            }
        })
        .sum()
}

/// The reference CCR with everything the benches need, each part checked on creation.
pub struct Fixture {
    /// The message as on the wire.
    pub ccr: Bytes,
    /// Its header (for the hop-by-hop and end-to-end ids the encoders write).
    header: Header,
    /// Strict decoding, the default limits.
    opts: DecodeOptions,
    /// The typed message decoded from `ccr`.
    typed: CreditControlRequest<'static>,
    /// The `diameter` crate's dictionary: its built-in one, RFC 6733 and RFC 4006 AVPs.
    dict: Arc<diameter::dictionary::Dictionary>,
    /// The `diameter` crate's message decoded from `ccr`.
    crate_msg: diameter::DiameterMessage,
}

impl Fixture {
    /// Loads `tests/vectors/ccr-reference.hex` and checks what the benches rely on: the walk
    /// sees 29 AVPs with the dictionary's Grouped set; the typed decoder finds no violation
    /// in strict mode and re-encodes byte-exactly; the `diameter` crate parses all 29 AVPs
    /// and re-encodes byte-exactly.
    pub fn new() -> Self {
        let mut v = diameter_tests::read_vectors("ccr-reference.hex");
        assert_eq!(v.len(), 1, "ccr-reference.hex holds one message");
        let ccr = Bytes::from(v.remove(0).1);
        let header = Header::decode(&ccr).unwrap();
        let body = &ccr[HEADER_LEN..];

        // The Grouped set the walk hard-codes is the one the dictionary gives for this message.
        assert_eq!(grouped_in_ccr(body), GROUPED_IN_CCR);
        assert_eq!(header_walk(body).0, AVPS_IN_CCR);

        // A valid CCR for the strict decoder, re-encoding byte-exactly.
        let opts = DecodeOptions::default();
        let decoded = CreditControlRequest::decode_with(&ccr, &opts).unwrap();
        for v in &decoded.violations {
            eprintln!("reference CCR violation (strict): {v}");
        }
        assert!(
            decoded.is_valid(),
            "the reference CCR decodes strictly with no violation"
        );
        let typed = decoded.message.into_owned();
        assert_eq!(typed.multiple_services_credit_control.len(), 3);
        let mut buf = BytesMut::new();
        typed.encode(header.hop_by_hop, header.end_to_end, &mut buf);
        assert_eq!(&buf[..], &ccr[..], "typed re-encoding is byte-exact");

        // Top level only: 13 AVPs, 3 of them the MSCCs.
        assert_eq!(RawMessage::decode(ccr.clone()).unwrap().avps.len(), 13);

        // The diameter crate parses every AVP (Grouped ones recursively) and re-encodes exactly.
        let dict = Arc::new(diameter::dictionary::Dictionary::new(&[
            &diameter::dictionary::DEFAULT_DICT_XML,
        ]));
        let crate_msg =
            diameter::DiameterMessage::decode_from(&mut Cursor::new(&ccr[..]), Arc::clone(&dict))
                .unwrap();
        assert_eq!(count_crate_avps(crate_msg.get_avps()), AVPS_IN_CCR);
        let mut out = Vec::new();
        crate_msg.encode_to(&mut out).unwrap();
        assert_eq!(
            &out[..],
            &ccr[..],
            "diameter crate re-encoding is byte-exact"
        );

        Fixture {
            ccr,
            header,
            opts,
            typed,
            dict,
            crate_msg,
        }
    }

    /// The message body (the AVPs).
    pub fn body(&self) -> &[u8] {
        &self.ccr[HEADER_LEN..]
    }

    /// `header_walk` of the body.
    #[inline]
    pub fn header_walk(&self) -> (usize, u64) {
        header_walk(black_box(self.body()))
    }

    /// Typed decode with validation, strict; text and octet values borrow `ccr`.
    #[inline]
    pub fn typed_decode(&self) -> Result<Decoded<CreditControlRequest<'_>>, DecodeError> {
        CreditControlRequest::decode_with(black_box(&self.ccr[..]), &self.opts)
    }

    /// Typed decode with validation into the zero-allocation view, strict.
    #[inline]
    pub fn typed_view_decode(&self) -> Result<Decoded<CreditControlRequestView<'_>>, DecodeError> {
        CreditControlRequestView::decode_with(black_box(&self.ccr[..]), &self.opts)
    }

    /// Typed encode into `buf`, cleared first (its capacity is kept).
    #[inline]
    pub fn typed_encode(&self, buf: &mut BytesMut) {
        buf.clear();
        black_box(&self.typed).encode(self.header.hop_by_hop, self.header.end_to_end, buf);
    }

    /// The `diameter` crate's decode (every AVP parsed into its value enum).
    #[inline]
    pub fn crate_decode(&self) -> diameter::Result<diameter::DiameterMessage> {
        diameter::DiameterMessage::decode_from(
            &mut Cursor::new(black_box(&self.ccr[..])),
            Arc::clone(&self.dict),
        )
    }

    /// The `diameter` crate's encode into `out`, cleared first (its capacity is kept).
    #[inline]
    pub fn crate_encode(&self, out: &mut Vec<u8>) -> diameter::Result<()> {
        out.clear();
        black_box(&self.crate_msg).encode_to(out)
    }

    /// `RawMessage::decode`: top-level AVPs only, Grouped ones left as bytes.
    #[inline]
    pub fn raw_decode(&self) -> Result<RawMessage<'static>, DecodeError> {
        RawMessage::decode(black_box(self.ccr.clone()))
    }
}
