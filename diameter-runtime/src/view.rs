//! Validated views: the zero-allocation way to read a received message.
//!
//! Every generated command and Grouped AVP has a view next to its struct, e.g.
//! `CreditControlRequestView` next to `CreditControlRequest`. Decoding a view walks and checks
//! the message exactly as decoding the struct does (the same violations, Result-Codes and
//! Failed-AVPs), but keeps only where each field's first AVP is: one `u32` per field, no value.
//! An accessor decodes its field from the wire when called. So a view allocates nothing (unless
//! there are violations to report), has nothing to drop, and is `Copy`.
//!
//! Use a view to read a received message once, e.g. an online charging server reading the
//! units of a CCR, or an agent reading the routing AVPs; use the struct to keep a message,
//! change it or encode it. [`CommandView::to_command`] and [`GroupView::to_group`] give the
//! struct of a view without checking anything again.
//!
//! Accessors mirror the struct's fields: `{X}` gives the value (its `Default` if the message
//! lacked it, as the struct would hold), `[X]` an `Option`, a repeated field an [`Iter`], a
//! Grouped field the group's view, and `*[ AVP ]` an [`Others`] iterator over the AVPs the
//! grammar does not name. Values are decoded as the struct's decoder does: the first
//! occurrence of a single field, at most the grammar's maximum of a repeated one, invalid
//! values left out.
//!
//! Accessors read AVP headers tolerantly (reserved bits and non-zero padding accepted): on a
//! message whose AVPs are malformed (which its violations say), a view may show AVPs past the
//! first malformed one, where the struct's decoder stops.

use crate::avp::{self, AvpRef, Leniency};
use crate::dictionary::AvpDef;
use crate::error::DecodeError;
use crate::header::HEADER_LEN;
use crate::limits::DecodeOptions;
use crate::raw::RawAvp;
use crate::typed::{check_header, start, Command, DecodeCtx, Decoded, Fields, Group};
use crate::types::AvpValue;

/// How accessors read AVP headers: the view's decode already reported what is wrong.
const TOLERANT: Leniency = Leniency {
    reserved_bits: true,
    nonzero_padding: true,
};

/// A generated view of a Grouped AVP. `'a` is the lifetime of the buffer it reads.
pub trait GroupView<'a>: Copy {
    /// The Grouped AVP's dictionary entry.
    const DEF: &'static AvpDef;
    /// The struct this view reads as.
    type Group: Group<'a>;
    /// Checks the children `data` (the Grouped AVP's data), recording violations in `ctx`,
    /// and notes where each field is.
    fn check_group(data: &'a [u8], ctx: &mut DecodeCtx<'_>) -> Self;
    /// Notes where each field is in `data`, already checked.
    fn index_group(data: &'a [u8]) -> Self;
    /// Which field an AVP (code, Vendor-Id) belongs to: its index among the grammar's rules.
    fn slot(code: u32, vendor_id: u32) -> Option<usize>;
    /// The children this view reads.
    fn data(&self) -> &'a [u8];
    /// The group as its struct, every field decoded (nothing checked again).
    fn to_group(&self) -> Self::Group;
}

