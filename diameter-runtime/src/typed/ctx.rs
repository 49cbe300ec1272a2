//! [`DecodeCtx`]: the state generated decoders share while walking one message, recording
//! violations with their Result-Code, path and Failed-AVP. The per-field work of one AVP list
//! (occurrence counting against the grammar) is [`super::Fields`].

use bytes::Bytes;

use super::{Decoded, Group};
use crate::avp::{AvpIter, AvpRef};
use crate::consts::result_code as rc;
use crate::dictionary::{AvpDef, GrammarDef, RuleDef};
use crate::error::AvpError;
use crate::failed::{header_of, nest, zero_filled};
use crate::limits::DecodeOptions;
use crate::raw::RawAvp;
use crate::types::AvpValue;
use crate::violation::{Note, NoteKind, Violation};

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

/// Where a [`DecodeCtx`] records what it finds: the report fields of the [`Decoded`] its
/// caller built where the result is returned ([`Decoded::findings`]). Recording there, rather
/// than in vectors of the context moved into the result at the end, spares every decode the
/// making, moving and dropping of a second set of (empty) vectors.
#[derive(Debug)]
pub(crate) struct Findings<'o> {
    violations: &'o mut Vec<Violation>,
    notes: &'o mut Vec<Note>,
    /// Violations found past `opts.max_violations`, counted and not built.
    dropped: &'o mut u32,
}

impl<T> Decoded<T> {
    /// The message to decode into, and where the decoder records what it finds.
    pub(crate) fn findings(&mut self) -> (&mut T, Findings<'_>) {
        let Decoded {
            message,
            violations,
            notes,
            dropped,
        } = self;
        (
            message,
            Findings {
                violations,
                notes,
                dropped,
            },
        )
    }
}

/// Decoding state shared by the generated decoders of one message.
#[derive(Debug)]
pub struct DecodeCtx<'o> {
    opts: &'o DecodeOptions,
    known: fn(u32, u32) -> Option<&'static AvpDef>,
    found: Findings<'o>,
    /// A protocol error (3xxx) is among `violations`: one found past the bound is kept only
    /// when none is, so that the Result-Code decided is right.
    protocol_error: bool,
    /// Failed-AVP's grammar, looked up the first time an unknown M-bit AVP asks for it.
    failed_grammar: Option<Option<&'static GrammarDef>>,
    /// The command (or outermost group) being decoded: the start of every violation's path.
    /// The groups in between are added as the decoders return (see `nested`), so that the
    /// walk keeps no path of its own.
    root: &'static str,
    pub(crate) depth: u32,
    /// Set for answers with the E bit: they follow RFC 6733's generic answer-message grammar,
    /// so the command's required AVPs are not demanded.
    pub(crate) relaxed: bool,
}

