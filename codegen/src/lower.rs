//! Lowering: loads dictionary files and their imports ([`imports`]), resolves names, checks
//! everything (grouped-AVP recursion in [`recursion`]) and builds the [`Model`].
//!
//! Two phases, each reporting every problem it finds:
//! 1. loading: read and parse each file once, follow imports (cycles allowed: a file sees
//!    everything reachable through its imports, itself included when a cycle leads back);
//! 2. lowering: only when loading found no problem (a file that failed to parse would otherwise
//!    cause a cascade of "unknown AVP" errors), resolve vendors and AVP names, parse grammars and
//!    check them against their AVPs and commands, check grouped-AVP recursion.

mod bits;
mod imports;
mod recursion;
mod rules;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Error};
use crate::model::{
    AppKind, Application, Avp, AvpKey, AvpType, BitScope, Command, EnumExtension, EnumValue,
    FlagRule, FlagRules, Grammar, GrammarHeader, Model, NamedBits, NamedValues, ProfileKey, Rule,
    SourceFile, Vendor,
};
use crate::parse::abnf::{self, Form};
use crate::parse::ast::{self, Spanned};
use crate::span::Span;
pub(crate) use imports::Source;
use imports::{Loader, Slot};

/// Loads `roots` and their imports (found through `include_dirs` when not beside the importing
/// file) and lowers them into a [`Model`].
pub(crate) fn load(roots: &[Source], include_dirs: &[PathBuf]) -> Result<Model, Error> {
    let mut loader = Loader::new(include_dirs);
    for root in roots {
        loader.visit(root, None)?;
    }
    let Loader { slots, diags, .. } = loader;
    if !diags.is_empty() {
        return Err(finish(diags, &slots));
    }
    let mut lower = Lower::new(&slots);
    lower.run();
    if lower.diags.is_empty() {
        Ok(lower.into_model())
    } else {
        let diags = std::mem::take(&mut lower.diags);
        Err(finish(diags, &slots))
    }
}

/// Sorts diagnostics by file (in load order) and line, drops repeats, wraps them.
fn finish(mut diags: Vec<Diagnostic>, slots: &[Slot]) -> Error {
    let order: HashMap<&Path, usize> = slots
        .iter()
        .enumerate()
        .map(|(index, slot)| (slot.path.as_path(), index))
        .collect();
    diags.sort_by_key(|diag| {
        let file = order
            .get(diag.span.file.as_path())
            .copied()
            .unwrap_or(usize::MAX);
        (file, diag.span.line)
    });
    diags.dedup();
    Error::Diagnostics(diags)
}

/// What identifies an application while lowering: its Application-Id and, for one declared
/// with a `profile`, that profile. `into_model` splits them into [`Model::applications`] and
/// [`Model::profiles`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub(crate) struct AppKey {
    pub(crate) id: u32,
    pub(crate) profile: Option<String>,
}

impl std::fmt::Display for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.profile {
            None => write!(f, "application {}", self.id),
            Some(profile) => write!(f, "application {} profile `{profile}`", self.id),
        }
    }
}

/// RFC 6733 5.3.3 Vendor-Id: the sibling a vendor scope (of `<values>`, `<bits>`) is about.
const VENDOR_ID: AvpKey = AvpKey {
    code: 266,
    vendor_id: 0,
};

/// A name given to a number (a value, a bit) and where: what duplicate checks compare.
type NameAt = (String, u32, Span);

/// A `<vendor>` declaration.
struct VendorDecl {
    id: u32,
    name: String,
    file: usize,
    span: Span,
}

/// The first AVP definition with a given name.
struct AvpDecl {
    /// `None` when the definition itself is broken (already reported): references to it are
    /// then not reported again.
    key: Option<AvpKey>,
    file: usize,
    span: Span,
}

/// A grammar waiting for every AVP name to be known.
struct PendingAvpGrammar {
    key: AvpKey,
    file: usize,
    grammar: abnf::Grammar,
    /// Its `<exactly-one>` choices, lowered once the grammar is resolved.
    choices: Vec<ast::ExactlyOne>,
}

