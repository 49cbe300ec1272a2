//! The engine behind generated typed messages: decoding with occurrence-rule validation
//! (RFC 6733 section 7), encoding in place, and the traits generated types implement.
//!
//! Generated code keeps per-type work (field slots in locals, a `match` on AVP codes); this
//! module holds what is the same for every type: counting occurrences, checking them against
//! the grammar tables of [`crate::dictionary`], and recording violations with their
//! Result-Code, path and Failed-AVP.

use bytes::{Bytes, BytesMut};

use crate::avp::{self, AvpFlags, AvpIter, AvpRef};
use crate::consts::result_code as rc;
use crate::dictionary::{AvpDef, GrammarDef, RuleDef};
use crate::error::{AvpError, DecodeError};
use crate::header::{CommandFlags, Header, HEADER_LEN, MAX_U24};
use crate::limits::DecodeOptions;
use crate::raw::{self, RawAvp};
use crate::types::{AvpType, AvpValue, IntoOwned};

/// One problem found while decoding a message: what a receiver would answer and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The Result-Code RFC 6733 (or the application) gives for it.
    pub result_code: u32,
    /// Name of the offending AVP, when the dictionary knows it.
    pub avp: Option<&'static str>,
    /// Code of the offending AVP (0 when the problem is not about one AVP).
    pub code: u32,
    /// Vendor-Id of the offending AVP.
    pub vendor_id: u32,
    /// The enclosing command and Grouped AVPs, outermost first, e.g.
    /// `["Credit-Control-Request", "Multiple-Services-Credit-Control"]`.
    pub path: Vec<&'static str>,
    /// What is wrong, for people.
    pub message: String,
    /// The AVP to report in Failed-AVP, nested in its enclosing Grouped AVPs (RFC 6733 7.5).
    pub failed_avp: Option<Bytes>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.result_code, self.path.join("/"))?;
        match self.avp {
            Some(n) => write!(f, "/{n}")?,
            None if self.code != 0 => write!(f, "/AVP {}", self.code)?,
            None => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// A decoded message with every violation found. Decoding is total: missing required AVPs
/// leave their fields at `Default` values and are reported here.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded<T> {
    /// The message.
    pub message: T,
    /// Every violation, in the order found.
    pub violations: Vec<Violation>,
}

impl<T> Decoded<T> {
    /// No violation was found.
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }

    /// The Result-Code a receiver answers with: 2001 when valid; otherwise that of the first
    /// protocol error (3xxx), or else of the first violation.
    pub fn result_code(&self) -> u32 {
        first_violation(&self.violations).map_or(rc::SUCCESS, |v| v.result_code)
    }

    /// The answer RFC 6733 requires for the request `request` (its bytes), or `None` when the
    /// message is valid or is not a request. See [`crate::answer::error_answer`].
    pub fn error_answer(
        &self,
        request: &[u8],
        id: &crate::answer::Identity,
    ) -> Option<crate::RawMessage<'static>> {
        crate::answer::error_answer(
            request,
            crate::answer::Problem::Violations(&self.violations),
            id,
        )
    }

    /// The same, with the message made `'static` (see [`IntoOwned`]).
    pub fn into_owned(self) -> Decoded<T::Owned>
    where
        T: IntoOwned,
    {
        Decoded {
            message: self.message.into_owned(),
            violations: self.violations,
        }
    }

    /// The same, with the message made `'static` by sharing `owner`, the buffer it was decoded
    /// from (see [`IntoOwned::into_shared`]): no copy.
    pub fn into_shared(self, owner: &Bytes) -> Decoded<T::Owned>
    where
        T: IntoOwned,
    {
        Decoded {
            message: self.message.into_shared(owner),
            violations: self.violations,
        }
    }

    /// The message if it is valid, else its violations.
    pub fn into_result(self) -> Result<T, Vec<Violation>> {
        if self.violations.is_empty() {
            Ok(self.message)
        } else {
            Err(self.violations)
        }
    }
}

/// The violation that decides the answer: the first protocol error, or else the first one.
pub fn first_violation(violations: &[Violation]) -> Option<&Violation> {
    violations
        .iter()
        .find(|v| rc::is_protocol_error(v.result_code))
        .or_else(|| violations.first())
}

/// A collection a repeated scalar field decodes into.
pub trait Repeated<T> {
    /// Appends `v`.
    fn push_value(&mut self, v: T);
}

