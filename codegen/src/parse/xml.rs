//! Reads one dictionary file (XML, see `dictionaries/README.md`) into an [`ast::File`].
//!
//! Checks the document's shape only: known elements and attributes, required attributes
//! present, numbers well formed. Names are resolved later, by the lowering pass.

use std::path::Path;
use std::str::FromStr;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::ast::{self, Spanned};
use crate::diagnostic::Diagnostic;
use crate::span::{LineIndex, Span};

/// Largest Command-Code (24 bits).
const MAX_COMMAND_CODE: u32 = (1 << 24) - 1;

/// Length of `<![CDATA[`, to find where CDATA content starts.
const CDATA_OPEN_LEN: usize = 9;

/// Parses the dictionary `src`, read from `path` (used only for spans).
///
/// Returns every problem found when the file is not a well-formed dictionary.
pub(crate) fn parse(path: &Path, src: &str) -> Result<ast::File, Vec<Diagnostic>> {
    let mut parser = Parser::new(path, src);
    let file = parser.document();
    match file {
        Some(file) if parser.diags.is_empty() => Ok(file),
        _ => {
            if parser.diags.is_empty() {
                // Not reached: every path returning no file reports why. Be safe anyway.
                parser.error(0, "not a dictionary");
            }
            Err(parser.diags)
        }
    }
}

/// An XML syntax error stopped the parse (already reported).
struct Fatal;

/// A start (or empty) tag just read.
struct Element<'a> {
    start: BytesStart<'a>,
    name: String,
    /// Offset of its `<`.
    offset: usize,
    /// Offset just past its `>`: where its content starts.
    content_offset: usize,
    /// `<x/>`: no content and no end tag follow.
    empty: bool,
}

/// What the reader produced, with comments, declarations and processing instructions skipped.
enum Item<'a> {
    Element(Element<'a>),
    /// Text or CDATA content, unescaped, and the offset its first character is at.
    Text(String, usize),
    End,
    Eof,
}

/// An attribute read from a tag.
struct Attr {
    key: String,
    value: String,
    span: Span,
}

/// The attributes of one tag, taken one by one; what is left over is unknown.
struct Attrs {
    element: String,
    tag: Span,
    items: Vec<Attr>,
}

struct Parser<'a> {
    path: &'a Path,
    src: &'a str,
    reader: Reader<&'a [u8]>,
    lines: LineIndex,
    diags: Vec<Diagnostic>,
}

impl<'a> Parser<'a> {
    fn new(path: &'a Path, src: &'a str) -> Self {
        Parser {
            path,
            src,
            reader: Reader::from_str(src),
            lines: LineIndex::new(src),
            diags: Vec::new(),
        }
    }

    fn span(&self, offset: usize) -> Span {
        Span::new(self.path, self.lines.line(offset))
    }

    fn error(&mut self, offset: usize, message: impl Into<String>) {
        let span = self.span(offset);
        self.error_at(span, message);
    }

