//! The checked dictionary model: plain data in ordered maps.
//!
//! This is everything the emitter reads. It is built by [`load`](crate::load) only after every
//! check passed, so names are resolved (every [`Rule`] names an AVP present in
//! [`Model::avps`]), keys are unique and grammars are well formed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use crate::span::Span;

/// All vendors, AVPs and applications of a set of dictionaries and their imports.
#[derive(Clone, PartialEq, Eq)]
pub struct Model {
    /// Vendors by id.
    pub vendors: BTreeMap<u32, Vendor>,
    /// AVPs by (code, vendor id).
    pub avps: BTreeMap<AvpKey, Avp>,
    /// Applications by Application-Id (those declared without a `profile`).
    pub applications: BTreeMap<u32, Application>,
    /// Applications declared with a `profile` (`<application id="4" ... profile="3gpp">`): the
    /// same Application-Id with another specification's grammars for its commands (TS 32.299's
    /// CCR next to RFC 4006's). Kept apart from [`Model::applications`], so that a consumer
    /// that knows nothing of profiles sees exactly what it saw before; empty unless a loaded
    /// file declares a profile.
    pub profiles: BTreeMap<ProfileKey, Application>,
    /// Every file loaded, roots and imports, in load order (each once).
    pub files: Vec<SourceFile>,
    /// Values added to Enumerated AVPs of imported files (`<enum-extension>`), in file order
    /// (imported files first) and then document order.
    pub enum_extensions: Vec<EnumExtension>,
    /// Names given to values of Unsigned32 AVPs (`<values>`, e.g. Result-Code), in file order
    /// (imported files first) and then document order.
    pub values: Vec<NamedValues>,
    /// Names given to the bits of bit-mask Unsigned32 AVPs (`<bits>`, e.g. ULR-Flags, or
    /// Feature-List per application and Feature-List-ID), in file order (imported files first)
    /// and then document order.
    pub bits: Vec<NamedBits>,
}

impl fmt::Debug for Model {
    /// Shows `enum_extensions` only when there are some, so that models without extensions
    /// print as they did before the field existed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Model");
        s.field("vendors", &self.vendors)
            .field("avps", &self.avps)
            .field("applications", &self.applications);
        if !self.profiles.is_empty() {
            s.field("profiles", &self.profiles);
        }
        s.field("files", &self.files);
        if !self.enum_extensions.is_empty() {
            s.field("enum_extensions", &self.enum_extensions);
        }
        if !self.values.is_empty() {
            s.field("values", &self.values);
        }
        if !self.bits.is_empty() {
            s.field("bits", &self.bits);
        }
        s.finish()
    }
}

/// What identifies an application declared with a profile: its Application-Id and the profile's
/// name (`3gpp`). Ordered by id, then profile.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ProfileKey {
    /// Application-Id.
    pub id: u32,
    /// The `profile` attribute, e.g. `3gpp`.
    pub profile: String,
}

impl fmt::Display for ProfileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "application {} profile `{}`", self.id, self.profile)
    }
}

/// What identifies an AVP: its code and vendor (0 for no vendor).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct AvpKey {
    /// AVP code.
    pub code: u32,
    /// Vendor-Id, 0 when the AVP has no vendor (V bit clear, no Vendor-Id field).
    pub vendor_id: u32,
}

impl fmt::Display for AvpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.vendor_id == 0 {
            write!(f, "code {}", self.code)
        } else {
            write!(f, "code {} vendor {}", self.code, self.vendor_id)
        }
    }
}

/// One loaded dictionary file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Its path (as given, or resolved relative to the importing file).
    pub path: PathBuf,
    /// The specification it follows, e.g. `RFC 6733`.
    pub spec: String,
    /// The specification's release or date.
    pub release: String,
    /// The specification's title, if given.
    pub title: Option<String>,
}

/// A vendor (IANA SMI Private Enterprise Number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vendor {
    /// Vendor-Id.
    pub id: u32,
    /// The name dictionaries refer to it by.
    pub name: String,
}

/// An AVP definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avp {
    /// Code and vendor.
    pub key: AvpKey,
    /// Name as the spec writes it, e.g. `Origin-Host`.
    pub name: String,
    /// Data type.
    pub ty: AvpType,
    /// Rules for the M, V and P flags.
    pub flags: FlagRules,
    /// Values of an `Enumerated` AVP, in dictionary order (empty for other types).
    pub enums: Vec<EnumValue>,
    /// Members of a `Grouped` AVP (`None` for other types).
    pub grammar: Option<Grammar>,
    /// Documentation text from the dictionary (may be empty).
    pub doc: String,
    /// Spec section that defines it.
    pub section: Option<String>,
    /// The specification of the file that defines it, e.g. `RFC 4006`.
    pub spec: String,
    /// Where it is defined.
    pub span: Span,
    /// True for a `Grouped` AVP that can contain itself (directly or through other grouped AVPs)
    /// through optional or repeated members. The emitter must box such members.
    pub recursive: bool,
}

