//! [`Fields`]: the walk of one AVP list (a message body or a Grouped AVP's data) by a
//! generated decoder, with each rule's occurrences counted against its [`Occurs`].
//!
//! Generated code names a rule by its index in the grammar, a literal. The grammar static and
//! the `Occurs` table are constants of the generated crate, so once these functions are
//! inlined the index selects constants: the per-AVP checks compare against immediates (the
//! project measured table reads on the hot path as slower), while the generated source says
//! each rule's facts once, in the table.

use super::ctx::DecodeCtx;
use super::Group;
use crate::avp::{self, AvpRef};
use crate::dictionary::{GrammarDef, RuleDef};
use crate::raw::RawAvp;
use crate::types::AvpValue;

pub use super::ctx::Repeated;

/// What generated code knows at compile time about one grammar rule, in a `const` table per
/// grammar (`defs::<GRAMMAR>_OCCURS`), so that the occurrence and flag checks compare against
/// immediates instead of reading the dictionary tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurs {
    /// Least occurrences.
    pub min: u32,
    /// Most occurrences; `u32::MAX` when unbounded.
    pub max: u32,
    /// Position among the fixed AVPs (`< X >`) at the start; `usize::MAX` for none.
    pub fixed_at: usize,
    /// The flag bits (M, P) the dictionary requires set or clear...
    pub flag_mask: u8,
    /// ...and their required values: flags `f` are wrong when `f & flag_mask != flag_bits`.
    pub flag_bits: u8,
}

impl Occurs {
    /// An entry of a generated table: `min`, `max` (`u32::MAX`: unbounded), `fixed_at`
    /// (`usize::MAX`: not fixed), the flag mask and bits.
    pub const fn new(min: u32, max: u32, fixed_at: usize, flag_mask: u8, flag_bits: u8) -> Self {
        Occurs {
            min,
            max,
            fixed_at,
            flag_mask,
            flag_bits,
        }
    }
}

/// The state of one generated decoder's walk over one AVP list of grammar `grammar` with `N`
/// rules: the occurrences of each rule so far and where the walk is. Made by
/// [`DecodeCtx::fields`]; a local of the generated function, which the compiler keeps in
/// registers. Generated code loops `while let Some(a) = s.next(data) { match .. }`, so that
/// the whole walk is one function body (a closure per list was not inlined, and the
/// constants then became loads).
#[derive(Debug)]
pub struct Fields<'c, 'o, const N: usize> {
    pub(crate) ctx: &'c mut DecodeCtx<'o>,
    grammar: &'static GrammarDef,
    occurs: &'static [Occurs; N],
    counts: [u32; N],
    /// How many more AVPs the list may have (one down-counter rather than a count and its
    /// limit: one live value fewer in the walk's loop, which the register allocator of a large
    /// generated function spilled to the stack).
    left: usize,
    /// Where the next AVP starts.
    pos: usize,
    /// The options the walk reads, kept here (out of the context, which calls may change).
    leniency: crate::avp::Leniency,
    max_avps: usize,
}

impl<'o> DecodeCtx<'o> {
    /// Starts the walk of one AVP list of `grammar`, whose rules' compile-time facts are
    /// `occurs` (one entry per rule).
    #[inline(always)]
    pub fn fields<'c, const N: usize>(
        &'c mut self,
        grammar: &'static GrammarDef,
        occurs: &'static [Occurs; N],
    ) -> Fields<'c, 'o, N> {
        let (leniency, max_avps) = (self.options().leniency, self.options().max_avps as usize);
        Fields {
            ctx: self,
            grammar,
            occurs,
            counts: [0; N],
            left: max_avps,
            pos: 0,
            leniency,
            max_avps,
        }
    }
}