/// A generated view of a command (request or answer). `'a` is the lifetime of the buffer it
/// reads.
///
/// With the generated `diameter-messages` crate (a runnable version is its `credit_control`
/// example):
///
/// ```ignore
/// let decoded = CreditControlRequestView::decode(&bytes)?;
/// if !decoded.is_valid() {
///     // answer with decoded.error_answer(..)
/// }
/// let ccr = decoded.message;
/// for mscc in ccr.multiple_services_credit_control() {
///     let units = mscc.requested_service_unit();
/// }
/// ```
pub trait CommandView<'a>: Copy {
    /// The struct this view reads as.
    type Command: Command<'a>;
    /// A view of the message body `body` (the AVPs) that has found no field yet.
    fn unchecked(body: &'a [u8]) -> Self;
    /// Checks the body of an [`CommandView::unchecked`] view, recording violations in `ctx`,
    /// and notes where each field is. (In place: a command's view is large enough that
    /// returning it costs a copy.)
    fn check_into(&mut self, ctx: &mut DecodeCtx<'_>);
    /// Which field an AVP (code, Vendor-Id) belongs to: its index among the grammar's rules.
    fn slot(code: u32, vendor_id: u32) -> Option<usize>;
    /// The AVPs this view reads (the message without its header).
    fn data(&self) -> &'a [u8];
    /// The message as its struct, every field decoded (nothing checked again).
    fn to_command(&self) -> Self::Command;

    /// Decodes and checks one whole message strictly, with the default limits.
    fn decode(bytes: &'a [u8]) -> Result<Decoded<Self>, DecodeError> {
        Self::decode_with(bytes, &DecodeOptions::default())
    }

    /// Decodes and checks one whole message; errors and violations as
    /// [`Command::decode_with`] gives them.
    fn decode_with(bytes: &'a [u8], opts: &DecodeOptions) -> Result<Decoded<Self>, DecodeError> {
        Self::decode_in(bytes, opts, Self::Command::known_avp)
    }

    /// As [`CommandView::decode_with`], with `known` deciding which AVPs exist (for 5001).
    fn decode_in(
        bytes: &'a [u8],
        opts: &DecodeOptions,
        known: fn(u32, u32) -> Option<&'static AvpDef>,
    ) -> Result<Decoded<Self>, DecodeError> {
        let header = check_header::<Self::Command>(bytes, opts)?;
        // Built where it is returned, and checked there, the context recording into it.
        let body = bytes.get(HEADER_LEN..).unwrap_or_default();
        let mut result = Ok(Decoded::with_violations(Self::unchecked(body), Vec::new()));
        if let Ok(decoded) = &mut result {
            let (view, found) = decoded.findings();
            let mut ctx = DecodeCtx::new(opts, known, Self::Command::NAME, found);
            start::<Self::Command>(&mut ctx, &header);
            view.check_into(&mut ctx);
        }
        result
    }
}

/// Set in a single field's offset once its second occurrence has been reported (5009), so
/// that a third is not. Offsets stay below 2^24 (the longest message), so the bit is free.
pub const EXCESS_REPORTED: u32 = 1 << 31;

#[doc(hidden)]
/// The AVP whose offset + 1 is `at` in `data` (0: none).
#[inline]
pub fn avp_at(data: &[u8], at: u32) -> Option<AvpRef<'_>> {
    let pos = ((at & !EXCESS_REPORTED) as usize).checked_sub(1)?;
    avp::parse_at(data, pos, TOLERANT).map(|(a, _)| a)
}

#[doc(hidden)]
/// Where the first AVP of each field is in `data` (offset + 1; 0 for none), by `slot`.
pub fn index<const N: usize>(data: &[u8], slot: impl Fn(u32, u32) -> Option<usize>) -> [u32; N] {
    let mut at = [0u32; N];
    let mut pos = 0;
    while let Some((a, next)) = avp::parse_at(data, pos, TOLERANT) {
        if let Some(s) = slot(a.header.code, a.header.vendor()).and_then(|i| at.get_mut(i)) {
            if *s == 0 {
                *s = pos as u32 + 1;
            }
        }
        pos = next;
    }
    at
}

#[doc(hidden)]
/// A required field (`{X}`): its value, or the `Default` the struct would hold when the
/// message lacks it or it is invalid.
#[inline]
pub fn one<'a, T: AvpValue<'a> + Default>(data: &'a [u8], at: u32) -> T {
    opt(data, at).unwrap_or_default()
}

#[doc(hidden)]
/// An optional field (`[X]`).
#[inline]
pub fn opt<'a, T: AvpValue<'a>>(data: &'a [u8], at: u32) -> Option<T> {
    T::decode(avp_at(data, at)?.data).ok()
}

#[doc(hidden)]
/// A required Grouped field: its view (an empty group when the message lacks it).
#[inline]
pub fn group<'a, V: GroupView<'a>>(data: &'a [u8], at: u32) -> V {
    V::index_group(avp_at(data, at).map_or(&[][..], |a| a.data))
}

#[doc(hidden)]
/// An optional Grouped field.
#[inline]
pub fn opt_group<'a, V: GroupView<'a>>(data: &'a [u8], at: u32) -> Option<V> {
    avp_at(data, at).map(|a| V::index_group(a.data))
}

#[doc(hidden)]
/// A repeated field of AVP `key` (code, Vendor-Id) occurring at most `max` times.
#[inline]
pub fn many<'a, T: AvpValue<'a>>(
    data: &'a [u8],
    at: u32,
    key: (u32, u32),
    max: u32,
) -> Iter<'a, T> {
    Iter::new(data, at, key, max, decode_value::<T>)
}

#[doc(hidden)]
/// A repeated Grouped field of AVP `key` occurring at most `max` times.
#[inline]
pub fn many_group<'a, V: GroupView<'a>>(
    data: &'a [u8],
    at: u32,
    key: (u32, u32),
    max: u32,
) -> Iter<'a, V> {
    Iter::new(data, at, key, max, index_group::<V>)
}

#[doc(hidden)]
/// The AVPs of `data` that `slot` does not name (`*[ AVP ]`).
#[inline]
pub fn others(data: &[u8], slot: fn(u32, u32) -> Option<usize>) -> Others<'_> {
    Others { data, pos: 0, slot }
}

fn decode_value<'a, T: AvpValue<'a>>(data: &'a [u8]) -> Option<T> {
    T::decode(data).ok()
}