struct Lower<'a> {
    slots: &'a [Slot],
    /// `visible[a][b]`: file `a` may use the names of file `b` (itself or an import, transitively).
    visible: Vec<Vec<bool>>,
    diags: Vec<Diagnostic>,
    vendor_decls: Vec<VendorDecl>,
    vendors: BTreeMap<u32, (Vendor, Span)>,
    avp_names: HashMap<String, AvpDecl>,
    avps: BTreeMap<AvpKey, Avp>,
    applications: BTreeMap<AppKey, Application>,
    /// Module name -> application (and profile) and where it was given.
    modules: HashMap<String, (AppKey, Span)>,
    enum_extensions: Vec<EnumExtension>,
    /// Values added by the extensions lowered so far, per AVP: name, value, where.
    extension_values: HashMap<AvpKey, Vec<(String, i32, Span)>>,
    values: Vec<NamedValues>,
    /// Names given so far to values of each Unsigned32 AVP, per scope vendor: name, value,
    /// where.
    named_values: HashMap<(AvpKey, Option<u32>), Vec<NameAt>>,
    bits: Vec<NamedBits>,
    /// Names given so far to bits of each bit-mask AVP, per scope: name, bit, where.
    named_bits: HashMap<(AvpKey, BitScope), Vec<NameAt>>,
}

impl<'a> Lower<'a> {
    fn new(slots: &'a [Slot]) -> Self {
        let visible = (0..slots.len())
            .map(|start| {
                let mut seen = vec![false; slots.len()];
                let mut todo = vec![start];
                while let Some(index) = todo.pop() {
                    if !std::mem::replace(&mut seen[index], true) {
                        todo.extend(&slots[index].imports);
                    }
                }
                seen
            })
            .collect();
        Lower {
            slots,
            visible,
            diags: Vec::new(),
            vendor_decls: Vec::new(),
            vendors: BTreeMap::new(),
            avp_names: HashMap::new(),
            avps: BTreeMap::new(),
            applications: BTreeMap::new(),
            modules: HashMap::new(),
            enum_extensions: Vec::new(),
            extension_values: HashMap::new(),
            values: Vec::new(),
            named_values: HashMap::new(),
            bits: Vec::new(),
            named_bits: HashMap::new(),
        }
    }