/// AVP data types (RFC 6733 sections 4.2 and 4.3).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum AvpType {
    /// `OctetString`
    OctetString,
    /// `Integer32`
    Integer32,
    /// `Integer64`
    Integer64,
    /// `Unsigned32`
    Unsigned32,
    /// `Unsigned64`
    Unsigned64,
    /// `Float32`
    Float32,
    /// `Float64`
    Float64,
    /// `Grouped`
    Grouped,
    /// `Address`
    Address,
    /// `Time`
    Time,
    /// `UTF8String`
    Utf8String,
    /// `DiameterIdentity`
    DiameterIdentity,
    /// `DiameterURI`
    DiameterUri,
    /// `Enumerated`
    Enumerated,
    /// `IPFilterRule`
    IpFilterRule,
    /// `QoSFilterRule`
    QosFilterRule,
}

impl AvpType {
    /// Every type, in declaration order.
    pub const ALL: [AvpType; 16] = [
        AvpType::OctetString,
        AvpType::Integer32,
        AvpType::Integer64,
        AvpType::Unsigned32,
        AvpType::Unsigned64,
        AvpType::Float32,
        AvpType::Float64,
        AvpType::Grouped,
        AvpType::Address,
        AvpType::Time,
        AvpType::Utf8String,
        AvpType::DiameterIdentity,
        AvpType::DiameterUri,
        AvpType::Enumerated,
        AvpType::IpFilterRule,
        AvpType::QosFilterRule,
    ];

    /// The RFC spelling, as written in dictionaries (`UTF8String`, `DiameterURI`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AvpType::OctetString => "OctetString",
            AvpType::Integer32 => "Integer32",
            AvpType::Integer64 => "Integer64",
            AvpType::Unsigned32 => "Unsigned32",
            AvpType::Unsigned64 => "Unsigned64",
            AvpType::Float32 => "Float32",
            AvpType::Float64 => "Float64",
            AvpType::Grouped => "Grouped",
            AvpType::Address => "Address",
            AvpType::Time => "Time",
            AvpType::Utf8String => "UTF8String",
            AvpType::DiameterIdentity => "DiameterIdentity",
            AvpType::DiameterUri => "DiameterURI",
            AvpType::Enumerated => "Enumerated",
            AvpType::IpFilterRule => "IPFilterRule",
            AvpType::QosFilterRule => "QoSFilterRule",
        }
    }

    /// The type with RFC spelling `name` (exact, case-sensitive).
    pub fn from_name(name: &str) -> Option<AvpType> {
        AvpType::ALL.into_iter().find(|ty| ty.as_str() == name)
    }
}

impl fmt::Display for AvpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rules for an AVP's M, V and P flag bits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct FlagRules {
    /// Mandatory bit.
    pub m: FlagRule,
    /// Vendor-specific bit.
    pub v: FlagRule,
    /// Protected bit.
    pub p: FlagRule,
}

/// What the spec says about one flag bit.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum FlagRule {
    /// `must`: the bit must be set.
    Must,
    /// `may`: the bit may be set.
    May,
    /// `should-not`: the bit should not be set.
    ShouldNot,
    /// `must-not`: the bit must not be set.
    MustNot,
}

impl FlagRule {
    /// Every rule, in declaration order.
    pub const ALL: [FlagRule; 4] = [
        FlagRule::Must,
        FlagRule::May,
        FlagRule::ShouldNot,
        FlagRule::MustNot,
    ];

    /// The dictionary spelling: `must`, `may`, `should-not` or `must-not`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagRule::Must => "must",
            FlagRule::May => "may",
            FlagRule::ShouldNot => "should-not",
            FlagRule::MustNot => "must-not",
        }
    }

    /// The rule spelled `name` in a dictionary.
    pub fn from_name(name: &str) -> Option<FlagRule> {
        FlagRule::ALL.into_iter().find(|rule| rule.as_str() == name)
    }
}

impl fmt::Display for FlagRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One named value of an `Enumerated` AVP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    /// Name as the spec writes it, e.g. `INITIAL_REQUEST`.
    pub name: String,
    /// Wire value.
    pub value: i32,
}