impl<T> Repeated<T> for Vec<T> {
    #[inline]
    fn push_value(&mut self, v: T) {
        self.push(v)
    }
}

impl<T, const N: usize> Repeated<T> for smallvec::SmallVec<[T; N]> {
    #[inline]
    fn push_value(&mut self, v: T) {
        self.push(v)
    }
}

/// What generated code knows at compile time about one grammar rule. Passed as a literal, so
/// that once inlined the occurrence and flag checks compare against immediates instead of
/// reading the dictionary tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurs {
    /// Most occurrences; `u32::MAX` when unbounded.
    pub max: u32,
    /// Position among the fixed AVPs (`< X >`) at the start; `usize::MAX` for none.
    pub fixed_at: usize,
    /// The flag bits (M, P) the dictionary requires set or clear...
    pub flag_mask: u8,
    /// ...and their required values: flags `f` are wrong when `f & flag_mask != flag_bits`.
    pub flag_bits: u8,
}

/// Decoding state shared by the generated decoders of one message.
#[derive(Debug)]
pub struct DecodeCtx<'o> {
    opts: &'o DecodeOptions,
    known: fn(u32, u32) -> Option<&'static AvpDef>,
    violations: Vec<Violation>,
    /// The command (or outermost group) being decoded: the start of every violation's path.
    /// The groups in between are added as the decoders return (see `nested`), so that the
    /// walk keeps no path of its own.
    root: &'static str,
    depth: u32,
    /// Set for answers with the E bit: they follow RFC 6733's generic answer-message grammar,
    /// so the command's required AVPs are not demanded.
    relaxed: bool,
}

impl<'o> DecodeCtx<'o> {
    /// A context for one message. `known` looks up every AVP the dictionaries define (for the
    /// 5001 check); `root` names the command, e.g. `"Credit-Control-Request"`.
    pub fn new(
        opts: &'o DecodeOptions,
        known: fn(u32, u32) -> Option<&'static AvpDef>,
        root: &'static str,
    ) -> Self {
        DecodeCtx {
            opts,
            known,
            violations: Vec::new(),
            root,
            depth: 0,
            relaxed: false,
        }
    }

    /// Do not report missing required AVPs (E-bit answers).
    pub fn set_relaxed(&mut self, relaxed: bool) {
        self.relaxed = relaxed;
    }

    /// The options in force.
    pub fn options(&self) -> &DecodeOptions {
        self.opts
    }