    fn error(&mut self, span: &Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(span.clone(), message));
    }

    /// The parsed files, each after the files it imports (so a definition in an imported file
    /// counts as the first one when an importing file clashes with it), except where an import
    /// closes a cycle: there the file met first on the way down comes last. The order depends
    /// only on the roots and the files, so diagnostics are reproducible.
    fn files(&self) -> impl Iterator<Item = (usize, &'a ast::File)> {
        fn post_order(slots: &[Slot], index: usize, seen: &mut [bool], out: &mut Vec<usize>) {
            if std::mem::replace(&mut seen[index], true) {
                return;
            }
            for &import in &slots[index].imports {
                post_order(slots, import, seen, out);
            }
            out.push(index);
        }
        let slots = self.slots;
        let mut seen = vec![false; slots.len()];
        let mut order = Vec::with_capacity(slots.len());
        for index in 0..slots.len() {
            post_order(slots, index, &mut seen, &mut order);
        }
        order
            .into_iter()
            .filter_map(move |index| slots[index].file.as_ref().map(|file| (index, file)))
    }

    fn run(&mut self) {
        for (index, file) in self.files() {
            for vendor in &file.vendors {
                self.vendor(index, vendor);
            }
        }
        let mut pending = Vec::new();
        for (index, file) in self.files() {
            for avp in &file.avps {
                pending.extend(self.avp(index, file, avp));
            }
        }
        for pending in pending {
            let PendingAvpGrammar {
                key,
                file,
                grammar,
                choices,
            } = pending;
            if let Some(grammar) = self.resolve_grammar(file, grammar) {
                if let Some(avp) = self.avps.get_mut(&key) {
                    avp.grammar = Some(grammar);
                }
                self.exactly_one(key, &choices);
            }
        }
        for (index, file) in self.files() {
            for extension in &file.enum_extensions {
                self.enum_extension(index, extension);
            }
            for values in &file.values {
                self.values(index, values);
            }
        }
        for (index, file) in self.files() {
            for application in &file.applications {
                self.application(index, file, application);
            }
        }
        // Tables last: their columns may name commands any file adds to the application.
        for (index, file) in self.files() {
            for application in &file.applications {
                let key = AppKey {
                    id: application.id,
                    profile: application.profile.as_ref().map(|p| p.value.clone()),
                };
                for table in &application.occurrence_tables {
                    self.occurrence_table(index, &key, table);
                }
            }
        }
        for (index, file) in self.files() {
            for bits in &file.bits {
                self.bits(index, bits);
            }
        }
        self.recursion();
    }

    fn into_model(self) -> Model {
        let mut plain = BTreeMap::new();
        let mut profiles = BTreeMap::new();
        for (key, application) in self.applications {
            match key.profile {
                None => {
                    plain.insert(key.id, application);
                }
                Some(profile) => {
                    profiles.insert(
                        ProfileKey {
                            id: key.id,
                            profile,
                        },
                        application,
                    );
                }
            }
        }
        Model {
            vendors: self
                .vendors
                .into_iter()
                .map(|(id, (vendor, _))| (id, vendor))
                .collect(),
            avps: self.avps,
            applications: plain,
            profiles,
            files: self
                .slots
                .iter()
                .filter_map(|slot| {
                    slot.file.as_ref().map(|file| SourceFile {
                        path: slot.path.clone(),
                        spec: file.spec.clone(),
                        release: file.release.clone(),
                        title: file.title.clone(),
                    })
                })
                .collect(),
            enum_extensions: self.enum_extensions,
            values: self.values,
            bits: self.bits,
        }
    }

    // --- vendors ---

    fn vendor(&mut self, file: usize, vendor: &ast::Vendor) {
        if let Some((existing, span)) = self.vendors.get(&vendor.id) {
            if existing.name != vendor.name {
                let message = format!(
                    "vendor {} is named `{}` here but `{}` at {span}",
                    vendor.id, vendor.name, existing.name
                );
                self.error(&vendor.span, message);
                return;
            }
        } else if let Some((existing, span)) =
            self.vendors.values().find(|(v, _)| v.name == vendor.name)
        {
            let message = format!(
                "vendor name `{}` is given to id {} here but to id {} at {span}",
                vendor.name, vendor.id, existing.id
            );
            self.error(&vendor.span, message);
            return;
        } else {
            let model = Vendor {
                id: vendor.id,
                name: vendor.name.clone(),
            };
            self.vendors.insert(vendor.id, (model, vendor.span.clone()));
        }
        self.vendor_decls.push(VendorDecl {
            id: vendor.id,
            name: vendor.name.clone(),
            file,
            span: vendor.span.clone(),
        });
    }

    /// Resolves a `vendor="NAME-or-ID"` attribute written in `file`.
    fn resolve_vendor(&mut self, file: usize, vendor: &Spanned<String>) -> Option<u32> {
        let text = vendor.value.as_str();
        let id = text
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| text.parse::<u32>().ok())
            .flatten();
        let matches = |decl: &&VendorDecl| match id {
            Some(id) => decl.id == id,
            None => decl.name == text,
        };
        let visible = &self.visible[file];
        let found = self
            .vendor_decls
            .iter()
            .filter(matches)
            .find(|decl| visible[decl.file])
            .map(|decl| decl.id);
        let elsewhere = self
            .vendor_decls
            .iter()
            .find(matches)
            .map(|decl| decl.span.clone());
        match (found, elsewhere) {
            (Some(0), _) => {
                let message = "vendor 0 means no vendor: leave out the `vendor` attribute";
                self.error(&vendor.span, message);
                None
            }
            (Some(id), _) => Some(id),
            (None, Some(span)) => {
                let message = format!(
                    "vendor `{text}` is declared at {span}, which this file does not import"
                );
                self.error(&vendor.span, message);
                None
            }
            (None, None) if id == Some(0) => {
                let message = "vendor 0 means no vendor: leave out the `vendor` attribute";
                self.error(&vendor.span, message);
                None
            }
            (None, None) => {
                let message = format!(
                    "unknown vendor `{text}`: declare it with <vendor id=\"...\" name=\"...\"/>"
                );
                self.error(&vendor.span, message);
                None
            }
        }
    }

    // --- AVPs ---

    /// Lowers one `<avp>` (its grammar waits until every AVP is known).
    fn avp(
        &mut self,
        file: usize,
        source: &ast::File,
        avp: &ast::Avp,
    ) -> Option<PendingAvpGrammar> {
        let name = &avp.name.value;
        let mut broken = false;

        if !is_valid_avp_name(name) {
            let message = format!(
                "invalid AVP name `{name}`: use ASCII letters, digits, `-`, `_` and `.` \
                 (and not the word `{}`)",
                abnf::ANY_AVP
            );
            self.error(&avp.name.span, message);
            broken = true;
        }

        let ty = AvpType::from_name(&avp.ty.value);
        if ty.is_none() {
            let hint = AvpType::ALL
                .iter()
                .find(|ty| ty.as_str().eq_ignore_ascii_case(&avp.ty.value))
                .map(|ty| format!("; did you mean `{ty}`?"))
                .unwrap_or_default();
            let message = format!("unknown AVP type `{}`{hint}", avp.ty.value);
            self.error(&avp.ty.span, message);
            broken = true;
        }

        let vendor_id = match &avp.vendor {
            None => Some(0),
            Some(vendor) => self.resolve_vendor(file, vendor),
        };
        let flags = self.flags(avp, vendor_id);
        let key = vendor_id.map(|vendor_id| AvpKey {
            code: avp.code,
            vendor_id,
        });
        broken |= key.is_none();

        // Unique name, unique key.
        if let Some(first) = self.avp_names.get(name) {
            let message = format!("AVP `{name}` is already defined at {}", first.span);
            self.error(&avp.span, message);
            broken = true;
        } else {
            if let Some(first) = key.and_then(|key| self.avps.get(&key)) {
                let message = format!(
                    "AVP `{name}` has the same {} as AVP `{}` at {}",
                    first.key, first.name, first.span
                );
                self.error(&avp.span, message);
                broken = true;
            }
            self.avp_names.insert(
                name.clone(),
                AvpDecl {
                    key: if broken { None } else { key },
                    file,
                    span: avp.span.clone(),
                },
            );
        }

        let enums = self.enums(avp, ty);
        let grammar = self.avp_grammar(avp, ty, key);
        if let (Some(ty), Some(first)) = (ty, avp.exactly_one.first()) {
            if ty != AvpType::Grouped {
                let message =
                    format!("<exactly-one> is only allowed in Grouped AVPs, and `{name}` is {ty}");
                self.error(&first.span, message);
            }
        }

        let (Some(ty), Some(key), Some(flags), false) = (ty, key, flags, broken) else {
            return None;
        };
        self.avps.insert(
            key,
            Avp {
                key,
                name: name.clone(),
                ty,
                flags,
                enums,
                grammar: None,
                doc: avp.doc.clone(),
                section: avp.section.clone(),
                spec: source.spec.clone(),
                span: avp.span.clone(),
                recursive: false,
            },
        );
        grammar.map(|grammar| PendingAvpGrammar {
            key,
            file,
            grammar,
            choices: avp.exactly_one.clone(),
        })
    }

    /// Flag rules with their defaults; `vendor_id` is `None` when the vendor did not resolve.
    fn flags(&mut self, avp: &ast::Avp, vendor_id: Option<u32>) -> Option<FlagRules> {
        let mut rule = |attr: &Option<Spanned<String>>, letter: &str, default: FlagRule| {
            let Some(attr) = attr else {
                return Some(default);
            };
            let rule = FlagRule::from_name(&attr.value);
            if rule.is_none() {
                let message = format!(
                    "invalid `{letter}` flag rule `{}`: expected `must`, `may`, `should-not` \
                     or `must-not`",
                    attr.value
                );
                self.error(&attr.span, message);
            }
            rule
        };
        let has_vendor = vendor_id.is_some_and(|id| id != 0);
        let m = rule(&avp.m, "m", FlagRule::Must);
        let default_v = if has_vendor {
            FlagRule::Must
        } else {
            FlagRule::MustNot
        };
        let v = rule(&avp.v, "v", default_v);
        let p = rule(&avp.p, "p", FlagRule::May);
        let span = avp.v.as_ref().map_or(&avp.span, |v| &v.span);
        match (vendor_id, v) {
            (Some(0), Some(FlagRule::Must)) => {
                let message = format!(
                    "AVP `{}` has no vendor, so its V bit cannot be `must`",
                    avp.name.value
                );
                self.error(span, message);
            }
            (Some(id), Some(FlagRule::MustNot)) if id != 0 => {
                let message = format!(
                    "AVP `{}` has vendor {id}, so its V bit cannot be `must-not`",
                    avp.name.value
                );
                self.error(span, message);
            }
            _ => {}
        }
        Some(FlagRules {
            m: m?,
            v: v?,
            p: p?,
        })
    }

    fn enums(&mut self, avp: &ast::Avp, ty: Option<AvpType>) -> Vec<EnumValue> {
        let name = &avp.name.value;
        match (ty, avp.enums.first()) {
            (Some(AvpType::Enumerated), None) => {
                let message = format!("Enumerated AVP `{name}` has no <enum> values");
                self.error(&avp.span, message);
            }
            (Some(ty), Some(first)) if ty != AvpType::Enumerated => {
                let message =
                    format!("<enum> is only allowed in Enumerated AVPs, and `{name}` is {ty}");
                self.error(&first.span, message);
            }
            _ => {}
        }
        let mut names: HashMap<&str, &Span> = HashMap::new();
        let mut values: HashMap<i32, (&str, &Span)> = HashMap::new();
        let mut out = Vec::new();
        for value in &avp.enums {
            if let Some(first) = names.get(value.name.as_str()) {
                let message = format!(
                    "enum name `{}` is already used at line {}",
                    value.name, first.line
                );
                self.error(&value.span, message);
            } else if let Some((first, span)) = values.get(&value.value) {
                let message = format!(
                    "enum value {} of `{}` is already used by `{first}` at line {}",
                    value.value, value.name, span.line
                );
                self.error(&value.span, message);
            } else {
                names.insert(&value.name, &value.span);
                values.insert(value.value, (&value.name, &value.span));
            }
            out.push(EnumValue {
                name: value.name.clone(),
                value: value.value,
            });
        }
        out
    }

    /// Lowers one `<enum-extension>` of `file`: the AVP must be an Enumerated one of an imported
    /// file, and the new names and values must not clash with its own or other extensions'.
    fn enum_extension(&mut self, file: usize, ext: &ast::EnumExtension) {
        let name = &ext.avp.value;
        let Some(key) = self.lookup_avp(file, name, &ext.avp.span) else {
            return;
        };
        let Some(decl) = self.avp_names.get(name) else {
            return;
        };
        let (decl_file, decl_span) = (decl.file, decl.span.clone());
        if decl_file == file {
            let message = format!(
                "AVP `{name}` is defined in this file (at {decl_span}): list the values in its \
                 own <enum> elements; <enum-extension> is for AVPs of imported files"
            );
            self.error(&ext.avp.span, message);
            return;
        }
        let Some(avp) = self.avps.get(&key) else {
            return;
        };
        if avp.ty != AvpType::Enumerated {
            let message = format!(
                "<enum-extension> is only for Enumerated AVPs, and `{name}` (at {decl_span}) is {}",
                avp.ty
            );
            self.error(&ext.avp.span, message);
            return;
        }
        if ext.enums.is_empty() {
            let message = format!("<enum-extension> of `{name}` has no <enum> values");
            self.error(&ext.span, message);
            return;
        }

        // The AVP's own values, with where each is written.
        let own: Vec<(String, i32, Span)> = self.slots[decl_file]
            .file
            .iter()
            .flat_map(|source| &source.avps)
            .filter(|avp| avp.name.value == *name)
            .take(1)
            .flat_map(|avp| &avp.enums)
            .map(|e| (e.name.clone(), e.value, e.span.clone()))
            .collect();
        let mut added = self.extension_values.remove(&key).unwrap_or_default();
        let mut values = Vec::new();
        for value in &ext.enums {
            let taken = |(n, _, _): &&(String, i32, Span)| *n == value.name;
            if let Some((_, _, span)) = own.iter().chain(&added).find(taken) {
                let message = format!(
                    "enum name `{}` of `{name}` is already defined at {span}",
                    value.name
                );
                self.error(&value.span, message);
                continue;
            }
            let used = |(_, v, _): &&(String, i32, Span)| *v == value.value;
            if let Some((first, _, span)) = own.iter().chain(&added).find(used) {
                let message = format!(
                    "enum value {} of `{}` is already used by `{first}` of `{name}` at {span}",
                    value.value, value.name
                );
                self.error(&value.span, message);
                continue;
            }
            added.push((value.name.clone(), value.value, value.span.clone()));
            values.push(EnumValue {
                name: value.name.clone(),
                value: value.value,
            });
        }
        self.extension_values.insert(key, added);
        self.enum_extensions.push(EnumExtension {
            avp: key,
            values,
            doc: ext.doc.clone(),
            span: ext.span.clone(),
        });
    }

    /// Parses a grouped AVP's grammar and checks its header against the AVP.
    fn avp_grammar(
        &mut self,
        avp: &ast::Avp,
        ty: Option<AvpType>,
        key: Option<AvpKey>,
    ) -> Option<abnf::Grammar> {
        let name = &avp.name.value;
        let text = match (ty, &avp.grammar) {
            (Some(AvpType::Grouped), None) => {
                let message = format!("Grouped AVP `{name}` has no <grammar>");
                self.error(&avp.span, message);
                return None;
            }
            (Some(ty), Some(text)) if ty != AvpType::Grouped => {
                let message =
                    format!("<grammar> is only allowed in Grouped AVPs, and `{name}` is {ty}");
                self.error(&text.span, message);
                return None;
            }
            (_, None) => return None,
            (_, Some(text)) => text,
        };
        let grammar = match abnf::parse(&text.text, &text.span, Form::Avp) {
            Ok(grammar) => grammar,
            Err(diags) => {
                self.diags.extend(diags);
                return None;
            }
        };
        if grammar.name != *name {
            let message = format!(
                "the grammar is named `{}` but the AVP is `{name}`",
                grammar.name
            );
            self.error(&grammar.name_span, message);
        }
        if let GrammarHeader::Avp { code, vendor_id } = grammar.header {
            if code != avp.code {
                let message = format!(
                    "the grammar header has code {code} but AVP `{name}` has code {}",
                    avp.code
                );
                self.error(&grammar.header_span, message);
            }
            match (vendor_id, key) {
                (Some(given), Some(key)) if given != key.vendor_id => {
                    let has = if key.vendor_id == 0 {
                        "no vendor".to_string()
                    } else {
                        format!("vendor {}", key.vendor_id)
                    };
                    let message =
                        format!("the grammar header has vendor {given} but AVP `{name}` has {has}");
                    self.error(&grammar.header_span, message);
                }
                _ => {}
            }
        }
        Some(grammar)
    }

    /// Resolves the AVP names of a parsed grammar used in `file`.
    fn resolve_grammar(&mut self, file: usize, grammar: abnf::Grammar) -> Option<Grammar> {
        let mut rules = Vec::new();
        let mut complete = true;
        for rule in grammar.rules {
            match self.lookup_avp(file, &rule.name, &rule.span) {
                Some(key) => rules.push(Rule {
                    avp: key,
                    name: rule.name,
                    kind: rule.kind,
                    min: rule.min,
                    max: rule.max,
                }),
                None => complete = false,
            }
        }
        complete.then(|| Grammar {
            header: grammar.header,
            rules,
            extensible: grammar.any.is_some(),
            any_min: grammar.any.unwrap_or(0),
            one_of: Vec::new(),
            span: grammar.name_span,
        })
    }

    /// The key of the AVP called `name`, as seen from `file`.
    fn lookup_avp(&mut self, file: usize, name: &str, span: &Span) -> Option<AvpKey> {
        match self.avp_names.get(name) {
            Some(decl) if self.visible[file][decl.file] => decl.key,
            Some(decl) => {
                let message = format!(
                    "AVP `{name}` is defined at {}, which this file does not import",
                    decl.span
                );
                self.error(span, message);
                None
            }
            None => {
                let mut near: Vec<&str> = self
                    .avp_names
                    .keys()
                    .filter(|known| known.eq_ignore_ascii_case(name))
                    .map(String::as_str)
                    .collect();
                near.sort_unstable();
                let hint = near
                    .first()
                    .map(|near| format!("; did you mean `{near}`?"))
                    .unwrap_or_default();
                self.error(span, format!("unknown AVP `{name}`{hint}"));
                None
            }
        }
    }

    // --- applications and commands ---

    fn application(&mut self, file: usize, source: &ast::File, app: &ast::Application) {
        let kind = AppKind::from_name(&app.kind.value);
        match kind {
            None => {
                let message = format!(
                    "unknown application type `{}`: expected `auth`, `acct` or `base`",
                    app.kind.value
                );
                self.error(&app.kind.span, message);
            }
            Some(AppKind::Base) if app.id != 0 => {
                let message = format!(
                    "type `base` is only for application 0 (the common messages), not {}",
                    app.id
                );
                self.error(&app.kind.span, message);
            }
            Some(kind) if kind != AppKind::Base && app.id == 0 => {
                let message = "application 0 (the common messages) must have type `base`";
                self.error(&app.kind.span, message);
            }
            _ => {}
        }
        let vendor_id = match &app.vendor {
            Some(vendor) => self.resolve_vendor(file, vendor),
            None => None,
        };
        if !is_valid_module(&app.module.value) {
            let message = format!(
                "module `{}` is not a snake_case Rust identifier (or is a keyword)",
                app.module.value
            );
            self.error(&app.module.span, message);
        }

        if let Some(profile) = &app.profile {
            if !is_valid_profile(&profile.value) {
                let message = format!(
                    "invalid profile `{}`: use lowercase ASCII letters, digits and `-`, starting \
                     with a letter or digit",
                    profile.value
                );
                self.error(&profile.span, message);
            }
        }
        let key = AppKey {
            id: app.id,
            profile: app.profile.as_ref().map(|p| p.value.clone()),
        };

        match self.applications.get(&key) {
            Some(existing) => {
                // Several files may declare the same application alike, adding commands.
                let differs: Vec<&str> = [
                    ("name", existing.name != app.name),
                    ("type", kind.is_some_and(|kind| kind != existing.kind)),
                    (
                        "vendor",
                        existing.vendor_id != vendor_id
                            && (app.vendor.is_none() || vendor_id.is_some()),
                    ),
                    ("module", existing.module != app.module.value),
                ]
                .into_iter()
                .filter_map(|(what, differs)| differs.then_some(what))
                .collect();
                if !differs.is_empty() {
                    let message = format!(
                        "{key} is already declared at {} with another {}",
                        existing.span,
                        differs.join(", ")
                    );
                    self.error(&app.span, message);
                }
            }
            None => {
                if let Some((other, span)) = self.modules.get(&app.module.value) {
                    let message = format!(
                        "module `{}` is already used by {other} at {span}",
                        app.module.value
                    );
                    self.error(&app.module.span, message);
                } else {
                    self.modules.insert(
                        app.module.value.clone(),
                        (key.clone(), app.module.span.clone()),
                    );
                }
                self.applications.insert(
                    key.clone(),
                    Application {
                        id: app.id,
                        name: app.name.clone(),
                        kind: kind.unwrap_or(AppKind::Auth),
                        vendor_id,
                        module: app.module.value.clone(),
                        spec: source.spec.clone(),
                        commands: BTreeMap::new(),
                        span: app.span.clone(),
                    },
                );
            }
        }

        for command in &app.commands {
            if let Some(command) = self.command(file, app.id, command) {
                self.add_command(&key, command);
            }
        }
    }

    fn add_command(&mut self, app: &AppKey, command: Command) {
        let Some(application) = self.applications.get_mut(app) else {
            return;
        };
        let clash = if let Some(first) = application.commands.get(&command.code) {
            Some(format!(
                "command code {} is already defined in {app} at {} (`{}`)",
                command.code, first.span, first.name
            ))
        } else {
            application
                .commands
                .values()
                .find(|first| first.name == command.name)
                .map(|first| {
                    format!(
                        "command `{}` is already defined in {app} at {}",
                        command.name, first.span
                    )
                })
        };
        match clash {
            Some(message) => self.error(&command.span, message),
            None => {
                application.commands.insert(command.code, command);
            }
        }
    }

    fn command(&mut self, file: usize, app: u32, command: &ast::Command) -> Option<Command> {
        let request = self.command_grammar(app, command, &command.request, true);
        let answer = self.command_grammar(app, command, &command.answer, false);
        if let (Some(request), Some(answer)) = (&request, &answer) {
            if let (
                GrammarHeader::Command { proxiable: req, .. },
                GrammarHeader::Command { proxiable: ans, .. },
            ) = (request.header, answer.header)
            {
                if req != ans {
                    let message = "the answer's `PXY` flag must match the request's";
                    self.error(&answer.header_span, message);
                }
            }
        }
        let request = self.resolve_grammar(file, request?);
        let answer = self.resolve_grammar(file, answer?);
        Some(Command {
            code: command.code,
            name: command.name.clone(),
            request_abbrev: command.request_abbrev.clone(),
            answer_abbrev: command.answer_abbrev.clone(),
            section: command.section.clone(),
            request: request?,
            answer: answer?,
            span: command.span.clone(),
        })
    }

    /// Parses a command's request or answer grammar and checks its header.
    fn command_grammar(
        &mut self,
        app: u32,
        command: &ast::Command,
        text: &ast::GrammarText,
        is_request: bool,
    ) -> Option<abnf::Grammar> {
        let grammar = match abnf::parse(&text.text, &text.span, Form::Command) {
            Ok(grammar) => grammar,
            Err(diags) => {
                self.diags.extend(diags);
                return None;
            }
        };
        let (what, abbrev, suffix) = if is_request {
            ("request", &command.request_abbrev, "Request")
        } else {
            ("answer", &command.answer_abbrev, "Answer")
        };
        let full = format!("{}-{suffix}", command.name);
        if grammar.name != *abbrev && grammar.name != full {
            let message = format!(
                "the {what} grammar is named `<{}>`, expected `<{abbrev}>` or `<{full}>`",
                grammar.name
            );
            self.error(&grammar.name_span, message);
        }
        if let GrammarHeader::Command {
            code,
            request,
            error,
            application_id,
            ..
        } = grammar.header
        {
            let span = &grammar.header_span;
            if let Some(id) = application_id.filter(|&id| id != app) {
                let message = format!(
                    "the {what} header names application {id} but the command is in application {app}"
                );
                self.error(span, message);
            }
            if code != command.code {
                let message = format!(
                    "the {what} header has code {code} but command `{}` has code {}",
                    command.name, command.code
                );
                self.error(span, message);
            }
            if is_request && !request {
                self.error(span, "the request header lacks the `REQ` flag");
            }
            if !is_request && request {
                self.error(span, "the answer header has the `REQ` flag");
            }
            if is_request && error {
                self.error(span, "a request header cannot have the `ERR` flag");
            }
        }
        Some(grammar)
    }

    fn recursion(&mut self) {
        let diags = recursion::check(&mut self.avps);
        self.diags.extend(diags);
    }
}

