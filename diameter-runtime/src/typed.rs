//! The engine behind generated typed messages: decoding with occurrence-rule validation
//! (RFC 6733 section 7), encoding in place, and the traits generated types implement.
//!
//! Generated code keeps per-type work (field slots in locals, a `match` on AVP codes); this
//! module holds what is the same for every type: counting occurrences, checking them against
//! the grammar tables of [`crate::dictionary`], and recording violations with their
//! Result-Code, path and Failed-AVP.

//!
//! - [`ctx`]: the decode context of one message (occurrences, violations);
//! - [`decoded`]: a typed message with its violations;
//! - here: the traits generated types implement, and the entry points they share.

use bytes::{Bytes, BytesMut};

use crate::avp;
use crate::consts::result_code as rc;
use crate::dictionary::{AvpDef, GrammarDef};
use crate::enc::{self, Writer};
use crate::error::DecodeError;
use crate::header::{CommandFlags, Header, HEADER_LEN, MAX_U24};
use crate::limits::DecodeOptions;
use crate::raw::{self, RawAvp};
use crate::types::AvpValue;

/// A generated Grouped AVP type. `'a` is the lifetime of the buffer it decodes from.
pub trait Group<'a>: Sized + Default {
    /// Its dictionary entry.
    const DEF: &'static AvpDef;
    /// Decodes the AVP data (the children) into `self`, a default value, recording
    /// violations in `ctx`.
    fn decode_group(&mut self, data: &'a [u8], ctx: &mut DecodeCtx<'_>);
    /// Writes the children (the Grouped AVP's data).
    fn encode_group(&self, w: &mut Writer<'_>);
}

/// Encodes a group as a raw AVP, e.g. to put a vendor's Grouped AVP into another group's
/// `other_avps`.
///
/// # Panics
/// When the group is longer than the 24-bit AVP Length can say (16 MiB - 1).
pub fn group_to_raw<'a, T: Group<'a>>(value: &T) -> RawAvp<'static> {
    let mut buf = BytesMut::new();
    // The limit leaves room for the AVP's own header.
    let max = MAX_U24 as usize - avp::AVP_VENDOR_HEADER_LEN;
    enc::append(&mut buf, max, "Grouped AVP data", |w| value.encode_group(w));
    let def = T::DEF;
    RawAvp::new(
        def.code,
        def.default_flags(),
        (def.vendor_id != 0).then_some(def.vendor_id),
        buf.freeze(),
    )
}

/// Decodes a raw AVP as group `T` (e.g. a vendor AVP found in `other_avps`), validating it;
/// `known` decides which AVPs exist (for 5001). `None` when the AVP is not `T`'s.
pub fn group_from_raw<'a, T: Group<'a>>(
    avp: &'a RawAvp<'_>,
    opts: &DecodeOptions,
    known: fn(u32, u32) -> Option<&'static AvpDef>,
) -> Option<Decoded<T>> {
    let def = T::DEF;
    if avp.code != def.code || avp.vendor() != def.vendor_id {
        return None;
    }
    let mut decoded = Decoded::with_violations(T::default(), Vec::new());
    let (message, found) = decoded.findings();
    message.decode_group(
        avp.data.as_bytes(),
        &mut DecodeCtx::new(opts, known, def.name, found),
    );
    Some(decoded)
}

/// Encodes a scalar value as a raw AVP of `def`, with the flags a sender sets.
pub fn scalar_to_raw<'v, T: AvpValue<'v>>(def: &AvpDef, value: &T) -> RawAvp<'static> {
    RawAvp::from_value(
        def.code,
        def.default_flags(),
        (def.vendor_id != 0).then_some(def.vendor_id),
        value,
    )
}

/// A boxed group (for recursive grammars) decodes and encodes as the group.
impl<'a, T: Group<'a>> Group<'a> for Box<T> {
    const DEF: &'static AvpDef = T::DEF;
    fn decode_group(&mut self, data: &'a [u8], ctx: &mut DecodeCtx<'_>) {
        (**self).decode_group(data, ctx)
    }
    fn encode_group(&self, w: &mut Writer<'_>) {
        (**self).encode_group(w);
    }
}