/// Values one dictionary file adds to an Enumerated AVP defined in a file it imports
/// (`<enum-extension avp="...">`), e.g. a vendor's extra `Termination-Cause`.
///
/// The AVP's own [`Avp::enums`] are unchanged: the extension's values are emitted in the module
/// of the file declaring the extension, as constants of the AVP's enum type. Names and values
/// are unique across the AVP's own values and every extension of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumExtension {
    /// The extended AVP (present in [`Model::avps`], of type `Enumerated`).
    pub avp: AvpKey,
    /// The added values, in dictionary order.
    pub values: Vec<EnumValue>,
    /// Documentation text from the dictionary (may be empty).
    pub doc: String,
    /// Where the `<enum-extension>` is; its file decides the module the values go in.
    pub span: Span,
}

/// Names one dictionary file gives to values of an Unsigned32 AVP (`<values avp="...">`), e.g.
/// the Result-Code values of RFC 6733 section 7.1. The AVP's type is unchanged (`u32`): the
/// names serve people (tools, logs). Names and values are unique within one scope (the AVP and
/// [`NamedValues::scope_vendor`]) across every `<values>` in all loaded files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedValues {
    /// The AVP (present in [`Model::avps`], of type `Unsigned32`).
    pub avp: AvpKey,
    /// `None`: the names hold whatever the context. `Some(vendor)` (`<values ... vendor="3GPP">`):
    /// they hold only where the Grouped AVP holding this AVP carries a Vendor-Id of `vendor`,
    /// as RFC 6733 7.6 says of Experimental-Result: its Vendor-Id tells whose
    /// Experimental-Result-Code it is. The AVP itself may be vendor 0; a Grouped AVP of
    /// [`Model::avps`] has both the AVP and Vendor-Id (266) as members. Where a scoped name and
    /// an unscoped one exist for the same value, the scoped one is meant for that vendor.
    pub scope_vendor: Option<u32>,
    /// The values, in dictionary order.
    pub values: Vec<NamedValue>,
    /// Where the `<values>` element is; its file decides the module the table goes in.
    pub span: Span,
}

/// One named value of an Unsigned32 AVP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedValue {
    /// Name as the spec writes it, e.g. `DIAMETER_SUCCESS`.
    pub name: String,
    /// Wire value.
    pub value: u32,
}

/// Names one dictionary file gives to the bits of a bit-mask Unsigned32 AVP (`<bits
/// avp="...">`): TS 29.272's ULR-Flags, or the features of a Feature-List. The AVP's type is
/// unchanged (`u32`); the names serve people (tools, logs, constants). Names and bits are
/// unique within one scope (the AVP and [`NamedBits::scope`]) across every `<bits>` in all
/// loaded files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedBits {
    /// The AVP (present in [`Model::avps`], of type `Unsigned32`).
    pub avp: AvpKey,
    /// Where the names hold; all `None` for everywhere.
    pub scope: BitScope,
    /// The bits, in dictionary order.
    pub bits: Vec<NamedBit>,
    /// Where the `<bits>` element is; its file decides the module the names go in.
    pub span: Span,
}

/// Where the names of a [`NamedBits`] hold. Each field given narrows it; a name of a narrower
/// scope is the one meant where both apply. TS 29.229's Feature-List is the case all three
/// exist for: its bits mean one feature in S6a's list 1, another in S6a's list 2 or in Sh.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct BitScope {
    /// The Vendor-Id beside the AVP in the Grouped AVP holding it (Supported-Features' Vendor-Id).
    /// A Grouped AVP of [`Model::avps`] has both the AVP and Vendor-Id (266) as members.
    pub vendor: Option<u32>,
    /// The Application-Id of the message carrying the AVP. The application is declared (with or
    /// without a profile) in a loaded file.
    pub application: Option<u32>,
    /// The Feature-List-ID (TS 29.229 6.3.30, code 629 vendor 10415) beside the AVP. Only with
    /// `application`; a Grouped AVP of [`Model::avps`] has both the AVP and Feature-List-ID as
    /// members.
    pub list_id: Option<u32>,
}

/// One named bit of a bit-mask AVP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedBit {
    /// Name as the spec writes it, e.g. `Single-Registration-Indication` (may hold spaces or
    /// `/`, as TS 29.272's feature names do: the emitter makes identifiers of it).
    pub name: String,
    /// Bit number, 0 (least significant, value 1) to 31: the mask is `1 << bit`.
    pub bit: u32,
    /// Documentation text from the dictionary (may be empty).
    pub doc: String,
}

