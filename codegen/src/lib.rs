//! The Diameter dictionary compiler.
//!
//! Reads the XML dictionaries described in `dictionaries/README.md`, checks them, and produces a
//! [`Model`]: plain, ordered data about every vendor, AVP, application, command and grammar.
//!
//! The pipeline is: parse (XML and the grammars' ABNF, with spans) -> lower (resolve imports,
//! vendors and names; check duplicates, grouped-AVP recursion, types, flags, enums, grammars) -> [`Model`].
//! Nothing past the model reads XML.
//!
//! ```no_run
//! let model = diameter_codegen::load(&["dictionaries/rfc4006.xml"])?;
//! for avp in model.avps.values() {
//!     println!("{} {} {}", avp.key, avp.name, avp.ty);
//! }
//! # Ok::<(), diameter_codegen::Error>(())
//! ```
//!
//! Errors are reported all at once, each as `file:line: message`:
//!
//! ```no_run
//! if let Err(error) = diameter_codegen::load(&["broken.xml"]) {
//!     eprintln!("{error}");
//! }
//! ```

mod builder;
pub mod diagnostic;
pub mod emit;
mod lower;
pub mod model;
mod parse;
pub mod shipped;
pub mod span;

use std::path::Path;

pub use builder::Builder;
pub use diagnostic::{Diagnostic, Error};
pub use emit::{GeneratedFile, Layout};
pub use model::{
    AppKind, Application, Avp, AvpKey, AvpType, BitScope, Command, EnumValue, FlagRule, FlagRules,
    Grammar, GrammarHeader, Model, NamedBit, NamedBits, NamedValue, NamedValues, ProfileKey, Rule,
    RuleKind, SourceFile, Vendor,
};
pub use span::Span;

/// Loads the dictionaries `roots` and every file they import, checks them and returns the model.
///
/// An import is resolved relative to the importing file, else among the [`shipped`]
/// dictionaries by name (`<import file="rfc4006.xml"/>`); each file is loaded once however often
/// it is reached. ([`Builder::include_dir`] adds directories to search in between.) Spans in diagnostics and in the model use the paths as given (so relative
/// roots give relative spans).
///
/// # Errors
///
/// [`Error::Io`] when a root cannot be read; [`Error::Diagnostics`] with every problem found
/// otherwise (an unreadable import is a diagnostic at its `<import>`).
pub fn load(roots: &[impl AsRef<Path>]) -> Result<Model, Error> {
    let roots: Vec<lower::Source> = roots
        .iter()
        .map(|root| lower::Source::file(root.as_ref()))
        .collect();
    lower::load(&roots, &[])
}