/// A generated command type (one of request or answer). `'a` is the lifetime of the buffer it
/// decodes from: text and octet fields borrow it; [`IntoOwned`](crate::types::IntoOwned) gives
/// a `'static` message.
pub trait Command<'a>: Sized + Default {
    /// Command code.
    const CODE: u32;
    /// Application-Id.
    const APPLICATION_ID: u32;
    /// Is this the request?
    const IS_REQUEST: bool;
    /// Is the P bit set?
    const PROXIABLE: bool;
    /// `"Credit-Control-Request"`.
    const NAME: &'static str;
    /// `"CCR"`.
    const ABBREV: &'static str;
    /// For a request, the grammar of its answer: an error answer to the request copies from it
    /// the AVPs this grammar requires (see [`crate::answer::error_answer_with`]). `None` for
    /// an answer, and the default for hand-written commands.
    const ANSWER_GRAMMAR: Option<&'static GrammarDef> = None;
    /// Every AVP the enabled dictionaries know, for the 5001 check.
    fn known_avp(code: u32, vendor_id: u32) -> Option<&'static AvpDef>;
    /// Decodes the message body into `self`, a default value, recording violations in `ctx`.
    fn decode_body(&mut self, body: &'a [u8], ctx: &mut DecodeCtx<'_>);
    /// Writes the AVPs.
    fn encode_body(&self, w: &mut Writer<'_>);

    /// A header for this command: code, application, R and P bits, the given ids.
    fn header(hop_by_hop: u32, end_to_end: u32) -> Header {
        let mut flags = 0;
        if Self::IS_REQUEST {
            flags |= CommandFlags::REQUEST;
        }
        if Self::PROXIABLE {
            flags |= CommandFlags::PROXIABLE;
        }
        Header {
            version: crate::header::VERSION,
            length: 0,
            flags: CommandFlags(flags),
            command_code: Self::CODE,
            application_id: Self::APPLICATION_ID,
            hop_by_hop,
            end_to_end,
        }
    }

    /// Decodes and validates one whole message strictly, with the default limits. Text and
    /// octet values borrow `bytes`.
    fn decode(bytes: &'a [u8]) -> Result<Decoded<Self>, DecodeError> {
        Self::decode_with(bytes, &DecodeOptions::default())
    }

    /// Decodes and validates one whole message. Errors are for what makes the message
    /// unreadable as this command (header, length, another command); everything else is a
    /// [`Violation`] in the result.
    fn decode_with(bytes: &'a [u8], opts: &DecodeOptions) -> Result<Decoded<Self>, DecodeError> {
        Self::decode_in(bytes, opts, Self::known_avp)
    }

    /// As [`Command::decode_with`], with `known` deciding which AVPs exist (for 5001): a
    /// crate that extends the dictionaries passes its own lookup.
    fn decode_in(
        bytes: &'a [u8],
        opts: &DecodeOptions,
        known: fn(u32, u32) -> Option<&'static AvpDef>,
    ) -> Result<Decoded<Self>, DecodeError> {
        let header = check_header::<Self>(bytes, opts)?;
        // Built where it is returned (the message is large, and moving it costs a copy), the
        // context recording into it.
        let mut result = Ok(Decoded::with_violations(Self::default(), Vec::new()));
        if let Ok(out) = &mut result {
            let (message, found) = out.findings();
            let mut ctx = DecodeCtx::new(opts, known, Self::NAME, found);
            start::<Self>(&mut ctx, &header);
            message.decode_body(bytes.get(HEADER_LEN..).unwrap_or_default(), &mut ctx);
        }
        result
    }

    /// Appends the whole message, header included, to `buf` ([`enc::message`]): in one pass
    /// into a reused buffer with room for it, without measuring or zero-filling; a buffer
    /// without room is grown once, to the size the first pass measured.
    ///
    /// # Panics
    /// When the message is longer than the 24-bit Message-Length can say (16 MiB - 1).
    fn encode(&self, hop_by_hop: u32, end_to_end: u32, buf: &mut BytesMut) {
        enc::message(buf, &Self::header(hop_by_hop, end_to_end), |w| {
            self.encode_body(w)
        });
    }

    /// Appends the whole message with `header` taken as given (its length is computed), e.g.
    /// a base session command sent for another application, or a message re-encoded with the
    /// header it was received with.
    ///
    /// # Panics
    /// When the message is longer than the 24-bit Message-Length can say (16 MiB - 1).
    fn encode_with_header(&self, header: &Header, buf: &mut BytesMut) {
        enc::message(buf, header, |w| self.encode_body(w));
    }

    /// The whole message as one buffer.
    fn to_bytes(&self, hop_by_hop: u32, end_to_end: u32) -> Bytes {
        let mut buf = BytesMut::new();
        self.encode(hop_by_hop, end_to_end, &mut buf);
        buf.freeze()
    }
}

