//! Validation rules that the ABNF cannot say: occurrence tables (an AVP a spec marks `0` for a
//! command becomes a `0*0 [ X ]` rule), choices (`<exactly-one>` in a Grouped AVP), and names
//! for values of Unsigned32 AVPs (`<values>`).

use std::collections::HashMap;

use super::{AppKey, Lower, VENDOR_ID};
use crate::model::{AvpKey, AvpType, Grammar, NamedValue, NamedValues, Rule, RuleKind};
use crate::parse::ast;
use crate::span::Span;

/// One cell of an occurrence table (RFC 6733 section 10: `0`, `0+`, `0-1`, `1`, `1+`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// `0`: the AVP MUST NOT be present.
    Excluded,
    /// Any other symbol: the AVP may (or must) be present.
    Allowed,
}

impl Cell {
    fn parse(text: &str) -> Option<Cell> {
        match text {
            "0" => Some(Cell::Excluded),
            "0+" | "0-1" | "1" | "1+" => Some(Cell::Allowed),
            _ => None,
        }
    }
}

impl Lower<'_> {
    /// Lowers one `<occurrence-table>` of application `app` (written in `file`): each `0` cell
    /// appends a `0*0 [ X ]` rule to that command's grammar. A cell that contradicts the
    /// grammar is an error: `0` where the grammar names the AVP, or an allowed cell where the
    /// grammar neither names it nor ends in `*[ AVP ]`.
    pub(super) fn occurrence_table(
        &mut self,
        file: usize,
        app: &AppKey,
        table: &ast::OccurrenceTable,
    ) {
        // Column heads: (code, is_request) of a command of this application.
        let mut columns: Vec<Option<(u32, bool)>> = Vec::new();
        let mut seen: HashMap<&str, ()> = HashMap::new();
        for abbrev in table.commands.value.split_whitespace() {
            let found = self.applications.get(app).and_then(|application| {
                application.commands.values().find_map(|command| {
                    if command.request_abbrev == abbrev {
                        Some((command.code, true))
                    } else if command.answer_abbrev == abbrev {
                        Some((command.code, false))
                    } else {
                        None
                    }
                })
            });
            if seen.insert(abbrev, ()).is_some() {
                let message = format!("command `{abbrev}` is a column of this table twice");
                self.error(&table.commands.span, message);
            } else if found.is_none() {
                let message = format!(
                    "unknown command `{abbrev}`: the columns are the request or answer \
                     abbreviations of {app}'s commands"
                );
                self.error(&table.commands.span, message);
            }
            columns.push(found);
        }
        if columns.is_empty() {
            self.error(
                &table.commands.span,
                "the occurrence table names no command",
            );
            return;
        }

        let mut rows: HashMap<AvpKey, Span> = HashMap::new();
        for row in &table.rows {
            let Some(key) = self.lookup_avp(file, &row.avp.value, &row.avp.span) else {
                continue;
            };
            if let Some(first) = rows.insert(key, row.span.clone()) {
                let message = format!(
                    "AVP `{}` already has a row in this table, at line {}",
                    row.avp.value, first.line
                );
                self.error(&row.span, message);
                continue;
            }
            let cells: Vec<&str> = row.occurs.value.split_whitespace().collect();
            if cells.len() != columns.len() {
                let message = format!(
                    "{} cell(s) for {} commands: give one of `0`, `0+`, `0-1`, `1`, `1+` per \
                     column",
                    cells.len(),
                    columns.len()
                );
                self.error(&row.occurs.span, message);
                continue;
            }
            for (text, column) in cells.into_iter().zip(&columns) {
                let Some(cell) = Cell::parse(text) else {
                    let message = format!(
                        "invalid occurrence `{text}`: expected `0`, `0+`, `0-1`, `1` or `1+`"
                    );
                    self.error(&row.occurs.span, message);
                    continue;
                };
                if let Some((code, request)) = *column {
                    self.apply_cell(app, code, request, key, &row.avp.value, cell, &row.span);
                }
            }
        }
    }

    /// Checks one cell against its command's grammar and adds the rule a `0` stands for.
    #[allow(clippy::too_many_arguments)]
    fn apply_cell(
        &mut self,
        app: &AppKey,
        code: u32,
        request: bool,
        key: AvpKey,
        name: &str,
        cell: Cell,
        span: &Span,
    ) {
        let Some(command) = self
            .applications
            .get_mut(app)
            .and_then(|application| application.commands.get_mut(&code))
        else {
            return;
        };
        let abbrev = if request {
            command.request_abbrev.clone()
        } else {
            command.answer_abbrev.clone()
        };
        let grammar: &mut Grammar = if request {
            &mut command.request
        } else {
            &mut command.answer
        };
        let named = grammar.rules.iter().find(|rule| rule.avp == key);
        let message = match (cell, named) {
            (Cell::Excluded, Some(rule)) if rule.max == Some(0) => None,
            (Cell::Excluded, Some(_)) => Some(format!(
                "`{name}` is `0` (must not occur) in {abbrev}, but the {abbrev} grammar at {} \
                 names it",
                grammar.span
            )),
            (Cell::Excluded, None) => {
                grammar.rules.push(Rule {
                    avp: key,
                    name: name.to_string(),
                    kind: RuleKind::Optional,
                    min: 0,
                    max: Some(0),
                });
                None
            }
            (Cell::Allowed, Some(rule)) if rule.max == Some(0) => Some(format!(
                "`{name}` may occur in {abbrev} by this table, but the {abbrev} grammar at {} \
                 forbids it (`0*0`)",
                grammar.span
            )),
            (Cell::Allowed, None) if !grammar.extensible => Some(format!(
                "`{name}` may occur in {abbrev} by this table, but the {abbrev} grammar at {} \
                 neither names it nor ends in `*[ AVP ]`",
                grammar.span
            )),
            (Cell::Allowed, _) => None,
        };
        if let Some(message) = message {
            self.error(span, message);
        }
    }

    /// Lowers the `<exactly-one>` children of Grouped AVP `key` into its grammar's choices.
    /// Each names at least two optional single members (`[ X ]`) of the grammar, each in one
    /// choice at most.
    pub(super) fn exactly_one(&mut self, key: AvpKey, choices: &[ast::ExactlyOne]) {
        let Some(grammar) = self.avps.get(&key).and_then(|avp| avp.grammar.clone()) else {
            return;
        };
        let mut lowered: Vec<Vec<usize>> = Vec::new();
        let mut errors = Vec::new();
        let mut taken: HashMap<usize, u32> = HashMap::new();
        for choice in choices {
            let mut members = Vec::new();
            for name in choice.avps.value.split_whitespace() {
                let Some(index) = grammar.rules.iter().position(|rule| rule.name == name) else {
                    errors.push(format!(
                        "`{name}` is not a member of the grammar at {}",
                        grammar.span
                    ));
                    continue;
                };
                let rule = &grammar.rules[index];
                if (rule.min, rule.max) != (0, Some(1)) || rule.kind != RuleKind::Optional {
                    errors.push(format!(
                        "`{name}` must be an optional single member (`[ {name} ]`) to be one \
                         of a choice: the grammar gives it {}..{}",
                        rule.min,
                        rule.max.map_or("*".to_string(), |max| max.to_string())
                    ));
                    continue;
                }
                if let Some(line) = taken.insert(index, choice.span.line) {
                    errors.push(format!("`{name}` is already in a choice, at line {line}"));
                    continue;
                }
                members.push(index);
            }
            if members.len() < 2 && errors.is_empty() {
                errors.push("<exactly-one> needs at least two members".to_string());
            }
            for message in errors.drain(..) {
                self.error(&choice.span, message);
            }
            if members.len() >= 2 {
                lowered.push(members);
            }
        }
        if let Some(grammar) = self.avps.get_mut(&key).and_then(|avp| avp.grammar.as_mut()) {
            grammar.one_of = lowered;
        }
    }

    /// Lowers one `<values>` of `file`: the AVP must be visible and Unsigned32, and each name
    /// and value unique among every `<values>` of that AVP with the same vendor scope.
    pub(super) fn values(&mut self, file: usize, values: &ast::Values) {
        let name = &values.avp.value;
        let Some(key) = self.lookup_avp(file, name, &values.avp.span) else {
            return;
        };
        let Some(avp) = self.avps.get(&key) else {
            return;
        };
        if avp.ty != AvpType::Unsigned32 {
            let hint = if avp.ty == AvpType::Enumerated {
                ": list an Enumerated AVP's values in its <enum> elements"
            } else {
                ""
            };
            let message = format!(
                "<values> is only for Unsigned32 AVPs, and `{name}` (at {}) is {}{hint}",
                avp.span, avp.ty
            );
            self.error(&values.avp.span, message);
            return;
        }
        let scope_vendor = match &values.vendor {
            None => None,
            Some(vendor) => {
                let Some(id) = self.resolve_vendor(file, vendor) else {
                    return;
                };
                if !self.beside(key, VENDOR_ID) {
                    let message = format!(
                        "vendor-scoped <values> need `{name}` beside a Vendor-Id (266) in a \
                         Grouped AVP (as Experimental-Result-Code is in Experimental-Result), \
                         and no loaded Grouped AVP has both"
                    );
                    self.error(&vendor.span, message);
                    return;
                }
                Some(id)
            }
        };
        if values.values.is_empty() {
            let message = format!("<values> of `{name}` has no <value>");
            self.error(&values.span, message);
            return;
        }
        let scope = match scope_vendor {
            Some(id) => format!("`{name}` for vendor {id}"),
            None => format!("`{name}`"),
        };
        let mut known = self
            .named_values
            .remove(&(key, scope_vendor))
            .unwrap_or_default();
        let mut out = Vec::new();
        for value in &values.values {
            if let Some((_, _, span)) = known.iter().find(|(n, _, _)| *n == value.name) {
                let message = format!(
                    "value name `{}` of {scope} is already defined at {span}",
                    value.name
                );
                self.error(&value.span, message);
                continue;
            }
            if let Some((first, _, span)) = known.iter().find(|(_, v, _)| *v == value.value) {
                let message = format!(
                    "value {} of {scope} is already named `{first}` at {span}",
                    value.value
                );
                self.error(&value.span, message);
                continue;
            }
            known.push((value.name.clone(), value.value, value.span.clone()));
            out.push(NamedValue {
                name: value.name.clone(),
                value: value.value,
            });
        }
        self.named_values.insert((key, scope_vendor), known);
        self.values.push(NamedValues {
            avp: key,
            scope_vendor,
            values: out,
            span: values.span.clone(),
        });
    }

    /// Is AVP `key` a member of some Grouped AVP that also has `sibling` as a member (Vendor-Id
    /// for a vendor scope, Feature-List-ID for a list scope)?
    pub(super) fn beside(&self, key: AvpKey, sibling: AvpKey) -> bool {
        self.avps
            .values()
            .filter_map(|avp| avp.grammar.as_ref())
            .any(|grammar| {
                let has = |wanted: AvpKey| {
                    grammar
                        .rules
                        .iter()
                        .any(|rule| rule.avp == wanted && rule.max != Some(0))
                };
                has(key) && has(sibling)
            })
    }
}