impl<'o, const N: usize> Fields<'_, 'o, N> {
    /// Rule `k` of the grammar.
    #[inline(always)]
    fn rule(&self, k: usize) -> &'static RuleDef {
        &self.grammar.rules[k]
    }

    /// The next AVP of `buf` (the list this walk reads, the same on every call); `None` at
    /// its end, or at a malformed AVP or one too many, which is then recorded.
    #[inline(always)]
    pub fn next<'b>(&mut self, buf: &'b [u8]) -> Option<AvpRef<'b>> {
        // The parse's own bounds check also finds the end of the list.
        let Some((a, next)) = avp::parse_at(buf, self.pos, self.leniency) else {
            if self.pos < buf.len() {
                self.ctx.malformed_at(buf, self.pos);
            }
            return None;
        };
        let Some(left) = self.left.checked_sub(1) else {
            self.ctx.too_many_avps();
            return None;
        };
        self.left = left;
        self.pos = next;
        Some(a)
    }

    /// Counts one occurrence of rule `k`'s AVP; reports wrong flags (3009, strict), 5009 for
    /// the first one past the maximum and 5008 for a fixed AVP away from its place. Returns
    /// whether to keep the value.
    #[inline(always)]
    fn occurrence(&mut self, k: usize, a: &AvpRef<'_>) -> bool {
        let (o, rule) = (self.occurs[k], self.rule(k));
        let count = &mut self.counts[k];
        *count += 1;
        let count = *count;
        if self.ctx.options().strict && a.header.flags.0 & o.flag_mask != o.flag_bits {
            self.ctx.bad_flags(rule.avp, a.wire);
        }
        if count > o.max {
            if count == o.max.wrapping_add(1) {
                self.ctx.excess(rule, a.wire, o.max);
            }
            return false;
        }
        if o.fixed_at != usize::MAX && self.index() != o.fixed_at {
            self.ctx.misplaced(rule, a.wire, self.index(), o.fixed_at);
        }
        true
    }

    /// The position of the current AVP in its list (only fixed AVPs ask: worked out from the
    /// down-counter rather than kept).
    #[inline(always)]
    fn index(&self) -> usize {
        self.max_avps - self.left - 1
    }

    /// Is this the first occurrence of rule `k` (counted by [`Fields::occurrence`])?
    #[inline(always)]
    fn first(&self, k: usize) -> bool {
        self.counts[k] == 1
    }

    /// A required scalar field (`{X}` or `<X>`: `T`); the first occurrence is kept.
    #[inline(always)]
    pub fn one<'a, T: AvpValue<'a>>(&mut self, k: usize, a: &AvpRef<'a>, slot: &mut T) {
        if self.occurrence(k, a) && self.first(k) {
            if let Some(v) = self.ctx.value(self.rule(k), a) {
                *slot = v;
            }
        }
    }

    /// An optional scalar field (`[X]`: `Option<T>`).
    #[inline(always)]
    pub fn opt<'a, T: AvpValue<'a>>(&mut self, k: usize, a: &AvpRef<'a>, slot: &mut Option<T>) {
        if self.occurrence(k, a) && self.first(k) {
            *slot = self.ctx.value(self.rule(k), a);
        }
    }

    /// A repeated scalar field (`Vec` or `SmallVec`).
    #[inline(always)]
    pub fn many<'a, T: AvpValue<'a>>(
        &mut self,
        k: usize,
        a: &AvpRef<'a>,
        slot: &mut impl Repeated<T>,
    ) {
        if self.occurrence(k, a) {
            if let Some(v) = self.ctx.value(self.rule(k), a) {
                slot.push_value(v);
            }
        }
    }

    /// A required Grouped field, decoded in place.
    #[inline(always)]
    pub fn one_group<'a, T: Group<'a>>(&mut self, k: usize, a: &AvpRef<'a>, slot: &mut T) {
        if self.occurrence(k, a) && self.first(k) && self.ctx.enter(self.rule(k)) {
            self.ctx.group(a, slot);
        }
    }

    /// An optional Grouped field, decoded in place (in its box, for a boxed one).
    #[inline(always)]
    pub fn opt_group<'a, T: Group<'a>>(&mut self, k: usize, a: &AvpRef<'a>, slot: &mut Option<T>) {
        if self.occurrence(k, a) && self.first(k) && self.ctx.enter(self.rule(k)) {
            let g = slot.insert(T::default());
            self.ctx.group(a, g);
        }
    }

    /// A repeated Grouped field, each decoded in place at the end of the vector.
    #[inline(always)]
    pub fn many_group<'a, T: Group<'a>>(&mut self, k: usize, a: &AvpRef<'a>, slot: &mut Vec<T>) {
        if self.occurrence(k, a) && self.ctx.enter(self.rule(k)) {
            // Written straight into the vector's memory, not built aside and copied in.
            slot.resize_with(slot.len() + 1, T::default);
            if let Some(g) = slot.last_mut() {
                self.ctx.group(a, g);
            }
        }
    }

    /// An AVP the grammar does not name ([`DecodeCtx::other`]): kept in `extra` when the
    /// grammar ends in `*[ AVP ]`.
    #[inline(always)]
    pub fn other<'a>(&mut self, a: &AvpRef<'a>, extra: Option<&mut Vec<RawAvp<'a>>>) {
        self.ctx.other(self.grammar, a, extra);
    }

    /// After the walk, for rule `k` with a minimum: 5005 when it occurred fewer times.
    /// (Generated for the rules with a minimum only: a loop over every rule costs the
    /// decoder of a 40-rule command 3% of a decode.)
    #[inline(always)]
    pub fn need(&mut self, k: usize) {
        if self.counts[k] < self.occurs[k].min {
            self.ctx.missing(self.rule(k), self.counts[k]);
        }
    }

    /// Checks the grammar's choices ("exactly one of", `GrammarDef::one_of`) once the walk
    /// of `data` is done, from the occurrences counted.
    #[inline]
    pub fn one_of(&mut self, data: &[u8]) {
        self.ctx.one_of(self.grammar, data, &self.counts);
    }

    /// [`Fields::one_of`] for a view, whose offsets `at` (non-zero for a rule that occurred)
    /// count its single fields.
    #[inline]
    pub fn one_of_at(&mut self, data: &[u8], at: &[u32]) {
        self.ctx.one_of(self.grammar, data, at);
    }

    /// [`Fields::need`] for a view's single field, counted by its offset `at` (0 while
    /// absent).
    #[inline(always)]
    pub fn need_at(&mut self, k: usize, at: u32) {
        if at == 0 && self.occurs[k].min > 0 {
            self.ctx.missing(self.rule(k), 0);
        }
    }

    /// [`Fields::occurrence`] for a rule of at most one occurrence, counted by `slot` (the
    /// offset + 1 of the first occurrence, 0 before it). Returns whether this is the first.
    #[inline(always)]
    pub(crate) fn single(&mut self, k: usize, a: &AvpRef<'_>, slot: &mut u32) -> bool {
        let (o, rule) = (self.occurs[k], self.rule(k));
        if self.ctx.options().strict && a.header.flags.0 & o.flag_mask != o.flag_bits {
            self.ctx.bad_flags(rule.avp, a.wire);
        }
        if *slot != 0 {
            if *slot & crate::view::EXCESS_REPORTED == 0 {
                *slot |= crate::view::EXCESS_REPORTED;
                self.ctx.excess(rule, a.wire, 1);
            }
            return false;
        }
        *slot = a.offset as u32 + 1;
        if o.fixed_at != usize::MAX && self.index() != o.fixed_at {
            self.ctx.misplaced(rule, a.wire, self.index(), o.fixed_at);
        }
        true
    }

    /// [`Fields::occurrence`], for the view's repeated fields.
    #[inline(always)]
    pub(crate) fn counted(&mut self, k: usize, a: &AvpRef<'_>) -> bool {
        self.occurrence(k, a)
    }

    /// The grammar's rule `k`, for the view's checks.
    #[inline(always)]
    pub(crate) fn rule_at(&self, k: usize) -> &'static RuleDef {
        self.rule(k)
    }

    /// The grammar being walked.
    #[inline(always)]
    pub(crate) fn grammar(&self) -> &'static GrammarDef {
        self.grammar
    }
}