    /// The violations found so far.
    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }

    fn push(
        &mut self,
        result_code: u32,
        avp: Option<&'static str>,
        code: u32,
        vendor_id: u32,
        message: String,
        failed: Option<Bytes>,
    ) {
        let path = vec![self.root];
        self.violations.push(Violation {
            result_code,
            avp,
            code,
            vendor_id,
            path,
            message,
            failed_avp: failed,
        });
    }

    /// Records a problem with the message header.
    pub fn header_violation(&mut self, result_code: u32, message: String) {
        self.push(result_code, None, 0, 0, message, None);
    }

    /// A rule whose AVP must not occur (`0*0`): every occurrence is 5008.
    pub fn forbidden(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'_>,
        count: &mut u32,
        index: usize,
    ) {
        self.occurrence(rule, occurs, a, count, index);
    }

    /// Records a malformed AVP that stopped the walk of one list.
    pub fn malformed(&mut self, e: AvpError) {
        let name = (self.known)(e.code, e.vendor_id).map(|d| d.name);
        self.push(
            e.result_code(),
            name,
            e.code,
            e.vendor_id,
            e.kind.to_string(),
            Some(e.failed_avp),
        );
    }

    #[cold]
    #[inline(never)]
    fn bad_flags(&mut self, def: &'static AvpDef, wire: &[u8]) {
        let f = header_of(wire).flags;
        for (rule, set, bit) in [
            (def.m, f.is_mandatory(), "M"),
            (def.p, f.is_protected(), "P"),
        ] {
            if rule.violated_by(set) {
                let msg = format!(
                    "{bit} bit {} but the dictionary says {}",
                    if set { "set" } else { "clear" },
                    rule.as_str()
                );
                self.push(
                    rc::INVALID_AVP_BITS,
                    Some(def.name),
                    def.code,
                    def.vendor_id,
                    msg,
                    Some(Bytes::copy_from_slice(wire)),
                );
            }
        }
    }

    /// Counts one occurrence of `rule`'s AVP; reports wrong flags (3009, strict), 5009 for the
    /// first one past the maximum and 5008 for a fixed AVP away from its place. Returns whether
    /// to keep the value.
    #[inline(always)]
    fn occurrence(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'_>,
        count: &mut u32,
        index: usize,
    ) -> bool {
        *count += 1;
        if self.opts.strict && a.header.flags.0 & occurs.flag_mask != occurs.flag_bits {
            self.bad_flags(rule.avp, a.wire);
        }
        if *count > occurs.max {
            if *count == occurs.max.wrapping_add(1) {
                self.excess(rule, a.wire, occurs.max);
            }
            return false;
        }
        if occurs.fixed_at != usize::MAX && index != occurs.fixed_at {
            self.misplaced(rule, a.wire, index, occurs.fixed_at);
        }
        true
    }

    #[cold]
    #[inline(never)]
    fn excess(&mut self, rule: &'static RuleDef, wire: &[u8], max: u32) {
        let (code, msg) = if max == 0 {
            (rc::AVP_NOT_ALLOWED, "not allowed here".to_string())
        } else {
            let s = if max == 1 { "" } else { "s" };
            (
                rc::AVP_OCCURS_TOO_MANY_TIMES,
                format!("occurs more than {max} time{s}"),
            )
        };
        let d = rule.avp;
        self.push(
            code,
            Some(d.name),
            d.code,
            d.vendor_id,
            msg,
            Some(Bytes::copy_from_slice(wire)),
        );
    }

    #[cold]
    #[inline(never)]
    fn misplaced(&mut self, rule: &'static RuleDef, wire: &[u8], index: usize, fixed_at: usize) {
        let msg = format!(
            "must be AVP number {} of its message or group, found at {}",
            fixed_at + 1,
            index + 1
        );
        let d = rule.avp;
        self.push(
            rc::AVP_NOT_ALLOWED,
            Some(d.name),
            d.code,
            d.vendor_id,
            msg,
            Some(Bytes::copy_from_slice(wire)),
        );
    }

    /// Decodes a scalar value for `rule`, reporting 5004/5014 with the AVP as Failed-AVP.
    #[inline(always)]
    fn value<'a, T: AvpValue<'a>>(&mut self, rule: &'static RuleDef, a: &AvpRef<'a>) -> Option<T> {
        match T::decode(a.data) {
            Ok(v) => Some(v),
            Err(e) => self.invalid(rule, a.wire, e),
        }
    }

    #[cold]
    #[inline(never)]
    fn invalid<T>(
        &mut self,
        rule: &'static RuleDef,
        wire: &[u8],
        e: crate::error::ValueError,
    ) -> Option<T> {
        let d = rule.avp;
        let failed = Some(Bytes::copy_from_slice(wire));
        self.push(
            e.result_code(),
            Some(d.name),
            d.code,
            d.vendor_id,
            e.to_string(),
            failed,
        );
        None
    }

    /// A required scalar field (`{X}` or `<X>`: `T`); the first occurrence is kept.
    // Flat arguments: called only from generated code, and kept inlinable.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn one<'a, T: AvpValue<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut T,
        count: &mut u32,
        index: usize,
    ) {
        if self.occurrence(rule, occurs, a, count, index) && *count == 1 {
            if let Some(v) = self.value(rule, a) {
                *slot = v;
            }
        }
    }

    /// An optional scalar field (`[X]`: `Option<T>`).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn opt<'a, T: AvpValue<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut Option<T>,
        count: &mut u32,
        index: usize,
    ) {
        if self.occurrence(rule, occurs, a, count, index) && *count == 1 {
            *slot = self.value(rule, a);
        }
    }

    /// A repeated scalar field (`Vec` or `SmallVec`).
    #[inline(always)]
    pub fn many<'a, T: AvpValue<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut impl Repeated<T>,
        count: &mut u32,
        index: usize,
    ) {
        if self.occurrence(rule, occurs, a, count, index) {
            if let Some(v) = self.value(rule, a) {
                slot.push_value(v);
            }
        }
    }

    /// A required Grouped field, decoded in place.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn one_group<'a, T: Group<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut T,
        count: &mut u32,
        index: usize,
    ) {
        if self.occurrence(rule, occurs, a, count, index) && *count == 1 && self.enter(rule) {
            self.group(a, slot);
        }
    }

    /// An optional Grouped field, decoded in place.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn opt_group<'a, T: Group<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut Option<T>,
        count: &mut u32,
        index: usize,
    ) {
        if self.occurrence(rule, occurs, a, count, index) && *count == 1 && self.enter(rule) {
            let g = slot.insert(T::default());
            self.group(a, g);
        }
    }

    /// A repeated Grouped field, each decoded in place at the end of the vector.
    #[inline(always)]
    pub fn many_group<'a, T: Group<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut Vec<T>,
        count: &mut u32,
        index: usize,
    ) {
        if self.occurrence(rule, occurs, a, count, index) && self.enter(rule) {
            // Written straight into the vector's memory, not built aside and copied in.
            slot.resize_with(slot.len() + 1, T::default);
            if let Some(g) = slot.last_mut() {
                self.group(a, g);
            }
        }
    }

    /// A scalar field of a view ([`crate::view`]): the checks of [`DecodeCtx::one`],
    /// [`DecodeCtx::opt`] or [`DecodeCtx::many`] (the same for all three once `occurs` says
    /// how many may occur), the value checked and dropped, and where the field's first AVP is:
    /// `slot` holds its offset + 1 (0 while absent).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn view<'a, T: AvpValue<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut u32,
        count: &mut u32,
        index: usize,
    ) {
        if self.occurrence(rule, occurs, a, count, index) {
            // Checked only: the view decodes the value again when asked.
            let _ = self.value::<T>(rule, a);
        }
        if *slot == 0 {
            *slot = a.offset as u32 + 1;
        }
    }

    /// A single scalar field of a view (`{X}`, `<X>` or `[X]`: at most one occurrence), as
    /// [`DecodeCtx::view`] checks it but counting in `slot` itself: a second occurrence is 5009
    /// once, marked by [`crate::view::EXCESS_REPORTED`] in `slot`.
    #[inline(always)]
    pub fn view_single<'a, T: AvpValue<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut u32,
        index: usize,
    ) {
        if self.single(rule, occurs, a, slot, index) {
            let _ = self.value::<T>(rule, a);
        }
    }

    /// A single Grouped field of a view, counted in `slot` as [`DecodeCtx::view_single`] does.
    #[inline(always)]
    pub fn view_single_group<'a, V: crate::view::GroupView<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut u32,
        index: usize,
    ) {
        if self.single(rule, occurs, a, slot, index) && self.enter(rule) {
            self.nested(a, V::DEF.name, |ctx| {
                V::check_group(a.data, ctx);
            });
        }
    }

    /// [`DecodeCtx::occurrence`] for a rule of at most one occurrence, counted by `slot` (the
    /// offset + 1 of the first occurrence, 0 before it). Returns whether this is the first.
    #[inline(always)]
    fn single(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'_>,
        slot: &mut u32,
        index: usize,
    ) -> bool {
        if self.opts.strict && a.header.flags.0 & occurs.flag_mask != occurs.flag_bits {
            self.bad_flags(rule.avp, a.wire);
        }
        if *slot != 0 {
            if *slot & crate::view::EXCESS_REPORTED == 0 {
                *slot |= crate::view::EXCESS_REPORTED;
                self.excess(rule, a.wire, 1);
            }
            return false;
        }
        *slot = a.offset as u32 + 1;
        if occurs.fixed_at != usize::MAX && index != occurs.fixed_at {
            self.misplaced(rule, a.wire, index, occurs.fixed_at);
        }
        true
    }

    /// A Grouped field of a view: its children checked by `V` (and not kept), as
    /// [`DecodeCtx::one_group`] and the others would decode them.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn view_group<'a, V: crate::view::GroupView<'a>>(
        &mut self,
        rule: &'static RuleDef,
        occurs: Occurs,
        a: &AvpRef<'a>,
        slot: &mut u32,
        count: &mut u32,
        index: usize,
    ) {
        if self.occurrence(rule, occurs, a, count, index) && self.enter(rule) {
            self.nested(a, V::DEF.name, |ctx| {
                V::check_group(a.data, ctx);
            });
        }
        if *slot == 0 {
            *slot = a.offset as u32 + 1;
        }
    }

    /// Can one more level of Grouped AVPs be decoded? Records 5012 when not.
    #[inline(always)]
    fn enter(&mut self, rule: &'static RuleDef) -> bool {
        if self.depth + 1 < self.opts.max_depth {
            return true;
        }
        self.too_deep(rule);
        false
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&mut self, rule: &'static RuleDef) {
        let msg = format!("Grouped AVPs nested deeper than {}", self.opts.max_depth);
        self.push(
            rc::UNABLE_TO_COMPLY,
            Some(rule.avp.name),
            rule.avp.code,
            rule.avp.vendor_id,
            msg,
            None,
        );
    }

    /// Decodes the children of Grouped AVP `a` into `slot` (its rule already checked).
    #[inline]
    fn group<'a, T: Group<'a>>(&mut self, a: &AvpRef<'a>, slot: &mut T) {
        self.nested(a, T::DEF.name, |ctx| slot.decode_group(a.data, ctx));
    }

    /// Runs `f` over the children of Grouped AVP `a` (named `name`), one level deeper, and
    /// nests what it reports in `a`.
    #[inline(always)]
    fn nested(&mut self, a: &AvpRef<'_>, name: &'static str, f: impl FnOnce(&mut Self)) {
        let before = self.violations.len();
        self.depth += 1;
        f(self);
        self.depth -= 1;
        if self.violations.len() > before {
            self.nest_failed(before, a.wire, name);
        }
    }

    /// RFC 6733 7.5: a failure inside a Grouped AVP is reported inside that AVP. Its name
    /// goes into the violation's path after the root: levels further out do the same as
    /// their decoders return, so the path ends up outermost first.
    #[cold]
    #[inline(never)]
    fn nest_failed(&mut self, from: usize, parent: &[u8], name: &'static str) {
        let parent = header_of(parent);
        for viol in &mut self.violations[from..] {
            viol.path.insert(1, name);
            if let Some(inner) = viol.failed_avp.take() {
                viol.failed_avp = Some(wrap(&parent, &inner));
            }
        }
    }

    /// An AVP the grammar does not name: kept in `extra` when the grammar ends in `*[ AVP ]`,
    /// otherwise 5008; an unknown AVP with the M bit is also 5001 in strict mode. What is kept
    /// re-encodes unchanged, violation or not, so a lenient relay loses nothing.
    pub fn other<'a>(
        &mut self,
        grammar: &'static GrammarDef,
        a: &AvpRef<'a>,
        extra: Option<&mut Vec<RawAvp<'a>>>,
    ) {
        if self.check_other(grammar, a.wire) {
            if let Some(extra) = extra {
                extra.push(RawAvp::borrowed(a));
            }
        }
    }

    /// [`DecodeCtx::other`] for a view, which finds kept AVPs again when asked
    /// ([`crate::view::others`]): the same checks, nothing stored.
    pub fn other_in_view(&mut self, grammar: &'static GrammarDef, a: &AvpRef<'_>) {
        self.check_other(grammar, a.wire);
    }

    /// The checks of [`DecodeCtx::other`]; returns whether the grammar keeps the AVP.
    fn check_other(&mut self, grammar: &'static GrammarDef, wire: &[u8]) -> bool {
        let h = header_of(wire);
        let (code, vendor) = (h.code, h.vendor());
        let def = (self.known)(code, vendor);
        let failed = || Some(Bytes::copy_from_slice(wire));
        // An excluded AVP is known, is 5008 and is kept like any other (see `occurrence`).
        if def.is_some() && self.excluded(grammar, wire) {
            return grammar.extensible;
        }
        let unsupported = def.is_none() && h.flags.is_mandatory();
        if unsupported && (self.opts.strict || !grammar.extensible) {
            self.push(
                rc::AVP_UNSUPPORTED,
                None,
                code,
                vendor,
                "unknown AVP with the M bit set".into(),
                failed(),
            );
        }
        if grammar.extensible {
            return true;
        }
        if !unsupported {
            let name = def.map(|d| d.name);
            self.push(
                rc::AVP_NOT_ALLOWED,
                name,
                code,
                vendor,
                "not allowed by the grammar".into(),
                failed(),
            );
        }
        false
    }

    /// Reports that `rule`'s AVP occurred `n` times, fewer than its minimum (5005, with a
    /// zero-filled AVP of that code as Failed-AVP). Generated code calls it only when `n` is
    /// below the minimum.
    #[cold]
    pub fn missing(&mut self, rule: &'static RuleDef, n: u32) {
        if self.relaxed && self.depth == 0 {
            return;
        }
        let d = rule.avp;
        let msg = if rule.min == 1 {
            "missing".to_string()
        } else {
            format!("occurs {n} times, at least {} required", rule.min)
        };
        self.push(
            rc::MISSING_AVP,
            Some(d.name),
            d.code,
            d.vendor_id,
            msg,
            Some(zero_filled(d)),
        );
    }

    /// Walks the AVPs of `buf` (a message body or a Grouped AVP's data), calling `field` for
    /// each with its index; a malformed AVP is recorded and ends the walk.
    #[inline(always)]
    pub fn walk<'b>(
        &mut self,
        buf: &'b [u8],
        mut field: impl FnMut(&mut Self, &AvpRef<'b>, usize),
    ) {
        let leniency = self.opts.leniency;
        let max_avps = self.opts.max_avps as usize;
        let mut pos = 0usize;
        let mut index = 0usize;
        loop {
            // The parse's own bounds check also finds the end of the list.
            let Some((a, next)) = avp::parse_at(buf, pos, leniency) else {
                if pos < buf.len() {
                    self.malformed_at(buf, pos);
                }
                return;
            };
            if index >= max_avps {
                self.too_many_avps();
                return;
            }
            field(self, &a, index);
            index += 1;
            pos = next;
        }
    }

    /// The fast path refused the AVP at `pos`: let the careful walk say what is wrong, and
    /// record it. (Kept out of the loop: merging a way back into it costs the hot path.)
    #[cold]
    #[inline(never)]
    fn malformed_at(&mut self, buf: &[u8], pos: usize) {
        match AvpIter::at(buf, pos, self.opts.leniency).next() {
            Some(Err(e)) => self.malformed(*e),
            // The two walks check the same things; should they ever disagree, say so rather
            // than end the walk silently.
            _ => {
                debug_assert!(false, "avp::parse_at refused an AVP that AvpIter accepts");
                let msg = format!("AVP at offset {pos} refused by the fast path");
                self.push(rc::INVALID_AVP_LENGTH, None, 0, 0, msg, None);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn too_many_avps(&mut self) {
        let msg = format!("more than {} AVPs", self.opts.max_avps);
        self.push(rc::UNABLE_TO_COMPLY, None, 0, 0, msg, None);
    }
}

/// The header of an AVP that a walk already accepted, read again from its bytes: cold paths
/// take only the AVP's bytes, so that the hot loop need not keep a whole [`AvpRef`] in memory.
fn header_of(wire: &[u8]) -> crate::avp::AvpHeader {
    let word = |at: usize| {
        wire.get(at..at + 4)
            .and_then(|w| w.first_chunk::<4>())
            .map_or(0, |w| u32::from_be_bytes(*w))
    };
    let flags = AvpFlags(wire.get(4).copied().unwrap_or(0));
    crate::avp::AvpHeader {
        code: word(0),
        flags,
        length: word(4) & 0x00ff_ffff,
        vendor_id: flags.is_vendor().then(|| word(8)),
    }
}

fn wrap(parent: &crate::avp::AvpHeader, inner: &[u8]) -> Bytes {
    let mut buf = BytesMut::with_capacity(inner.len() + 16);
    let start = avp::begin_avp(&mut buf, parent.code, parent.flags.0, parent.vendor_id);
    buf.extend_from_slice(inner);
    // The child's padding belongs to the parent's data (RFC 6733 4.4).
    bytes::BufMut::put_bytes(&mut buf, 0, avp::padding(inner.len()));
    avp::finish_avp(&mut buf, start);
    buf.freeze()
}

/// A zero-filled AVP of `def`'s code with the minimum data length of its type: what RFC 6733
/// 7.5 asks Failed-AVP to hold for a missing AVP.
pub fn zero_filled(def: &AvpDef) -> Bytes {
    let len = match def.ty {
        AvpType::Integer32
        | AvpType::Unsigned32
        | AvpType::Float32
        | AvpType::Enumerated
        | AvpType::Time => 4,
        AvpType::Integer64 | AvpType::Unsigned64 | AvpType::Float64 => 8,
        AvpType::Address => 6,
        _ => 0,
    };
    let mut buf = BytesMut::with_capacity(12 + len);
    let vendor = (def.vendor_id != 0).then_some(def.vendor_id);
    avp::put_avp(
        &mut buf,
        def.code,
        def.default_flags(),
        vendor,
        &[0u8; 8][..len],
    );
    buf.truncate(buf.len() - avp::padding(len + if vendor.is_some() { 12 } else { 8 }));
    buf.freeze()
}

/// A generated Grouped AVP type. `'a` is the lifetime of the buffer it decodes from.
pub trait Group<'a>: Sized + Default {
    /// Its dictionary entry.
    const DEF: &'static AvpDef;
    /// Decodes the AVP data (the children) into `self`, a default value, recording
    /// violations in `ctx`.
    fn decode_group(&mut self, data: &'a [u8], ctx: &mut DecodeCtx<'_>);
    /// Bytes the children take on the wire (the Grouped AVP's data length).
    fn encoded_len(&self) -> usize;
    /// Writes the children ([`Group::encoded_len`] bytes).
    fn encode_group(&self, w: &mut enc::Writer<'_>);
}

/// Encodes a group as a raw AVP, e.g. to put a vendor's Grouped AVP into another group's
/// `other_avps`.
///
/// # Panics
/// When the group is longer than the 24-bit AVP Length can say (16 MiB - 1).
pub fn group_to_raw<'a, T: Group<'a>>(value: &T) -> RawAvp<'static> {
    let mut buf = BytesMut::with_capacity(value.encoded_len());
    // The limit leaves room for the AVP's own header.
    let max = MAX_U24 as usize - avp::AVP_VENDOR_HEADER_LEN;
    enc::append(
        &mut buf,
        max,
        "Grouped AVP data",
        || value.encoded_len(),
        |w| value.encode_group(w),
    );
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
    let mut ctx = DecodeCtx::new(opts, known, def.name);
    let mut message = T::default();
    message.decode_group(avp.data.as_bytes(), &mut ctx);
    Some(Decoded {
        message,
        violations: ctx.into_violations(),
    })
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
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }
    fn encode_group(&self, w: &mut enc::Writer<'_>) {
        (**self).encode_group(w);
    }
}

