//! The plain syntax tree of one dictionary file, as written: nothing resolved yet.
//!
//! Numbers are already checked and parsed; names that refer to other things (vendors, types,
//! flag rules, application kinds) are kept as text with their span for the lowering pass.

use std::path::PathBuf;

use crate::span::Span;

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// One dictionary file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct File {
    pub(crate) path: PathBuf,
    pub(crate) spec: String,
    pub(crate) release: String,
    pub(crate) title: Option<String>,
    pub(crate) imports: Vec<Import>,
    pub(crate) vendors: Vec<Vendor>,
    pub(crate) applications: Vec<Application>,
    pub(crate) avps: Vec<Avp>,
    pub(crate) enum_extensions: Vec<EnumExtension>,
    /// `<values>` elements: names for values of Unsigned32 AVPs.
    pub(crate) values: Vec<Values>,
    /// `<bits>` elements: names for the bits of bit-mask Unsigned32 AVPs.
    pub(crate) bits: Vec<Bits>,
}

/// `<import file="..."/>`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Import {
    /// The path as written, relative to the importing file.
    pub(crate) file: String,
    pub(crate) span: Span,
}

/// `<vendor id="..." name="..."/>`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Vendor {
    pub(crate) id: u32,
    pub(crate) name: String,
    pub(crate) span: Span,
}

/// `<application>`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Application {
    pub(crate) id: u32,
    pub(crate) name: String,
    /// `type` attribute.
    pub(crate) kind: Spanned<String>,
    pub(crate) vendor: Option<Spanned<String>>,
    pub(crate) module: Spanned<String>,
    /// `profile` attribute: the application's commands are another specification's grammars
    /// for this Application-Id, kept apart from the profile-less declaration.
    pub(crate) profile: Option<Spanned<String>>,
    pub(crate) commands: Vec<Command>,
    /// `<occurrence-table>` children.
    pub(crate) occurrence_tables: Vec<OccurrenceTable>,
    pub(crate) span: Span,
}

/// `<occurrence-table commands="CER CEA ...">`: a spec's AVP occurrence table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OccurrenceTable {
    /// The column heads: request or answer abbreviations, separated by whitespace.
    pub(crate) commands: Spanned<String>,
    pub(crate) rows: Vec<OccurrenceRow>,
    pub(crate) span: Span,
}

/// `<row avp="..." occurs="0 0-1 ..."/>`: one AVP's cells, one per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OccurrenceRow {
    pub(crate) avp: Spanned<String>,
    pub(crate) occurs: Spanned<String>,
    pub(crate) span: Span,
}

/// `<command>`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    pub(crate) code: u32,
    pub(crate) name: String,
    pub(crate) request_abbrev: String,
    pub(crate) answer_abbrev: String,
    pub(crate) section: Option<String>,
    pub(crate) request: GrammarText,
    pub(crate) answer: GrammarText,
    pub(crate) span: Span,
}

/// The raw ABNF inside `<request>`, `<answer>` or `<grammar>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GrammarText {
    /// The element's content (CDATA and text, unescaped).
    pub(crate) text: String,
    /// The line the content starts on: line `span.line + n` holds the text after its `n`th newline.
    pub(crate) span: Span,
}

/// `<avp>`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Avp {
    pub(crate) name: Spanned<String>,
    pub(crate) code: u32,
    pub(crate) vendor: Option<Spanned<String>>,
    /// `type` attribute.
    pub(crate) ty: Spanned<String>,
    pub(crate) m: Option<Spanned<String>>,
    pub(crate) v: Option<Spanned<String>>,
    pub(crate) p: Option<Spanned<String>>,
    pub(crate) section: Option<String>,
    pub(crate) enums: Vec<Enum>,
    /// The `<grammar>` child.
    pub(crate) grammar: Option<GrammarText>,
    /// `<exactly-one>` children.
    pub(crate) exactly_one: Vec<ExactlyOne>,
    /// Text directly inside the element, with each line trimmed.
    pub(crate) doc: String,
    pub(crate) span: Span,
}

/// `<enum name="..." value="..."/>`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Enum {
    pub(crate) name: String,
    pub(crate) value: i32,
    pub(crate) span: Span,
}

/// `<enum-extension avp="...">`: more values for an Enumerated AVP of an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnumExtension {
    /// The extended AVP's name.
    pub(crate) avp: Spanned<String>,
    pub(crate) enums: Vec<Enum>,
    /// Text directly inside the element, with each line trimmed.
    pub(crate) doc: String,
    pub(crate) span: Span,
}

/// `<exactly-one avps="A B"/>`: exactly one of the named members of a Grouped AVP occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExactlyOne {
    /// The member names, separated by whitespace.
    pub(crate) avps: Spanned<String>,
    pub(crate) span: Span,
}

/// `<values avp="...">`: names for values of an Unsigned32 AVP (e.g. Result-Code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Values {
    /// The AVP's name.
    pub(crate) avp: Spanned<String>,
    /// `vendor` attribute: the names hold only beside this Vendor-Id (a vendor's
    /// Experimental-Result-Code values).
    pub(crate) vendor: Option<Spanned<String>>,
    pub(crate) values: Vec<Value>,
    pub(crate) span: Span,
}

/// `<value name="..." value="..."/>`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Value {
    pub(crate) name: String,
    pub(crate) value: u32,
    pub(crate) span: Span,
}

/// `<bits avp="..." [vendor=".."] [application=".."] [list-id=".."]>`: names for the bits of a
/// bit-mask Unsigned32 AVP (ULR-Flags, Feature-List).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bits {
    /// The AVP's name.
    pub(crate) avp: Spanned<String>,
    /// The Vendor-Id beside the AVP for which the names hold.
    pub(crate) vendor: Option<Spanned<String>>,
    /// The application in whose messages the names hold.
    pub(crate) application: Option<Spanned<u32>>,
    /// The Feature-List-ID beside the AVP for which the names hold.
    pub(crate) list_id: Option<Spanned<u32>>,
    pub(crate) bits: Vec<Bit>,
    pub(crate) span: Span,
}

/// `<bit name="..." bit="N">doc</bit>`: bit 0 is the least significant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bit {
    pub(crate) name: String,
    pub(crate) bit: u32,
    /// Text inside the element, with each line trimmed.
    pub(crate) doc: String,
    pub(crate) span: Span,
}