/// Checks the header of a whole message `bytes` for command `C`.
pub(crate) fn check_header<'a, C: Command<'a>>(
    bytes: &[u8],
    opts: &DecodeOptions,
) -> Result<Header, DecodeError> {
    let header = raw::check_message(bytes, opts)?;
    if header.command_code != C::CODE || header.flags.is_request() != C::IS_REQUEST {
        return Err(DecodeError::UnexpectedCommand {
            command_code: header.command_code,
            request: header.flags.is_request(),
            expected: C::NAME,
        });
    }
    Ok(header)
}

/// Readies `ctx` for the body of a `C` with `header` (checked by [`check_header`]). Apart from
/// making the context, which is large enough that returning it inside a `Result` costs a copy.
pub(crate) fn start<'a, C: Command<'a>>(ctx: &mut DecodeCtx<'_>, header: &Header) {
    ctx.set_relaxed(!C::IS_REQUEST && header.flags.is_error());
    if ctx.options().strict && header.flags.is_proxiable() != C::PROXIABLE {
        proxiable_mismatch(ctx, header.flags.is_proxiable());
    }
}

/// RFC 6733 7.1.3: the P bit against the command's definition. Set on a command that is not
/// proxiable, it asks agents to route what the application says they must not: 3008. Clear on
/// a proxiable one, it only forbids proxying this message, which its destination can still
/// process (deployed charging clients send CCRs so): a note, 3008 only when pedantic.
#[cold]
#[inline(never)]
fn proxiable_mismatch(ctx: &mut DecodeCtx<'_>, set: bool) {
    if set {
        let msg = "P bit set but the command is not proxiable".to_string();
        ctx.header_violation(rc::INVALID_HDR_BITS, msg);
    } else if ctx.options().pedantic {
        let msg = "P bit clear but the command is proxiable".to_string();
        ctx.header_violation(rc::INVALID_HDR_BITS, msg);
    } else {
        let msg = "P bit clear on a proxiable command: not to be proxied".to_string();
        ctx.note(NoteKind::NotProxiable, None, 0, 0, msg);
    }
}

#[doc(hidden)]
/// Writes a Grouped AVP, with the flags a sender sets for it. Its header is written after its
/// children, with the length they took (so nothing is measured first).
#[inline]
pub fn put_group<'a, T: Group<'a>>(w: &mut Writer<'_>, value: &T) {
    let def = T::DEF;
    let vendor = (def.vendor_id != 0).then_some(def.vendor_id);
    let at = w.begin_group(vendor);
    value.encode_group(w);
    w.end_group(at, def.code, def.default_flags(), vendor.is_some());
}

pub mod ctx;
pub mod decoded;
#[doc(hidden)]
pub mod fields;
mod occurrence;

pub use crate::failed::zero_filled;
pub use crate::violation::{first_violation, Note, NoteKind, Violation};
pub use ctx::{DecodeCtx, Repeated};
pub use decoded::Decoded;
#[doc(hidden)]
pub use fields::{Fields, Occurs};