impl<'o> DecodeCtx<'o> {
    /// A context for one message, recording into `found`. `known` looks up every AVP the
    /// dictionaries define (for the 5001 check); `root` names the command, e.g.
    /// `"Credit-Control-Request"`.
    pub(crate) fn new(
        opts: &'o DecodeOptions,
        known: fn(u32, u32) -> Option<&'static AvpDef>,
        root: &'static str,
        found: Findings<'o>,
    ) -> Self {
        DecodeCtx {
            opts,
            known,
            found,
            protocol_error: false,
            failed_grammar: None,
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

    /// Is a violation with `result_code` to be kept? Past the bound it is only counted, before
    /// anything (message, Failed-AVP bytes) is built for it, unless it is the first protocol
    /// error: that one decides the Result-Code however many violations came before it.
    #[inline]
    pub(crate) fn keeps(&mut self, result_code: u32) -> bool {
        let max = self.opts.max_violations.max(1) as usize;
        if self.found.violations.len() < max
            || (!self.protocol_error && rc::is_protocol_error(result_code))
        {
            return true;
        }
        *self.found.dropped = self.found.dropped.saturating_add(1);
        false
    }

    /// Records a harmless deviation (see [`Note`]), within the same bound as violations.
    #[cold]
    #[inline(never)]
    pub fn note(
        &mut self,
        kind: NoteKind,
        avp: Option<&'static str>,
        code: u32,
        vendor_id: u32,
        message: String,
    ) {
        if self.found.notes.len() < self.opts.max_violations as usize {
            self.found.notes.push(Note {
                kind,
                avp,
                code,
                vendor_id,
                message,
            });
        }
    }

    /// Records a violation; callers have asked [`DecodeCtx::keeps`] first.
    pub(crate) fn push(
        &mut self,
        result_code: u32,
        avp: Option<&'static str>,
        code: u32,
        vendor_id: u32,
        message: String,
        failed: Option<Bytes>,
    ) {
        let path = vec![self.root];
        self.protocol_error |= rc::is_protocol_error(result_code);
        self.found.violations.push(Violation {
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
        if !self.keeps(result_code) {
            return;
        }
        self.push(result_code, None, 0, 0, message, None);
    }

    /// Records a malformed AVP that stopped the walk of one list.
    pub fn malformed(&mut self, e: AvpError) {
        if !self.keeps(e.result_code()) {
            return;
        }
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

    /// An AVP the receiver knows, with its M or P bit against the dictionary. The M bit asks
    /// the receiver to understand the AVP, which it does, and the P bit is obsolete: a note,
    /// 3009 only when pedantic (deployed gateways send Origin-Host without the M bit).
    #[cold]
    #[inline(never)]
    pub(crate) fn bad_flags(&mut self, def: &'static AvpDef, wire: &[u8]) {
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
                if !self.opts.pedantic {
                    self.note(
                        NoteKind::FlagBits,
                        Some(def.name),
                        def.code,
                        def.vendor_id,
                        msg,
                    );
                    continue;
                }
                if !self.keeps(rc::INVALID_AVP_BITS) {
                    return;
                }
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

    #[cold]
    #[inline(never)]
    pub(crate) fn excess(&mut self, rule: &'static RuleDef, wire: &[u8], max: u32) {
        let code = if max == 0 {
            rc::AVP_NOT_ALLOWED
        } else {
            rc::AVP_OCCURS_TOO_MANY_TIMES
        };
        if !self.keeps(code) {
            return;
        }
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
    pub(crate) fn misplaced(
        &mut self,
        rule: &'static RuleDef,
        wire: &[u8],
        index: usize,
        fixed_at: usize,
    ) {
        if !self.keeps(rc::AVP_NOT_ALLOWED) {
            return;
        }
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
    pub(crate) fn value<'a, T: AvpValue<'a>>(
        &mut self,
        rule: &'static RuleDef,
        a: &AvpRef<'a>,
    ) -> Option<T> {
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
        if !self.keeps(e.result_code()) {
            return None;
        }
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

    /// Can one more level of Grouped AVPs be decoded? Records 5012 when not.
    #[inline(always)]
    pub(crate) fn enter(&mut self, rule: &'static RuleDef) -> bool {
        if self.depth + 1 < self.opts.max_depth {
            return true;
        }
        self.too_deep(rule);
        false
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&mut self, rule: &'static RuleDef) {
        if !self.keeps(rc::UNABLE_TO_COMPLY) {
            return;
        }
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
    pub(crate) fn group<'a, T: Group<'a>>(&mut self, a: &AvpRef<'a>, slot: &mut T) {
        self.nested(a, T::DEF.name, |ctx| slot.decode_group(a.data, ctx));
    }

    /// Runs `f` over the children of Grouped AVP `a` (named `name`), one level deeper, and
    /// nests what it reports in `a`.
    #[inline(always)]
    pub(crate) fn nested(&mut self, a: &AvpRef<'_>, name: &'static str, f: impl FnOnce(&mut Self)) {
        let before = self.found.violations.len();
        self.depth += 1;
        f(self);
        self.depth -= 1;
        if self.found.violations.len() > before {
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
        for viol in &mut self.found.violations[from..] {
            viol.path.insert(1, name);
            if let Some(inner) = viol.failed_avp.take() {
                viol.failed_avp = Some(nest(&parent, &inner));
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

    /// The checks of [`DecodeCtx::other`]; returns whether the grammar keeps the AVP.
    pub(crate) fn check_other(&mut self, grammar: &'static GrammarDef, wire: &[u8]) -> bool {
        let h = header_of(wire);
        let (code, vendor) = (h.code, h.vendor());
        let def = (self.known)(code, vendor);
        let failed = || Some(Bytes::copy_from_slice(wire));
        // An excluded AVP is known, is 5008 and is kept like any other (see `occurrence`).
        // Most AVPs are ruled out by the one-word filter, before any search.
        if def.is_some()
            && grammar.excluded_codes & (1 << (code % 64)) != 0
            && self.excluded(grammar, wire)
        {
            return grammar.extensible;
        }
        let unsupported = def.is_none() && h.flags.is_mandatory() && !self.copies(grammar);
        if unsupported && (self.opts.strict || !grammar.extensible) {
            if self.keeps(rc::AVP_UNSUPPORTED) {
                self.push(
                    rc::AVP_UNSUPPORTED,
                    None,
                    code,
                    vendor,
                    "unknown AVP with the M bit set".into(),
                    failed(),
                );
            }
        } else if unsupported {
            let msg = "unknown AVP with the M bit set, accepted (lenient)".to_string();
            self.note(NoteKind::UnknownMandatory, None, code, vendor, msg);
        }
        if grammar.extensible {
            return true;
        }
        if !unsupported && self.keeps(rc::AVP_NOT_ALLOWED) {
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

    /// Is `grammar` that of Failed-AVP (RFC 6733 7.5), whose AVPs are copies of what failed at
    /// the peer? They are reported as received: never 5001 for their M bit. Asked only on the
    /// rare path of an unknown M-bit AVP.
    fn copies(&mut self, grammar: &'static GrammarDef) -> bool {
        let known = self.known;
        let failed = *self
            .failed_grammar
            .get_or_insert_with(|| known(crate::consts::avp_code::FAILED_AVP, 0)?.grouped);
        failed.is_some_and(|g| std::ptr::eq(g, grammar))
    }

    /// Reports that `rule`'s AVP occurred `n` times, fewer than its minimum (5005, with a
    /// zero-filled AVP of that code as Failed-AVP). Generated code calls it only when `n` is
    /// below the minimum.
    #[cold]
    pub fn missing(&mut self, rule: &'static RuleDef, n: u32) {
        if (self.relaxed && self.depth == 0) || !self.keeps(rc::MISSING_AVP) {
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

    /// The fast path refused the AVP at `pos`: let the careful walk say what is wrong, and
    /// record it. (Kept out of the loop: merging a way back into it costs the hot path.)
    #[cold]
    #[inline(never)]
    pub(crate) fn malformed_at(&mut self, buf: &[u8], pos: usize) {
        match AvpIter::at(buf, pos, self.opts.leniency).next() {
            Some(Err(e)) => self.malformed(*e),
            // The two walks check the same things; should they ever disagree, say so rather
            // than end the walk silently.
            _ => {
                debug_assert!(false, "avp::parse_at refused an AVP that AvpIter accepts");
                if !self.keeps(rc::INVALID_AVP_LENGTH) {
                    return;
                }
                let msg = format!("AVP at offset {pos} refused by the fast path");
                self.push(rc::INVALID_AVP_LENGTH, None, 0, 0, msg, None);
            }
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn too_many_avps(&mut self) {
        if !self.keeps(rc::UNABLE_TO_COMPLY) {
            return;
        }
        let msg = format!("more than {} AVPs", self.opts.max_avps);
        self.push(rc::UNABLE_TO_COMPLY, None, 0, 0, msg, None);
    }
}