/// A profile name: lowercase ASCII letters, digits and `-`, not starting or ending with `-`
/// (`3gpp`, `etsi-tispan`).
fn is_valid_profile(profile: &str) -> bool {
    !profile.is_empty()
        && !profile.starts_with('-')
        && !profile.ends_with('-')
        && profile
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_valid_avp_name(name: &str) -> bool {
    !name.is_empty()
        && name != abnf::ANY_AVP
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Rust keywords (strict, reserved and weak ones that cannot name a module).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

fn is_valid_module(module: &str) -> bool {
    let mut chars = module.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && module != "_"
        && !KEYWORDS.contains(&module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        assert!(is_valid_module("credit_control"));
        assert!(is_valid_module("s6a"));
        assert!(!is_valid_module("S6a"));
        assert!(!is_valid_module("6a"));
        assert!(!is_valid_module("type"));
        assert!(!is_valid_module(""));
        assert!(!is_valid_module("a-b"));
    }

    #[test]
    fn profile_names() {
        assert!(is_valid_profile("3gpp"));
        assert!(is_valid_profile("etsi-tispan"));
        assert!(!is_valid_profile(""));
        assert!(!is_valid_profile("3GPP"));
        assert!(!is_valid_profile("-x"));
        assert!(!is_valid_profile("a b"));
        assert!(!is_valid_profile("a_b"));
    }

    #[test]
    fn avp_names() {
        assert!(is_valid_avp_name("3GPP-IMSI"));
        assert!(is_valid_avp_name("TS_29.061"));
        assert!(!is_valid_avp_name("AVP"));
        assert!(!is_valid_avp_name("A B"));
        assert!(!is_valid_avp_name(""));
    }
}
