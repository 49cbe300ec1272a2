//! Parser for the grammars (the specs' ABNF, RFC 6733 section 3.2) inside `<request>`,
//! `<answer>` and `<grammar>`.
//!
//! ```text
//! <CCR> ::= < Diameter Header: 272, REQ, PXY >      ; command form
//!           < Session-Id >                          ; fixed
//!           { Origin-Host } { Origin-Realm }        ; required (several rules per line)
//!           [ User-Name ]                           ; optional
//!       2*3 [ Example-Info ]                        ; min*max
//!       0*0 [ Forbidden ]                           ; must not occur
//!          *[ AVP ]                                 ; any other AVP
//! Name ::= < AVP Header: 456 >                      ; grouped form, or: < AVP Header: 1 10415 >
//! ```
//!
//! Names are not resolved here; the lowering pass does that.

use std::collections::HashMap;
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::model::{GrammarHeader, RuleKind};
use crate::span::{LineIndex, Span};

/// The name the grammars use for "any AVP".
pub(crate) const ANY_AVP: &str = "AVP";

/// Which header a grammar must start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `< Diameter Header: ... >`, in `<request>` and `<answer>`.
    Command,
    /// `< AVP Header: ... >`, in a grouped AVP's `<grammar>`.
    Avp,
}

/// A parsed grammar, names unresolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grammar {
    /// The name before `::=` (without angle brackets).
    pub(crate) name: String,
    /// Where the name is.
    pub(crate) name_span: Span,
    pub(crate) header: GrammarHeader,
    /// Where the header is.
    pub(crate) header_span: Span,
    /// Rules naming AVPs, in order; the `AVP` wildcard is not among them.
    pub(crate) rules: Vec<Rule>,
    /// `Some(min)` when the `AVP` wildcard (`*[ AVP ]`, `N*[ AVP ]`) is present.
    pub(crate) any: Option<u32>,
}

/// One rule, with its qualifier's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) name: String,
    pub(crate) kind: RuleKind,
    pub(crate) min: u32,
    /// `None`: unbounded.
    pub(crate) max: Option<u32>,
    pub(crate) span: Span,
}

/// Parses `text`, whose first character is on line `start.line` of `start.file`.
///
/// Reports every problem found; a syntax error ends the parse of this grammar.
pub(crate) fn parse(text: &str, start: &Span, form: Form) -> Result<Grammar, Vec<Diagnostic>> {
    let mut parser = Parser {
        tokens: tokenize(text),
        pos: 0,
        lines: LineIndex::new(text),
        file: &start.file,
        first_line: start.line,
        end: text.len(),
        diags: Vec::new(),
    };
    match parser.grammar(form) {
        Ok(grammar) if parser.diags.is_empty() => Ok(grammar),
        Ok(_) | Err(Stop) => Err(parser.diags),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    /// `::=`
    Define,
    Lt,
    Gt,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Star,
    Colon,
    Comma,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(word) => format!("`{word}`"),
            Tok::Define => "`::=`".into(),
            Tok::Lt => "`<`".into(),
            Tok::Gt => "`>`".into(),
            Tok::LBrace => "`{`".into(),
            Tok::RBrace => "`}`".into(),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Star => "`*`".into(),
            Tok::Colon => "`:`".into(),
            Tok::Comma => "`,`".into(),
        }
    }
}

struct Token {
    tok: Tok,
    offset: usize,
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !"<>{}[]*:,;".contains(c)
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        let tok = match c {
            ';' => {
                // A comment, to the end of the line.
                while chars.next_if(|&(_, c)| c != '\n').is_some() {}
                continue;
            }
            c if c.is_whitespace() => continue,
            '<' => Tok::Lt,
            '>' => Tok::Gt,
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            '*' => Tok::Star,
            ',' => Tok::Comma,
            ':' if text[offset..].starts_with("::=") => {
                chars.next();
                chars.next();
                Tok::Define
            }
            ':' => Tok::Colon,
            _ => {
                let mut end = offset + c.len_utf8();
                while let Some((at, c)) = chars.next_if(|&(_, c)| is_word_char(c)) {
                    end = at + c.len_utf8();
                }
                Tok::Word(text[offset..end].to_string())
            }
        };
        tokens.push(Token { tok, offset });
    }
    tokens
}