    fn error_at(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(span, message));
    }

    fn position(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    fn next_item(&mut self) -> Result<Item<'a>, Fatal> {
        loop {
            let offset = self.position();
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(error) => {
                    let at = usize::try_from(self.reader.error_position()).unwrap_or(offset);
                    self.error(at, format!("malformed XML: {error}"));
                    return Err(Fatal);
                }
            };
            match event {
                Event::Start(start) => {
                    return Ok(Item::Element(self.element(start, offset, false)))
                }
                Event::Empty(start) => return Ok(Item::Element(self.element(start, offset, true))),
                Event::End(_) => return Ok(Item::End),
                Event::Text(text) => match text.unescape() {
                    Ok(text) => return Ok(Item::Text(text.into_owned(), offset)),
                    Err(error) => self.error(offset, format!("malformed XML text: {error}")),
                },
                Event::CData(data) => {
                    let text = String::from_utf8_lossy(&data).into_owned();
                    return Ok(Item::Text(text, offset + CDATA_OPEN_LEN));
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
                Event::Eof => return Ok(Item::Eof),
            }
        }
    }

    fn element(&self, start: BytesStart<'a>, offset: usize, empty: bool) -> Element<'a> {
        let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
        Element {
            start,
            name,
            offset,
            content_offset: self.position(),
            empty,
        }
    }

    /// Reads the content of `parent` up to its end tag, handing each child element and each
    /// piece of text to the callbacks. Does nothing for an empty element.
    fn children(
        &mut self,
        parent: &Element<'a>,
        mut on_element: impl FnMut(&mut Self, Element<'a>) -> Result<(), Fatal>,
        mut on_text: impl FnMut(&mut Self, String, usize),
    ) -> Result<(), Fatal> {
        if parent.empty {
            return Ok(());
        }
        loop {
            match self.next_item()? {
                Item::Element(child) => on_element(self, child)?,
                Item::Text(text, offset) => on_text(self, text, offset),
                Item::End => return Ok(()),
                Item::Eof => {
                    let message =
                        format!("<{}> is not closed before the end of the file", parent.name);
                    self.error(parent.offset, message);
                    return Err(Fatal);
                }
            }
        }
    }

    /// Reports text other than whitespace inside `parent`, which takes none.
    fn no_text(&mut self, parent: &str, text: &str, offset: usize) {
        if let Some(skip) = text.find(|c: char| !c.is_whitespace()) {
            let message = format!(
                "unexpected text in <{parent}>: `{}`",
                first_line(&text[skip..])
            );
            self.error(offset + skip, message);
        }
    }

    /// Reports `element` as not allowed inside `parent` and skips it.
    fn unknown_element(&mut self, element: Element<'a>, parent: &str) -> Result<(), Fatal> {
        let message = format!("unknown element <{}> in <{parent}>", element.name);
        self.error(element.offset, message);
        self.skip(&element)
    }

    /// Skips the content of `element` up to its end tag.
    fn skip(&mut self, element: &Element<'a>) -> Result<(), Fatal> {
        self.children(element, |parser, child| parser.skip(&child), |_, _, _| {})
    }

    /// Checks that `element` has no children and no text.
    fn no_content(&mut self, element: &Element<'a>) -> Result<(), Fatal> {
        let name = element.name.clone();
        self.children(
            element,
            |parser, child| parser.unknown_element(child, &name),
            |parser, text, offset| parser.no_text(&name, &text, offset),
        )
    }

    fn attrs(&mut self, element: &Element<'a>) -> Attrs {
        let tag = self.span(element.offset);
        let mut items = Vec::new();
        for attr in element.start.attributes() {
            match attr {
                Ok(attr) => {
                    let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
                    let span = self.attr_span(attr.key.as_ref(), element.offset);
                    match attr.unescape_value() {
                        Ok(value) => items.push(Attr {
                            key,
                            value: value.into_owned(),
                            span,
                        }),
                        Err(error) => {
                            let message = format!("malformed value of attribute `{key}`: {error}");
                            self.error_at(span, message);
                        }
                    }
                }
                Err(error) => {
                    let message = format!("malformed attributes on <{}>: {error}", element.name);
                    self.error_at(tag.clone(), message);
                    break;
                }
            }
        }
        Attrs {
            element: element.name.clone(),
            tag,
            items,
        }
    }

    /// The span of an attribute whose key is `key`, a slice of the source text; the tag's span
    /// when it is not (it always is when reading from a string).
    fn attr_span(&self, key: &[u8], tag_offset: usize) -> Span {
        let start = self.src.as_ptr() as usize;
        let offset = (key.as_ptr() as usize)
            .checked_sub(start)
            .filter(|&offset| offset < self.src.len())
            .unwrap_or(tag_offset);
        self.span(offset)
    }

    /// Takes attribute `key`; reports it missing (or empty) when `required`.
    fn take(&mut self, attrs: &mut Attrs, key: &str, required: bool) -> Option<Spanned<String>> {
        let found = attrs
            .items
            .iter()
            .position(|attr| attr.key == key)
            .map(|index| attrs.items.remove(index));
        match found {
            Some(attr) if required && attr.value.trim().is_empty() => {
                let message = format!("attribute `{key}` of <{}> is empty", attrs.element);
                self.error_at(attr.span, message);
                None
            }
            Some(attr) => Some(Spanned {
                value: attr.value,
                span: attr.span,
            }),
            None => {
                if required {
                    let message = format!("<{}> is missing attribute `{key}`", attrs.element);
                    self.error_at(attrs.tag.clone(), message);
                }
                None
            }
        }
    }

    fn required(&mut self, attrs: &mut Attrs, key: &str) -> Option<Spanned<String>> {
        self.take(attrs, key, true)
    }

    fn optional(&mut self, attrs: &mut Attrs, key: &str) -> Option<Spanned<String>> {
        self.take(attrs, key, false)
    }

    /// Takes required attribute `key` as a decimal number of type `T`, described by `expected`.
    fn number<T: FromStr>(&mut self, attrs: &mut Attrs, key: &str, expected: &str) -> Option<T> {
        let attr = self.required(attrs, key)?;
        match attr.value.parse::<T>() {
            Ok(number) if !attr.value.starts_with('+') => Some(number),
            _ => {
                let message = format!(
                    "invalid `{key}` `{}` on <{}>: expected {expected}",
                    attr.value, attrs.element
                );
                self.error_at(attr.span, message);
                None
            }
        }
    }

    fn u32(&mut self, attrs: &mut Attrs, key: &str) -> Option<u32> {
        self.number(attrs, key, "a decimal number from 0 to 4294967295")
    }

    /// Reports every attribute not taken.
    fn finish(&mut self, attrs: Attrs) {
        for attr in attrs.items {
            let message = format!("unknown attribute `{}` on <{}>", attr.key, attrs.element);
            self.error_at(attr.span, message);
        }
    }

    fn document(&mut self) -> Option<ast::File> {
        let mut file = None;
        let mut seen_root = false;
        loop {
            let item = match self.next_item() {
                Ok(item) => item,
                Err(Fatal) => return None,
            };
            match item {
                Item::Element(element) => {
                    let result = if seen_root {
                        self.error(element.offset, "a dictionary has only one root element");
                        self.skip(&element)
                    } else if element.name == "dictionary" {
                        seen_root = true;
                        self.dictionary(element).map(|parsed| file = parsed)
                    } else {
                        seen_root = true;
                        let message = format!(
                            "expected root element <dictionary>, found <{}>",
                            element.name
                        );
                        self.error(element.offset, message);
                        self.skip(&element)
                    };
                    if result.is_err() {
                        return None;
                    }
                }
                Item::Text(text, offset) => self.no_text("document", &text, offset),
                Item::End => {}
                Item::Eof => break,
            }
        }
        if !seen_root {
            self.error(0, "no <dictionary> element");
        }
        file
    }

    fn dictionary(&mut self, element: Element<'a>) -> Result<Option<ast::File>, Fatal> {
        let mut attrs = self.attrs(&element);
        let spec = self.required(&mut attrs, "spec");
        let release = self.required(&mut attrs, "release");
        let title = self.optional(&mut attrs, "title");
        self.finish(attrs);

        let mut imports = Vec::new();
        let mut vendors = Vec::new();
        let mut applications = Vec::new();
        let mut avps = Vec::new();
        let mut enum_extensions = Vec::new();
        let mut values = Vec::new();
        let mut bits = Vec::new();
        self.children(
            &element,
            |parser, child| {
                match child.name.as_str() {
                    "import" => imports.extend(parser.import(child)?),
                    "vendor" => vendors.extend(parser.vendor(child)?),
                    "application" => applications.extend(parser.application(child)?),
                    "avp" => avps.extend(parser.avp(child)?),
                    "enum-extension" => enum_extensions.extend(parser.enum_extension(child)?),
                    "values" => values.extend(parser.values(child)?),
                    "bits" => bits.extend(parser.bits(child)?),
                    _ => parser.unknown_element(child, "dictionary")?,
                }
                Ok(())
            },
            |parser, text, offset| parser.no_text("dictionary", &text, offset),
        )?;

        Ok(match (spec, release) {
            (Some(spec), Some(release)) => Some(ast::File {
                path: self.path.to_path_buf(),
                spec: spec.value,
                release: release.value,
                title: title.map(|title| title.value),
                imports,
                vendors,
                applications,
                avps,
                enum_extensions,
                values,
                bits,
            }),
            _ => None,
        })
    }

    fn import(&mut self, element: Element<'a>) -> Result<Option<ast::Import>, Fatal> {
        let mut attrs = self.attrs(&element);
        let file = self.required(&mut attrs, "file");
        self.finish(attrs);
        self.no_content(&element)?;
        Ok(file.map(|file| ast::Import {
            file: file.value,
            span: file.span,
        }))
    }

    fn vendor(&mut self, element: Element<'a>) -> Result<Option<ast::Vendor>, Fatal> {
        let mut attrs = self.attrs(&element);
        let id = self.u32(&mut attrs, "id");
        let name = self.required(&mut attrs, "name");
        self.finish(attrs);
        self.no_content(&element)?;
        Ok(match (id, name) {
            (Some(id), Some(name)) => Some(ast::Vendor {
                id,
                name: name.value,
                span: self.span(element.offset),
            }),
            _ => None,
        })
    }

    fn application(&mut self, element: Element<'a>) -> Result<Option<ast::Application>, Fatal> {
        let mut attrs = self.attrs(&element);
        let id = self.u32(&mut attrs, "id");
        let name = self.required(&mut attrs, "name");
        let kind = self.required(&mut attrs, "type");
        let vendor = self.optional(&mut attrs, "vendor");
        let module = self.required(&mut attrs, "module");
        let profile = self.optional(&mut attrs, "profile");
        self.finish(attrs);

        let mut commands = Vec::new();
        let mut occurrence_tables = Vec::new();
        self.children(
            &element,
            |parser, child| match child.name.as_str() {
                "command" => {
                    commands.extend(parser.command(child)?);
                    Ok(())
                }
                "occurrence-table" => {
                    occurrence_tables.extend(parser.occurrence_table(child)?);
                    Ok(())
                }
                _ => parser.unknown_element(child, "application"),
            },
            |parser, text, offset| parser.no_text("application", &text, offset),
        )?;

        Ok(match (id, name, kind, module) {
            (Some(id), Some(name), Some(kind), Some(module)) => Some(ast::Application {
                id,
                name: name.value,
                kind,
                vendor,
                module,
                profile,
                commands,
                occurrence_tables,
                span: self.span(element.offset),
            }),
            _ => None,
        })
    }

    fn command(&mut self, element: Element<'a>) -> Result<Option<ast::Command>, Fatal> {
        let mut attrs = self.attrs(&element);
        let code_span = attrs
            .items
            .iter()
            .find(|attr| attr.key == "code")
            .map(|attr| attr.span.clone());
        let mut code = self.u32(&mut attrs, "code");
        if let (Some(value), Some(span)) = (code, code_span) {
            if value > MAX_COMMAND_CODE {
                let message = format!("command code {value} does not fit in 24 bits");
                self.error_at(span, message);
                code = None;
            }
        }
        let name = self.required(&mut attrs, "name");
        let request_abbrev = self.required(&mut attrs, "request-abbrev");
        let answer_abbrev = self.required(&mut attrs, "answer-abbrev");
        let section = self.optional(&mut attrs, "section");
        self.finish(attrs);

        let mut request: Option<ast::GrammarText> = None;
        let mut answer: Option<ast::GrammarText> = None;
        self.children(
            &element,
            |parser, child| {
                let slot = match child.name.as_str() {
                    "request" => &mut request,
                    "answer" => &mut answer,
                    _ => return parser.unknown_element(child, "command"),
                };
                let offset = child.offset;
                let name = child.name.clone();
                let text = parser.grammar_text(child)?;
                if slot.is_some() {
                    parser.error(offset, format!("<command> has more than one <{name}>"));
                } else {
                    *slot = text;
                }
                Ok(())
            },
            |parser, text, offset| parser.no_text("command", &text, offset),
        )?;
        for (slot, what) in [(&request, "request"), (&answer, "answer")] {
            if slot.is_none() {
                self.error(element.offset, format!("<command> has no <{what}>"));
            }
        }

        Ok(
            match (code, name, request_abbrev, answer_abbrev, request, answer) {
                (
                    Some(code),
                    Some(name),
                    Some(request_abbrev),
                    Some(answer_abbrev),
                    Some(request),
                    Some(answer),
                ) => Some(ast::Command {
                    code,
                    name: name.value,
                    request_abbrev: request_abbrev.value,
                    answer_abbrev: answer_abbrev.value,
                    section: section.map(|section| section.value),
                    request,
                    answer,
                    span: self.span(element.offset),
                }),
                _ => None,
            },
        )
    }

    /// Reads `<request>`, `<answer>` or `<grammar>`: no attributes, text and CDATA only.
    fn grammar_text(&mut self, element: Element<'a>) -> Result<Option<ast::GrammarText>, Fatal> {
        let attrs = self.attrs(&element);
        self.finish(attrs);
        let name = element.name.clone();
        let start_line = self.lines.line(element.content_offset);
        let mut text = String::new();
        self.children(
            &element,
            |parser, child| parser.unknown_element(child, &name),
            |parser, piece, offset| {
                // Keep line `n` of the text on line `start_line + n` of the file, even when a
                // comment (dropped) sits between pieces.
                let want = parser.lines.line(offset).saturating_sub(start_line);
                let have = text.matches('\n').count();
                for _ in have..usize::try_from(want).unwrap_or(0) {
                    text.push('\n');
                }
                text.push_str(&piece);
            },
        )?;
        if text.trim().is_empty() {
            self.error(element.offset, format!("<{name}> is empty"));
            return Ok(None);
        }
        Ok(Some(ast::GrammarText {
            text,
            span: self.span(element.content_offset),
        }))
    }

    fn avp(&mut self, element: Element<'a>) -> Result<Option<ast::Avp>, Fatal> {
        let mut attrs = self.attrs(&element);
        let name = self.required(&mut attrs, "name");
        let code = self.u32(&mut attrs, "code");
        let vendor = self.optional(&mut attrs, "vendor");
        let ty = self.required(&mut attrs, "type");
        let m = self.optional(&mut attrs, "m");
        let v = self.optional(&mut attrs, "v");
        let p = self.optional(&mut attrs, "p");
        let section = self.optional(&mut attrs, "section");
        self.finish(attrs);

        let mut enums = Vec::new();
        let mut grammar: Option<ast::GrammarText> = None;
        let mut exactly_one = Vec::new();
        let mut doc = Vec::new();
        self.children(
            &element,
            |parser, child| {
                match child.name.as_str() {
                    "enum" => enums.extend(parser.enumeration(child)?),
                    "exactly-one" => exactly_one.extend(parser.exactly_one(child)?),
                    "grammar" => {
                        let offset = child.offset;
                        let text = parser.grammar_text(child)?;
                        if grammar.is_some() {
                            parser.error(offset, "<avp> has more than one <grammar>");
                        } else {
                            grammar = text;
                        }
                    }
                    _ => parser.unknown_element(child, "avp")?,
                }
                Ok(())
            },
            |_, text, _| doc.push(text),
        )?;

        Ok(match (name, code, ty) {
            (Some(name), Some(code), Some(ty)) => Some(ast::Avp {
                name,
                code,
                vendor,
                ty,
                m,
                v,
                p,
                section: section.map(|section| section.value),
                enums,
                grammar,
                exactly_one,
                doc: normalize_doc(&doc.join("\n")),
                span: self.span(element.offset),
            }),
            _ => None,
        })
    }

    fn enum_extension(
        &mut self,
        element: Element<'a>,
    ) -> Result<Option<ast::EnumExtension>, Fatal> {
        let mut attrs = self.attrs(&element);
        let avp = self.required(&mut attrs, "avp");
        self.finish(attrs);

        let mut enums = Vec::new();
        let mut doc = Vec::new();
        self.children(
            &element,
            |parser, child| {
                if child.name == "enum" {
                    enums.extend(parser.enumeration(child)?);
                    Ok(())
                } else {
                    parser.unknown_element(child, "enum-extension")
                }
            },
            |_, text, _| doc.push(text),
        )?;

        Ok(avp.map(|avp| ast::EnumExtension {
            avp,
            enums,
            doc: normalize_doc(&doc.join("\n")),
            span: self.span(element.offset),
        }))
    }

    fn enumeration(&mut self, element: Element<'a>) -> Result<Option<ast::Enum>, Fatal> {
        let mut attrs = self.attrs(&element);
        let name = self.required(&mut attrs, "name");
        let value = self.number::<i32>(
            &mut attrs,
            "value",
            "a decimal number from -2147483648 to 2147483647",
        );
        self.finish(attrs);
        self.no_content(&element)?;
        Ok(match (name, value) {
            (Some(name), Some(value)) => Some(ast::Enum {
                name: name.value,
                value,
                span: self.span(element.offset),
            }),
            _ => None,
        })
    }
}

impl<'a> Parser<'a> {
    /// Reads `<occurrence-table commands="...">` and its `<row>` children.
    fn occurrence_table(
        &mut self,
        element: Element<'a>,
    ) -> Result<Option<ast::OccurrenceTable>, Fatal> {
        let mut attrs = self.attrs(&element);
        let commands = self.required(&mut attrs, "commands");
        // The spec section the table comes from, for people reading the dictionary.
        let _section = self.optional(&mut attrs, "section");
        self.finish(attrs);
        let mut rows = Vec::new();
        self.children(
            &element,
            |parser, child| {
                if child.name != "row" {
                    return parser.unknown_element(child, "occurrence-table");
                }
                let mut attrs = parser.attrs(&child);
                let avp = parser.required(&mut attrs, "avp");
                let occurs = parser.required(&mut attrs, "occurs");
                parser.finish(attrs);
                parser.no_content(&child)?;
                if let (Some(avp), Some(occurs)) = (avp, occurs) {
                    let span = parser.span(child.offset);
                    rows.push(ast::OccurrenceRow { avp, occurs, span });
                }
                Ok(())
            },
            |parser, text, offset| parser.no_text("occurrence-table", &text, offset),
        )?;
        Ok(commands.map(|commands| ast::OccurrenceTable {
            commands,
            rows,
            span: self.span(element.offset),
        }))
    }

    /// Reads `<exactly-one avps="..."/>`.
    fn exactly_one(&mut self, element: Element<'a>) -> Result<Option<ast::ExactlyOne>, Fatal> {
        let mut attrs = self.attrs(&element);
        let avps = self.required(&mut attrs, "avps");
        self.finish(attrs);
        self.no_content(&element)?;
        Ok(avps.map(|avps| ast::ExactlyOne {
            avps,
            span: self.span(element.offset),
        }))
    }

    /// Reads `<values avp="..." [vendor="..."]>` and its `<value name="..." value="..."/>` children.
    fn values(&mut self, element: Element<'a>) -> Result<Option<ast::Values>, Fatal> {
        let mut attrs = self.attrs(&element);
        let avp = self.required(&mut attrs, "avp");
        let vendor = self.optional(&mut attrs, "vendor");
        // The spec section defining the values, for people reading the dictionary.
        let _section = self.optional(&mut attrs, "section");
        self.finish(attrs);
        let mut values = Vec::new();
        self.children(
            &element,
            |parser, child| {
                if child.name != "value" {
                    return parser.unknown_element(child, "values");
                }
                let mut attrs = parser.attrs(&child);
                let name = parser.required(&mut attrs, "name");
                let value = parser.u32(&mut attrs, "value");
                parser.finish(attrs);
                parser.no_content(&child)?;
                if let (Some(name), Some(value)) = (name, value) {
                    let span = parser.span(child.offset);
                    values.push(ast::Value {
                        name: name.value,
                        value,
                        span,
                    });
                }
                Ok(())
            },
            |parser, text, offset| parser.no_text("values", &text, offset),
        )?;
        Ok(avp.map(|avp| ast::Values {
            avp,
            vendor,
            values,
            span: self.span(element.offset),
        }))
    }
}

impl<'a> Parser<'a> {
    /// Takes optional attribute `key` as a decimal `u32`.
    fn optional_u32(&mut self, attrs: &mut Attrs, key: &str) -> Option<Spanned<u32>> {
        let attr = self.optional(attrs, key)?;
        match attr.value.parse::<u32>() {
            Ok(number) if !attr.value.starts_with('+') => Some(Spanned {
                value: number,
                span: attr.span,
            }),
            _ => {
                let message = format!(
                    "invalid `{key}` `{}` on <{}>: expected a decimal number from 0 to 4294967295",
                    attr.value, attrs.element
                );
                self.error_at(attr.span, message);
                None
            }
        }
    }

    /// Reads `<bits avp="...">` and its `<bit name="..." bit="N">doc</bit>` children.
    fn bits(&mut self, element: Element<'a>) -> Result<Option<ast::Bits>, Fatal> {
        let mut attrs = self.attrs(&element);
        let avp = self.required(&mut attrs, "avp");
        let vendor = self.optional(&mut attrs, "vendor");
        let application = self.optional_u32(&mut attrs, "application");
        let list_id = self.optional_u32(&mut attrs, "list-id");
        // The spec section defining the bits, for people reading the dictionary.
        let _section = self.optional(&mut attrs, "section");
        self.finish(attrs);
        let mut bits = Vec::new();
        self.children(
            &element,
            |parser, child| {
                if child.name != "bit" {
                    return parser.unknown_element(child, "bits");
                }
                let mut attrs = parser.attrs(&child);
                let name = parser.required(&mut attrs, "name");
                let bit = parser.u32(&mut attrs, "bit");
                parser.finish(attrs);
                let mut doc = Vec::new();
                parser.children(
                    &child,
                    |parser, grandchild| parser.unknown_element(grandchild, "bit"),
                    |_, text, _| doc.push(text),
                )?;
                if let (Some(name), Some(bit)) = (name, bit) {
                    bits.push(ast::Bit {
                        name: name.value,
                        bit,
                        doc: normalize_doc(&doc.join("\n")),
                        span: parser.span(child.offset),
                    });
                }
                Ok(())
            },
            |parser, text, offset| parser.no_text("bits", &text, offset),
        )?;
        Ok(avp.map(|avp| ast::Bits {
            avp,
            vendor,
            application,
            list_id,
            bits,
            span: self.span(element.offset),
        }))
    }
}

/// The first line of `text`, for quoting in a message.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim_end()
}

