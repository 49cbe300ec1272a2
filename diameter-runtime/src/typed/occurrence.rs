//! Occurrence rules the ABNF cannot write, checked off the hot path:
//! - excluded AVPs: `0*0 [ X ]` rules, which the dictionaries' occurrence tables add for the
//!   AVPs a spec marks `0` for a command (RFC 6733 section 10). Generated decoders give them
//!   no `match` arm: they reach [`DecodeCtx::other`], which finds the rule here (5008) among
//!   the grammar's excluded ones, when its one-word filter of their codes lets it through;
//! - choices (`GrammarDef::one_of`): exactly one of some optional members of a Grouped AVP
//!   must occur (RFC 6733 6.11: a Vendor-Specific-Application-Id holds Auth-Application-Id
//!   or Acct-Application-Id, not both, not neither).

use bytes::{BufMut, Bytes, BytesMut};

use super::DecodeCtx;
use crate::avp::{self, AvpIter};
use crate::consts::result_code as rc;
use crate::dictionary::{GrammarDef, RuleDef};
use crate::failed::{header_of, zero_filled};

impl DecodeCtx<'_> {
    /// Reports AVP `wire`, which `grammar` names by no rule of its own, as 5008 when the
    /// grammar excludes it (a `0*0` rule). Returns whether it did.
    pub(super) fn excluded(&mut self, grammar: &'static GrammarDef, wire: &[u8]) -> bool {
        if self.relaxed && self.depth == 0 {
            return false;
        }
        let h = header_of(wire);
        let (code, vendor) = (h.code, h.vendor());
        let Some(rule) = grammar
            .excluded
            .iter()
            .filter_map(|&i| grammar.rules.get(i))
            .find(|r| r.avp.code == code && r.avp.vendor_id == vendor)
        else {
            return false;
        };
        self.report_excluded(rule, wire)
    }

    /// Reports AVP `wire` of `rule`, which its grammar excludes (`0*0`), as 5008; returns
    /// whether it did. An answer with the E bit follows RFC 6733 7.2's generic
    /// `answer-message` grammar (which ends in `*[ AVP ]` and allows e.g.
    /// Error-Reporting-Host in any answer), not its command's: no exclusion applies at its
    /// top level.
    fn report_excluded(&mut self, rule: &'static RuleDef, wire: &[u8]) -> bool {
        let d = rule.avp;
        if !self.keeps(rc::AVP_NOT_ALLOWED) {
            return true;
        }
        self.push(
            rc::AVP_NOT_ALLOWED,
            Some(d.name),
            d.code,
            d.vendor_id,
            "must not occur in this message".into(),
            Some(Bytes::copy_from_slice(wire)),
        );
        true
    }

    /// Checks every choice of `grammar` once the walk of `data` (the group's children) is
    /// done. `seen[i]` is non-zero when rule `i` occurred: the struct decoder passes its
    /// counts, the view its offsets. None present is 5005, with a zero-filled AVP of each
    /// alternative as Failed-AVP (RFC 6733 7.5's example of a missing AVP); several present
    /// is 5009, with the first AVP of the choice after the one that came first.
    #[inline]
    pub fn one_of(&mut self, grammar: &'static GrammarDef, data: &[u8], seen: &[u32]) {
        for choice in grammar.one_of {
            let present = choice
                .iter()
                .filter(|&&i| seen.get(i).is_some_and(|&n| n != 0))
                .count();
            if present != 1 {
                self.choice_failed(grammar, choice, data, present);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn choice_failed(
        &mut self,
        grammar: &'static GrammarDef,
        choice: &'static [usize],
        data: &[u8],
        present: usize,
    ) {
        let members: Vec<_> = choice
            .iter()
            .filter_map(|&i| grammar.rules.get(i))
            .map(|rule| rule.avp)
            .collect();
        let names = members
            .iter()
            .map(|def| def.name)
            .collect::<Vec<_>>()
            .join(", ");
        if present == 0 {
            if (self.relaxed && self.depth == 0) || !self.keeps(rc::MISSING_AVP) {
                return;
            }
            let mut example = BytesMut::new();
            for def in &members {
                let avp = zero_filled(def);
                example.put_slice(&avp);
                example.put_bytes(0, avp::padding(avp.len()));
            }
            let msg = format!("exactly one of {names} is required, found none");
            self.push(rc::MISSING_AVP, None, 0, 0, msg, Some(example.freeze()));
            return;
        }
        // Find the offending AVP again: the first member AVP of another rule than the first.
        let mut first = None;
        for a in AvpIter::new(data).map_while(Result::ok) {
            let key = (a.header.code, a.header.vendor());
            let Some(def) = members.iter().find(|d| (d.code, d.vendor_id) == key) else {
                continue;
            };
            match first {
                None => first = Some(key),
                Some(f) if f == key => {}
                Some(_) => {
                    if !self.keeps(rc::AVP_OCCURS_TOO_MANY_TIMES) {
                        return;
                    }
                    let msg = format!("exactly one of {names} is allowed, found {present}");
                    let wire = Bytes::copy_from_slice(a.wire);
                    self.push(
                        rc::AVP_OCCURS_TOO_MANY_TIMES,
                        Some(def.name),
                        def.code,
                        def.vendor_id,
                        msg,
                        Some(wire),
                    );
                    return;
                }
            }
        }
    }
}