/// A syntax error was reported; give up on this grammar.
struct Stop;

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    lines: LineIndex,
    file: &'a Path,
    first_line: u32,
    /// Offset of the end of the text, for errors at the end.
    end: usize,
    diags: Vec<Diagnostic>,
}

impl Parser<'_> {
    fn span(&self, offset: usize) -> Span {
        let line = self.first_line.saturating_add(self.lines.line(offset) - 1);
        Span::new(self.file, line)
    }

    /// The span of the next token (or of the end of the text).
    fn here(&self) -> Span {
        let offset = self.tokens.get(self.pos).map_or(self.end, |t| t.offset);
        self.span(offset)
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(span, message));
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Reports that `expected` was wanted where the next token is.
    fn unexpected<T>(&mut self, expected: &str) -> Result<T, Stop> {
        let found = self
            .peek()
            .map_or_else(|| "the end of the grammar".to_string(), Tok::describe);
        let span = self.here();
        self.error(span, format!("expected {expected}, found {found}"));
        Err(Stop)
    }

    fn expect(&mut self, tok: Tok) -> Result<(), Stop> {
        if self.eat(&tok) {
            Ok(())
        } else {
            self.unexpected(&tok.describe())
        }
    }

    fn word(&mut self, expected: &str) -> Result<(String, Span), Stop> {
        match self.tokens.get(self.pos) {
            Some(Token {
                tok: Tok::Word(word),
                offset,
            }) => {
                let result = (word.clone(), self.span(*offset));
                self.pos += 1;
                Ok(result)
            }
            _ => self.unexpected(expected),
        }
    }

    fn keyword(&mut self, keyword: &str) -> Result<(), Stop> {
        match self.peek() {
            Some(Tok::Word(word)) if word == keyword => {
                self.pos += 1;
                Ok(())
            }
            _ => self.unexpected(&format!("`{keyword}`")),
        }
    }

    fn number(&mut self, expected: &str) -> Result<u32, Stop> {
        let (word, span) = self.word(expected)?;
        if word.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(number) = word.parse() {
                return Ok(number);
            }
        }
        self.error(span, format!("expected {expected}, found `{word}`"));
        Err(Stop)
    }

    fn grammar(&mut self, form: Form) -> Result<Grammar, Stop> {
        // `<Name> ::=` or `Name ::=`
        let bracketed = self.eat(&Tok::Lt);
        let (name, name_span) = self.word("the grammar's name")?;
        if bracketed {
            self.expect(Tok::Gt)?;
        }
        self.expect(Tok::Define)?;

        let header_span = self.here();
        let header = self.header(form)?;

        let mut rules: Vec<Rule> = Vec::new();
        let mut any: Option<(u32, Span)> = None;
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut after_fixed = false;
        while self.peek().is_some() {
            let rule = self.rule()?;
            if rule.name == ANY_AVP {
                self.check_wildcard(&rule, &mut any);
                after_fixed = true;
                continue;
            }
            if rule.kind == RuleKind::Fixed && after_fixed {
                let message = format!(
                    "fixed rule `< {} >` must come before every required and optional rule",
                    rule.name
                );
                self.error(rule.span.clone(), message);
            }
            after_fixed |= rule.kind != RuleKind::Fixed;
            if let Some(first) = seen.get(&rule.name) {
                let message = format!(
                    "`{}` appears twice in the grammar (first at line {})",
                    rule.name, first.line
                );
                self.error(rule.span.clone(), message);
            } else {
                seen.insert(rule.name.clone(), rule.span.clone());
            }
            rules.push(rule);
        }

        Ok(Grammar {
            name,
            name_span,
            header,
            header_span,
            rules,
            any: any.map(|(min, _)| min),
        })
    }

    fn header(&mut self, form: Form) -> Result<GrammarHeader, Stop> {
        self.expect(Tok::Lt)?;
        let span = self.here();
        let (word, _) = self.word("`Diameter Header:` or `AVP Header:`")?;
        let expected = match form {
            Form::Command => "Diameter",
            Form::Avp => "AVP",
        };
        if word != expected {
            let (want, other) = match form {
                Form::Command => ("< Diameter Header: CODE, ... >", "a command"),
                Form::Avp => ("< AVP Header: CODE [VENDOR-ID] >", "a grouped AVP"),
            };
            self.error(
                span,
                format!("the grammar of {other} must start with `{want}`, found `{word}`"),
            );
            return Err(Stop);
        }
        self.keyword("Header")?;
        self.expect(Tok::Colon)?;
        match form {
            Form::Command => self.command_header(),
            Form::Avp => {
                let code = self.number("the AVP code")?;
                let vendor_id = match self.peek() {
                    Some(Tok::Word(_)) => Some(self.number("the vendor id or `>`")?),
                    _ => None,
                };
                self.expect(Tok::Gt)?;
                Ok(GrammarHeader::Avp { code, vendor_id })
            }
        }
    }

    fn command_header(&mut self) -> Result<GrammarHeader, Stop> {
        let code = self.number("the command code")?;
        let (mut request, mut proxiable, mut error) = (false, false, false);
        let mut application_id = None;
        while self.eat(&Tok::Comma) {
            let (flag, span) = self.word("`REQ`, `PXY`, `ERR` or the Application-Id")?;
            if flag.bytes().all(|b| b.is_ascii_digit()) {
                // 3GPP style: the Application-Id closes the header.
                let Ok(id) = flag.parse() else {
                    self.error(
                        span,
                        format!("Application-Id `{flag}` does not fit 32 bits"),
                    );
                    return Err(Stop);
                };
                application_id = Some(id);
                if !self.eat(&Tok::Gt) {
                    return self.unexpected("`>` after the Application-Id");
                }
                return Ok(GrammarHeader::Command {
                    code,
                    request,
                    proxiable,
                    error,
                    application_id,
                });
            }
            let slot = match flag.as_str() {
                "REQ" => &mut request,
                "PXY" => &mut proxiable,
                "ERR" => &mut error,
                _ => {
                    let message =
                        format!("unknown command flag `{flag}`: expected `REQ`, `PXY` or `ERR`");
                    self.error(span, message);
                    return Err(Stop);
                }
            };
            if *slot {
                self.error(span, format!("command flag `{flag}` given twice"));
            }
            *slot = true;
        }
        if !self.eat(&Tok::Gt) {
            return self.unexpected("`,` or `>`");
        }
        Ok(GrammarHeader::Command {
            code,
            request,
            proxiable,
            error,
            application_id,
        })
    }

    /// `[qualifier] open NAME close`, defaults applied, bounds checked.
    fn rule(&mut self) -> Result<Rule, Stop> {
        let start = self.here();
        // Qualifier: `[min] * [max]`.
        let mut min = None;
        let mut max = None;
        if let Some(Tok::Word(_)) = self.peek() {
            min = Some(self.number("a rule: `<`, `{`, `[` or a qualifier such as `1*2`")?);
            if self.peek() != Some(&Tok::Star) {
                return self.unexpected("`*` after the minimum count");
            }
        }
        let star = self.eat(&Tok::Star);
        if star {
            if let Some(Tok::Word(_)) = self.peek() {
                max = Some(self.number("the maximum count")?);
            }
        }

        let (kind, close) = match self.peek() {
            Some(Tok::Lt) => (RuleKind::Fixed, Tok::Gt),
            Some(Tok::LBrace) => (RuleKind::Required, Tok::RBrace),
            Some(Tok::LBracket) => (RuleKind::Optional, Tok::RBracket),
            _ => return self.unexpected("`<`, `{` or `[`"),
        };
        self.pos += 1;
        let (name, _) = self.word("an AVP name")?;
        self.expect(close)?;

        let qualifier = match (min, star, max) {
            (_, false, _) => String::new(),
            (min, true, max) => format!(
                "{}*{} ",
                min.map(|n| n.to_string()).unwrap_or_default(),
                max.map(|n| n.to_string()).unwrap_or_default()
            ),
        };
        let (open_text, close_text) = match kind {
            RuleKind::Fixed => ("<", ">"),
            RuleKind::Required => ("{", "}"),
            RuleKind::Optional => ("[", "]"),
        };
        let written = format!("{qualifier}{open_text} {name} {close_text}");

        let (min, max) = if star {
            let default_min = u32::from(kind == RuleKind::Required);
            (min.unwrap_or(default_min), max)
        } else {
            (u32::from(kind != RuleKind::Optional), Some(1))
        };
        if let Some(max) = max {
            if min > max {
                let message = format!("minimum {min} is greater than maximum {max} in `{written}`");
                self.error(start.clone(), message);
            } else if max == 0 && kind != RuleKind::Optional {
                let message = format!("`{written}`: only an optional rule can be `0*0`");
                self.error(start.clone(), message);
            }
        }
        if kind == RuleKind::Required && min == 0 && max != Some(0) {
            let message = format!("`{written}`: a required rule needs a minimum of at least 1");
            self.error(start.clone(), message);
        }
        Ok(Rule {
            name,
            kind,
            min,
            max,
            span: start,
        })
    }

    /// Checks the `AVP` wildcard rule and records its minimum.
    fn check_wildcard(&mut self, rule: &Rule, any: &mut Option<(u32, Span)>) {
        let problem = if rule.kind == RuleKind::Fixed {
            Some("the AVP wildcard cannot be fixed: write `*[ AVP ]`")
        } else if rule.max == Some(1) {
            Some("the AVP wildcard must be repeated: write `*[ AVP ]`")
        } else if rule.max.is_some() {
            Some("the AVP wildcard cannot have a maximum: write `*[ AVP ]`")
        } else {
            None
        };
        if let Some(problem) = problem {
            self.error(rule.span.clone(), problem);
        } else if let Some((_, first)) = any {
            let message = format!(
                "the AVP wildcard appears twice in the grammar (first at line {})",
                first.line
            );
            self.error(rule.span.clone(), message);
        } else {
            *any = Some((rule.min, rule.span.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Span {
        Span::new("d.xml", 10)
    }

    fn ok(text: &str, form: Form) -> Grammar {
        match parse(text, &start(), form) {
            Ok(grammar) => grammar,
            Err(diags) => panic!("unexpected errors: {diags:?}"),
        }
    }

    fn errors(text: &str, form: Form) -> Vec<String> {
        match parse(text, &start(), form) {
            Ok(grammar) => panic!("expected errors, parsed {grammar:?}"),
            Err(diags) => diags.iter().map(ToString::to_string).collect(),
        }
    }

    /// `(name, kind, min, max)` of each rule.
    fn shapes(grammar: &Grammar) -> Vec<(&str, RuleKind, u32, Option<u32>)> {
        grammar
            .rules
            .iter()
            .map(|rule| (rule.name.as_str(), rule.kind, rule.min, rule.max))
            .collect()
    }

    #[test]
    fn command_header_and_flags() {
        let grammar = ok(
            "<CCR> ::= < Diameter Header: 272, REQ, PXY >",
            Form::Command,
        );
        assert_eq!(grammar.name, "CCR");
        assert_eq!(
            grammar.header,
            GrammarHeader::Command {
                code: 272,
                request: true,
                proxiable: true,
                error: false,
                application_id: None,
            }
        );
        assert!(grammar.rules.is_empty());
        assert_eq!(grammar.any, None);

        let grammar = ok(
            "< Answer-Message > ::= < Diameter Header: 1, ERR, PXY >",
            Form::Command,
        );
        assert_eq!(grammar.name, "Answer-Message");
        assert_eq!(
            grammar.header,
            GrammarHeader::Command {
                code: 1,
                request: false,
                proxiable: true,
                error: true,
                application_id: None,
            }
        );

        // 3GPP specifications end the header with the Application-Id.
        let grammar = ok(
            "< Update-Location-Request> ::= < Diameter Header: 316, REQ, PXY, 16777251 >",
            Form::Command,
        );
        assert_eq!(
            grammar.header,
            GrammarHeader::Command {
                code: 316,
                request: true,
                proxiable: true,
                error: false,
                application_id: Some(16777251),
            }
        );
    }

    #[test]
    fn avp_header_with_and_without_vendor() {
        let grammar = ok("Proxy-Info ::= < AVP Header: 284 >", Form::Avp);
        assert_eq!(grammar.name, "Proxy-Info");
        assert_eq!(
            grammar.header,
            GrammarHeader::Avp {
                code: 284,
                vendor_id: None
            }
        );
        let grammar = ok("<X> ::= < AVP Header: 1 10415 >", Form::Avp);
        assert_eq!(
            grammar.header,
            GrammarHeader::Avp {
                code: 1,
                vendor_id: Some(10415)
            }
        );
    }

    #[test]
    fn every_qualifier_form() {
        let grammar = ok(
            "<R> ::= < Diameter Header: 1, REQ >
                < A >
                *< B >
                { C }
                *{ D }
                1*{ E }
                2*5 { F }
                [ G ]
                *[ H ]
                2*3 [ I ]
                2* [ J ]
                *4 [ K ]
                0*0 [ L ]
                0*1 [ M ]
                3*3 { N }",
            Form::Command,
        );
        use RuleKind::*;
        assert_eq!(
            shapes(&grammar),
            [
                ("A", Fixed, 1, Some(1)),
                ("B", Fixed, 0, None),
                ("C", Required, 1, Some(1)),
                ("D", Required, 1, None),
                ("E", Required, 1, None),
                ("F", Required, 2, Some(5)),
                ("G", Optional, 0, Some(1)),
                ("H", Optional, 0, None),
                ("I", Optional, 2, Some(3)),
                ("J", Optional, 2, None),
                ("K", Optional, 0, Some(4)),
                ("L", Optional, 0, Some(0)),
                ("M", Optional, 0, Some(1)),
                ("N", Required, 3, Some(3)),
            ]
        );
        assert_eq!(grammar.any, None);
    }

    #[test]
    fn avp_wildcard_forms() {
        let any = |rule: &str| ok(&format!("X ::= < AVP Header: 1 >\n{rule}"), Form::Avp).any;
        assert_eq!(any("*[ AVP ]"), Some(0));
        assert_eq!(any("*{ AVP }"), Some(1));
        assert_eq!(any("2*[ AVP ]"), Some(2));
        assert_eq!(any("[ X ]"), None);
        let grammar = ok("X ::= < AVP Header: 1 >\n{ A } *[ AVP ] [ B ]", Form::Avp);
        assert_eq!(grammar.rules.len(), 2, "the wildcard is not a rule");
    }

    #[test]
    fn comments_and_several_rules_per_line() {
        let grammar = ok(
            "; leading comment\n\
             <R> ::= < Diameter Header: 7, REQ > ; the header\n\
             < A > { B } [ C ] ; three rules; { Not-A-Rule }\n\
             *[ D ]*[ AVP ]",
            Form::Command,
        );
        assert_eq!(grammar.name_span.line, 11);
        assert_eq!(grammar.header_span.line, 11);
        let names: Vec<_> = grammar.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D"]);
        let lines: Vec<_> = grammar.rules.iter().map(|r| r.span.line).collect();
        assert_eq!(lines, [12, 12, 12, 13]);
        assert_eq!(grammar.any, Some(0));
    }

    #[test]
    fn names_with_digits_dots_and_underscores() {
        let grammar = ok(
            "X ::= < AVP Header: 1 >\n{ 3GPP-IMSI } [ TS_29.061-Thing ] [ Type ]",
            Form::Avp,
        );
        let names: Vec<_> = grammar.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["3GPP-IMSI", "TS_29.061-Thing", "Type"]);
    }

    #[test]
    fn lines_count_from_the_start_line() {
        // The text starts with the newline after `<![CDATA[` on line 10.
        let grammar = ok(
            "\n  X ::= < AVP Header: 1 >\n\n  { A }\n  [ B ]\n",
            Form::Avp,
        );
        assert_eq!(grammar.name_span.line, 11);
        let lines: Vec<_> = grammar.rules.iter().map(|r| r.span.line).collect();
        assert_eq!(lines, [13, 14]);
    }

    #[test]
    fn syntax_errors_carry_their_line() {
        let header = "\nX ::= < AVP Header: 1 >\n";
        assert_eq!(
            errors(&format!("{header}{{ A }}\n[ B }}"), Form::Avp),
            ["d.xml:13: expected `]`, found `}`"]
        );
        assert_eq!(
            errors(&format!("{header}{{ A }}\n2 [ B ]"), Form::Avp),
            ["d.xml:13: expected `*` after the minimum count, found `[`"]
        );
        assert_eq!(
            errors(&format!("{header}\n\n{{ A "), Form::Avp),
            ["d.xml:14: expected `}`, found the end of the grammar"]
        );
        assert_eq!(
            errors(&format!("{header}( A )"), Form::Avp),
            ["d.xml:12: expected a rule: `<`, `{`, `[` or a qualifier such as `1*2`, found `(`"]
        );
        assert_eq!(
            errors(&format!("{header}* A"), Form::Avp),
            ["d.xml:12: expected the maximum count, found `A`"]
        );
        assert_eq!(
            errors(&format!("{header}*, A"), Form::Avp),
            ["d.xml:12: expected `<`, `{` or `[`, found `,`"]
        );
        assert_eq!(
            errors(&format!("{header}*x [ A ]"), Form::Avp),
            ["d.xml:12: expected the maximum count, found `x`"]
        );
        assert_eq!(
            errors(&format!("{header}99999999999* [ A ]"), Form::Avp),
            [
                "d.xml:12: expected a rule: `<`, `{`, `[` or a qualifier such as `1*2`, \
                 found `99999999999`"
            ]
        );
    }

    #[test]
    fn header_errors() {
        assert_eq!(
            errors("X ::= < AVP Header: 1 >", Form::Command),
            ["d.xml:10: the grammar of a command must start with \
                 `< Diameter Header: CODE, ... >`, found `AVP`"]
        );
        assert_eq!(
            errors("\n<X> ::= < Diameter Header: 1, REQ >", Form::Avp),
            ["d.xml:11: the grammar of a grouped AVP must start with \
                 `< AVP Header: CODE [VENDOR-ID] >`, found `Diameter`"]
        );
        assert_eq!(
            errors("<X> ::= < Diameter Header: 1, REQ, FOO >", Form::Command),
            ["d.xml:10: unknown command flag `FOO`: expected `REQ`, `PXY` or `ERR`"]
        );
        assert_eq!(
            errors("<X> ::= < Diameter Header: 1, REQ, REQ >", Form::Command),
            ["d.xml:10: command flag `REQ` given twice"]
        );
        assert_eq!(
            errors("<X> ::= < Diameter Header: 1 REQ >", Form::Command),
            ["d.xml:10: expected `,` or `>`, found `REQ`"]
        );
        assert_eq!(
            errors("<X> := < Diameter Header: 1 >", Form::Command),
            ["d.xml:10: expected `::=`, found `:`"]
        );
        assert_eq!(
            errors("X ::= < AVP Header: one >", Form::Avp),
            ["d.xml:10: expected the AVP code, found `one`"]
        );
        assert_eq!(
            errors("", Form::Avp),
            ["d.xml:10: expected the grammar's name, found the end of the grammar"]
        );
    }

    #[test]
    fn semantic_errors_are_all_reported() {
        let text = "X ::= < AVP Header: 1 >
            < A >
            { B }
            < C >
            3*2 [ D ]
            0*2 { E }
            0*0 < F >
            [ B ]
            [ AVP ]
            *3 [ AVP ]
            < AVP >
            *[ AVP ]
            *[ AVP ]";
        assert_eq!(
            errors(text, Form::Avp),
            [
                "d.xml:13: fixed rule `< C >` must come before every required and optional rule",
                "d.xml:14: minimum 3 is greater than maximum 2 in `3*2 [ D ]`",
                "d.xml:15: `0*2 { E }`: a required rule needs a minimum of at least 1",
                "d.xml:16: `0*0 < F >`: only an optional rule can be `0*0`",
                "d.xml:16: fixed rule `< F >` must come before every required and optional rule",
                "d.xml:17: `B` appears twice in the grammar (first at line 12)",
                "d.xml:18: the AVP wildcard must be repeated: write `*[ AVP ]`",
                "d.xml:19: the AVP wildcard cannot have a maximum: write `*[ AVP ]`",
                "d.xml:20: the AVP wildcard cannot be fixed: write `*[ AVP ]`",
                "d.xml:22: the AVP wildcard appears twice in the grammar (first at line 21)",
            ]
        );
    }
}