/// A Diameter application and its commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Application-Id.
    pub id: u32,
    /// Name, e.g. `Diameter Credit Control`.
    pub name: String,
    /// Authentication, accounting or base.
    pub kind: AppKind,
    /// Vendor for applications advertised in Vendor-Specific-Application-Id.
    pub vendor_id: Option<u32>,
    /// Rust module (and cargo feature) the generated code goes in.
    pub module: String,
    /// The specification of the file that declares it.
    pub spec: String,
    /// Commands by code.
    pub commands: BTreeMap<u32, Command>,
    /// Where it is declared (the first declaration when several files declare it alike).
    pub span: Span,
}

/// Kind of application.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum AppKind {
    /// The common messages (application 0), `base`.
    Base,
    /// An authentication/authorization application, `auth`.
    Auth,
    /// An accounting application, `acct`.
    Acct,
}

impl AppKind {
    /// The dictionary spelling: `base`, `auth` or `acct`.
    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::Base => "base",
            AppKind::Auth => "auth",
            AppKind::Acct => "acct",
        }
    }

    /// The kind spelled `name` in a dictionary.
    pub fn from_name(name: &str) -> Option<AppKind> {
        [AppKind::Base, AppKind::Auth, AppKind::Acct]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for AppKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A command: its request and answer grammars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Command-Code.
    pub code: u32,
    /// Name, e.g. `Credit-Control`.
    pub name: String,
    /// e.g. `CCR`.
    pub request_abbrev: String,
    /// e.g. `CCA`.
    pub answer_abbrev: String,
    /// Spec section that defines it.
    pub section: Option<String>,
    /// Request grammar (its header has `request: true`). The AVPs an `<occurrence-table>`
    /// marks `0` for the request are appended to its rules as `0*0 [ X ]`.
    pub request: Grammar,
    /// Answer grammar (its header has `request: false`).
    pub answer: Grammar,
    /// Where it is declared.
    pub span: Span,
}

/// A command's or grouped AVP's grammar, parsed from the spec's ABNF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grammar {
    /// The header line.
    pub header: GrammarHeader,
    /// Rules naming AVPs, in grammar order (fixed rules first), then the AVPs an occurrence
    /// table excludes (`0*0`, see [`Command`]). The `AVP` wildcard is not among them: see
    /// `extensible` and `any_min`.
    pub rules: Vec<Rule>,
    /// True when `*[ AVP ]` is present: AVPs the grammar does not name may occur.
    pub extensible: bool,
    /// Minimum count of the `AVP` wildcard (`N*[ AVP ]`), usually 0.
    pub any_min: u32,
    /// Choices (`<exactly-one>`): each a list of indices into `rules`, of optional single
    /// rules (`[ X ]`) of which exactly one must occur (RFC 6733 6.11's
    /// Vendor-Specific-Application-Id: Auth- or Acct-Application-Id).
    pub one_of: Vec<Vec<usize>>,
    /// Where the grammar text starts.
    pub span: Span,
}

/// The first line of a grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrammarHeader {
    /// `< Diameter Header: CODE[, REQ][, PXY][, ERR][, APPLICATION-ID] >`
    Command {
        /// Command-Code.
        code: u32,
        /// `REQ`: the R bit.
        request: bool,
        /// `PXY`: the P bit.
        proxiable: bool,
        /// `ERR`: the E bit.
        error: bool,
        /// The Application-Id that 3GPP specifications write after the flags (e.g.
        /// `< Diameter Header: 316, REQ, PXY, 16777251 >`), when given.
        application_id: Option<u32>,
    },
    /// `< AVP Header: CODE [VENDOR-ID] >`
    Avp {
        /// AVP code.
        code: u32,
        /// Vendor-Id, when the header gives one.
        vendor_id: Option<u32>,
    },
}

/// One grammar rule naming an AVP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The AVP (resolved).
    pub avp: AvpKey,
    /// The AVP's name as written in the grammar.
    pub name: String,
    /// Fixed, required or optional.
    pub kind: RuleKind,
    /// Minimum occurrences.
    pub min: u32,
    /// Maximum occurrences, `None` for unbounded. `Some(0)` (`0*0`) means the AVP must not occur.
    pub max: Option<u32>,
}

/// The bracket a rule is written with.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum RuleKind {
    /// `< X >`: present at this position.
    Fixed,
    /// `{ X }`: present.
    Required,
    /// `[ X ]`: may be present.
    Optional,
}