fn index_group<'a, V: GroupView<'a>>(data: &'a [u8]) -> Option<V> {
    Some(V::index_group(data))
}

/// The values of a repeated field, read from the wire as the iteration reaches them.
#[derive(Clone, Debug)]
pub struct Iter<'a, T> {
    data: &'a [u8],
    pos: usize,
    key: (u32, u32),
    left: u32,
    item: fn(&'a [u8]) -> Option<T>,
}

impl<'a, T> Iter<'a, T> {
    fn new(
        data: &'a [u8],
        at: u32,
        key: (u32, u32),
        max: u32,
        item: fn(&'a [u8]) -> Option<T>,
    ) -> Self {
        let (pos, left) = match (at as usize).checked_sub(1) {
            Some(pos) => (pos, max),
            None => (data.len(), 0),
        };
        Iter {
            data,
            pos,
            key,
            left,
            item,
        }
    }
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        while self.left > 0 {
            let (a, next) = avp::parse_at(self.data, self.pos, TOLERANT)?;
            self.pos = next;
            if (a.header.code, a.header.vendor()) == self.key {
                self.left -= 1;
                if let Some(v) = (self.item)(a.data) {
                    return Some(v);
                }
            }
        }
        None
    }
}

/// The AVPs a grammar ending in `*[ AVP ]` does not name, as found in the message.
#[derive(Clone, Debug)]
pub struct Others<'a> {
    data: &'a [u8],
    pos: usize,
    slot: fn(u32, u32) -> Option<usize>,
}

impl<'a> Iterator for Others<'a> {
    type Item = RawAvp<'a>;

    fn next(&mut self) -> Option<RawAvp<'a>> {
        loop {
            let (a, next) = avp::parse_at(self.data, self.pos, TOLERANT)?;
            self.pos = next;
            if (self.slot)(a.header.code, a.header.vendor()).is_none() {
                return Some(RawAvp::borrowed(&a));
            }
        }
    }
}

/// The checks of the view's walk: those of the struct decoders ([`Fields::one`] and the
/// others), with each field's place kept instead of its value.
impl<const N: usize> Fields<'_, '_, N> {
    /// A repeated scalar field of a view: the checks of [`Fields::many`], the value checked
    /// and dropped, and where the field's first AVP is: `slot` holds its offset + 1 (0 while
    /// absent).
    #[inline(always)]
    pub fn view<'a, T: AvpValue<'a>>(&mut self, k: usize, a: &AvpRef<'a>, slot: &mut u32) {
        if self.counted(k, a) {
            // Checked only: the view decodes the value again when asked.
            let _ = self.ctx.value::<T>(self.rule_at(k), a);
        }
        if *slot == 0 {
            *slot = a.offset as u32 + 1;
        }
    }

    /// A single scalar field of a view (`{X}`, `<X>` or `[X]`: at most one occurrence), as
    /// [`Fields::view`] checks it but counting in `slot` itself: a second occurrence is 5009
    /// once, marked by [`EXCESS_REPORTED`] in `slot`.
    #[inline(always)]
    pub fn view_single<'a, T: AvpValue<'a>>(&mut self, k: usize, a: &AvpRef<'a>, slot: &mut u32) {
        if self.single(k, a, slot) {
            let _ = self.ctx.value::<T>(self.rule_at(k), a);
        }
    }

    /// A single Grouped field of a view, counted in `slot` as [`Fields::view_single`] does.
    #[inline(always)]
    pub fn view_single_group<'a, V: GroupView<'a>>(
        &mut self,
        k: usize,
        a: &AvpRef<'a>,
        slot: &mut u32,
    ) {
        if self.single(k, a, slot) && self.ctx.enter(self.rule_at(k)) {
            self.ctx.nested(a, V::DEF.name, |ctx| {
                V::check_group(a.data, ctx);
            });
        }
    }

    /// A repeated Grouped field of a view: its children checked by `V` (and not kept), as
    /// [`Fields::many_group`] would decode them.
    #[inline(always)]
    pub fn view_group<'a, V: GroupView<'a>>(&mut self, k: usize, a: &AvpRef<'a>, slot: &mut u32) {
        if self.counted(k, a) && self.ctx.enter(self.rule_at(k)) {
            self.ctx.nested(a, V::DEF.name, |ctx| {
                V::check_group(a.data, ctx);
            });
        }
        if *slot == 0 {
            *slot = a.offset as u32 + 1;
        }
    }

    /// [`Fields::other`] for a view, which finds kept AVPs again when asked ([`others`]): the
    /// same checks, nothing stored.
    #[inline(always)]
    pub fn other_in_view(&mut self, a: &AvpRef<'_>) {
        let grammar = self.grammar();
        self.ctx.check_other(grammar, a.wire);
    }
}