/// A generated command type (one of request or answer). `'a` is the lifetime of the buffer it
/// decodes from: text and octet fields borrow it; [`IntoOwned`] gives a `'static` message.
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
    /// Every AVP the enabled dictionaries know, for the 5001 check.
    fn known_avp(code: u32, vendor_id: u32) -> Option<&'static AvpDef>;
    /// Decodes the message body into `self`, a default value, recording violations in `ctx`.
    fn decode_body(&mut self, body: &'a [u8], ctx: &mut DecodeCtx<'_>);
    /// Bytes the AVPs take on the wire (the message length without the header).
    fn body_len(&self) -> usize;
    /// Writes the AVPs ([`Command::body_len`] bytes).
    fn encode_body(&self, w: &mut enc::Writer<'_>);

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
        let mut ctx = DecodeCtx::new(opts, known, Self::NAME);
        start::<Self>(&mut ctx, &header);
        // Built where it is returned: the message is large, and moving it costs a copy.
        let mut result = Ok(Decoded {
            message: Self::default(),
            violations: Vec::new(),
        });
        if let Ok(out) = &mut result {
            out.message
                .decode_body(bytes.get(HEADER_LEN..).unwrap_or_default(), &mut ctx);
            out.violations = ctx.into_violations();
        }
        result
    }

    /// Appends the whole message, header included, to `buf` ([`enc::message`]): in one pass
    /// into a reused buffer with room for it, without measuring or zero-filling; a buffer
    /// without room is grown once, to the size measured.
    ///
    /// # Panics
    /// When the message is longer than the 24-bit Message-Length can say (16 MiB - 1).
    fn encode(&self, hop_by_hop: u32, end_to_end: u32, buf: &mut BytesMut) {
        enc::message(
            buf,
            &Self::header(hop_by_hop, end_to_end),
            || self.body_len(),
            |w| self.encode_body(w),
        );
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
    if ctx.opts.strict && header.flags.is_proxiable() != C::PROXIABLE {
        proxiable_mismatch(ctx, header.flags.is_proxiable(), C::PROXIABLE);
    }
}

/// RFC 6733 7.1.3: header bits inconsistent with the command's definition.
#[cold]
#[inline(never)]
fn proxiable_mismatch(ctx: &mut DecodeCtx<'_>, set: bool, proxiable: bool) {
    let msg = format!(
        "P bit {} but the command is {}proxiable",
        if set { "set" } else { "clear" },
        if proxiable { "" } else { "not " }
    );
    ctx.header_violation(rc::INVALID_HDR_BITS, msg);
}

pub mod enc;
mod occurrence;
