//! What generated builders share: the error naming the required AVPs a builder was not
//! given, and the trait through which a node fills in the AVPs it owns.
//!
//! Every generated command and Grouped AVP has a builder (`CreditControlRequest::builder()`):
//! one setter per AVP, named as the field, and a checked `build()`. Session-Id, Origin-Host
//! and Origin-Realm are required like any other AVP, but a node knows them better than the
//! code building a request: hand it the unfinished builder ([`CommandBuilder`]) and it fills
//! them in ([`CommandBuilder::fill_origin`], [`CommandBuilder::fill_session_id`]) before
//! building.

use crate::dictionary::GrammarDef;
use crate::typed::Command;
use crate::types::{DiameterIdentity, Utf8String};

/// The required AVPs a builder was not given, so `build()` made nothing.
///
/// ```
/// use diameter_runtime::build::MissingAvps;
/// let e = MissingAvps::new("Device-Watchdog-Request", vec!["Origin-Realm"]);
/// assert_eq!(e.to_string(), "Device-Watchdog-Request lacks required AVP Origin-Realm");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{name} lacks required AVP{} {}",
    if .missing.len() == 1 { "" } else { "s" },
    .missing.join(", ")
)]
pub struct MissingAvps {
    name: &'static str,
    missing: Vec<&'static str>,
}

impl MissingAvps {
    /// `missing` (dictionary names, in grammar order) lack from `name` (a command or AVP).
    pub fn new(name: &'static str, missing: Vec<&'static str>) -> Self {
        MissingAvps { name, missing }
    }

    /// The command or Grouped AVP being built, e.g. `"Credit-Control-Request"`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The dictionary names of the AVPs not given, in grammar order.
    pub fn missing(&self) -> &[&'static str] {
        &self.missing
    }
}

/// The builder of a generated command, as a node sees it: it fills in the AVPs that it owns
/// (those the caller did not give) and builds.
pub trait CommandBuilder<'a>: Sized {
    /// The command built.
    type Command: Command<'a>;

    /// The command, or the required AVPs not given.
    fn build(self) -> Result<Self::Command, MissingAvps>;

    /// Sets Origin-Host and Origin-Realm where the command requires them and they were not
    /// given; other commands are left as they are.
    fn fill_origin(&mut self, host: &DiameterIdentity<'a>, realm: &DiameterIdentity<'a>);

    /// Sets Session-Id where the command requires one and it was not given.
    fn fill_session_id(&mut self, session_id: &Utf8String<'a>);
}

/// The required rules of `grammar` (exactly once: `<X>` or `{X}`), whose AVPs a builder's
/// setters fill, in grammar order: the `given` flags of a builder follow this order.
fn required(grammar: &GrammarDef) -> impl Iterator<Item = &'static str> + '_ {
    grammar
        .rules
        .iter()
        .filter(|r| r.min == 1 && r.max == Some(1))
        .map(|r| r.avp.name)
}

/// The required AVPs of `grammar` whose flag in `given` is false: what a builder still lacks.
#[doc(hidden)]
pub fn missing(grammar: &GrammarDef, given: &[bool]) -> Vec<&'static str> {
    required(grammar)
        .zip(given)
        .filter(|(_, given)| !**given)
        .map(|(name, _)| name)
        .collect()
}

/// `Ok` when a builder of `name` was given every required AVP of `grammar`; else the error
/// naming those it was not.
#[doc(hidden)]
pub fn check(name: &'static str, grammar: &GrammarDef, given: &[bool]) -> Result<(), MissingAvps> {
    if given.iter().all(|g| *g) {
        return Ok(());
    }
    Err(MissingAvps::new(name, missing(grammar, given)))
}