/// Trims each line, drops leading and trailing blank lines and collapses runs of blank lines.
fn normalize_doc(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() && out.last().map_or(true, |last| last.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|last| last.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(src: &str) -> Result<ast::File, Vec<String>> {
        parse(Path::new("t.xml"), src)
            .map_err(|diags| diags.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn doc_text_is_normalized() {
        assert_eq!(
            normalize_doc("\n   a b\n    c\n\n\n  d  \n\n"),
            "a b\nc\n\nd"
        );
        assert_eq!(normalize_doc("  \n "), "");
    }

    #[test]
    fn reads_a_small_dictionary_with_lines() {
        let src = r#"<?xml version="1.0"?>
<dictionary spec="RFC 1" release="r1">
  <import file="base.xml"/>
  <vendor id="10415" name="3GPP"/>
  <avp name="A" code="1" type="Grouped"
       vendor="3GPP" m="must">
    Doc &amp; more.
    <grammar><![CDATA[
      A ::= < AVP Header: 1 10415 >
    ]]></grammar>
  </avp>
</dictionary>
"#;
        let file = parse_str(src).expect("valid");
        assert_eq!(file.spec, "RFC 1");
        assert_eq!(file.imports[0].file, "base.xml");
        assert_eq!(file.imports[0].span.line, 3);
        assert_eq!(file.vendors[0].id, 10415);
        let avp = &file.avps[0];
        assert_eq!(avp.span.line, 5);
        assert_eq!(avp.vendor.as_ref().map(|v| v.span.line), Some(6));
        assert_eq!(avp.doc, "Doc & more.");
        let grammar = avp.grammar.as_ref().expect("grammar");
        // The CDATA starts on line 8; its text starts with a newline.
        assert_eq!(grammar.span.line, 8);
        assert!(grammar.text.starts_with("\n      A ::="));
    }

    #[test]
    fn grammar_text_keeps_its_lines_across_comments() {
        let src = "<dictionary spec=\"S\" release=\"R\">\n\
<avp name=\"A\" code=\"1\" type=\"Grouped\"><grammar><!-- one\ntwo -->\n\
<![CDATA[A ::= < AVP Header: 1 >]]>&lt;<!--\n-->\n{ B }</grammar></avp>\n\
</dictionary>";
        let file = parse_str(src).expect("valid");
        let grammar = file.avps[0].grammar.as_ref().expect("grammar");
        assert_eq!(grammar.span.line, 2);
        // Line 4 holds the CDATA and `&lt;`; `{ B }` is on line 6.
        assert_eq!(grammar.text, "\n\nA ::= < AVP Header: 1 ><\n\n{ B }");
    }

    #[test]
    fn reports_shape_errors() {
        let src = r#"<dictionary spec="S" release="R" colour="blue">
  <vendor id="x" name="V"/>
  <avp name="A" code="-1" type="Unsigned32"/>
  <enum name="E" value="1"/>
  <command code="16777216" name="C" request-abbrev="CR" answer-abbrev="CA"/>
  stray
</dictionary>"#;
        let errors = parse_str(src).expect_err("invalid");
        assert_eq!(
            errors,
            [
                "t.xml:1: unknown attribute `colour` on <dictionary>",
                "t.xml:2: invalid `id` `x` on <vendor>: expected a decimal number from 0 to 4294967295",
                "t.xml:3: invalid `code` `-1` on <avp>: expected a decimal number from 0 to 4294967295",
                "t.xml:4: unknown element <enum> in <dictionary>",
                "t.xml:5: unknown element <command> in <dictionary>",
                "t.xml:6: unexpected text in <dictionary>: `stray`",
            ]
        );
    }

    #[test]
    fn reports_malformed_xml_with_its_line() {
        let errors = parse_str("<dictionary spec=\"S\" release=\"R\">\n<avp>\n</dictionary>")
            .expect_err("invalid");
        assert_eq!(
            errors,
            [
                "t.xml:2: <avp> is missing attribute `name`",
                "t.xml:2: <avp> is missing attribute `code`",
                "t.xml:2: <avp> is missing attribute `type`",
                "t.xml:3: malformed XML: ill-formed document: expected `</avp>`, \
                 but `</dictionary>` was found",
            ]
        );
    }
}
