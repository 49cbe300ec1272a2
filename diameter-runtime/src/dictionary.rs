//! Static dictionary tables: what generated code tells the runtime (and tools) about the AVPs,
//! commands and applications it knows. The runtime defines the shapes; `diameter-messages`
//! fills them from the XML dictionaries. Nothing here names an application AVP.

use crate::types::AvpType;

/// How a dictionary rules on one AVP flag bit (RFC 6733 section 4.5 tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlagRule {
    /// The bit must be set.
    Must,
    /// The bit may be set.
    May,
    /// The bit should not be set.
    ShouldNot,
    /// The bit must not be set.
    MustNot,
}

impl FlagRule {
    /// `"must"`, `"may"`, `"should-not"` or `"must-not"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagRule::Must => "must",
            FlagRule::May => "may",
            FlagRule::ShouldNot => "should-not",
            FlagRule::MustNot => "must-not",
        }
    }

    /// Is `set` (the bit's state on the wire) a violation of this rule?
    pub fn violated_by(self, set: bool) -> bool {
        matches!(
            (self, set),
            (FlagRule::Must, false) | (FlagRule::MustNot, true)
        )
    }
}

/// One AVP definition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AvpDef {
    /// Name, e.g. `"Origin-Host"`.
    pub name: &'static str,
    /// AVP code.
    pub code: u32,
    /// Vendor-Id, 0 for none.
    pub vendor_id: u32,
    /// Data type.
    pub ty: AvpType,
    /// M bit rule.
    pub m: FlagRule,
    /// V bit rule.
    pub v: FlagRule,
    /// P bit rule.
    pub p: FlagRule,
    /// Enumerated values (name, value), in dictionary order.
    pub enums: &'static [(&'static str, i32)],
    /// Member grammar of a Grouped AVP.
    pub grouped: Option<&'static GrammarDef>,
    /// The specification defining it, e.g. `"RFC 6733"`.
    pub spec: &'static str,
}

impl AvpDef {
    /// The name of enumerated value `v`, if listed.
    pub fn enum_name(&self, v: i32) -> Option<&'static str> {
        self.enums.iter().find(|(_, x)| *x == v).map(|(n, _)| *n)
    }

    /// The value of enumerated name `name`, if listed.
    pub fn enum_value(&self, name: &str) -> Option<i32> {
        self.enums.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The flags octet a sender sets: M when the rule is must, V when there is a vendor.
    pub fn default_flags(&self) -> u8 {
        let mut f = 0;
        if self.m == FlagRule::Must {
            f |= crate::avp::AvpFlags::MANDATORY;
        }
        if self.vendor_id != 0 {
            f |= crate::avp::AvpFlags::VENDOR;
        }
        f
    }
}

/// One rule of a grammar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RuleDef {
    /// The AVP the rule names.
    pub avp: &'static AvpDef,
    /// `< X >`: must be present at its position among the fixed AVPs at the start.
    pub fixed: bool,
    /// Least occurrences.
    pub min: u32,
    /// Most occurrences; `None` when unbounded.
    pub max: Option<u32>,
}

/// A command's or Grouped AVP's grammar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GrammarDef {
    /// Rules in grammar order.
    pub rules: &'static [RuleDef],
    /// Ends in `*[ AVP ]`: AVPs the rules don't name may occur.
    pub extensible: bool,
    /// Choices: each lists indices into `rules` of which exactly one must occur (none is
    /// 5005, several 5009; RFC 6733 6.11). Empty for most grammars.
    pub one_of: &'static [&'static [usize]],
    /// Indices into `rules` of the excluded rules (`0*0`), so that an AVP the grammar does
    /// not name is looked for among these only, not among every rule. Empty for most
    /// grammars.
    pub excluded: &'static [usize],
    /// Bit `code % 64` set for the code of each excluded rule: an AVP whose bit is clear is
    /// not excluded, without a search (most AVPs a grammar does not name, known to the
    /// dictionary or not).
    pub excluded_codes: u64,
}

/// One command of an application.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CommandDef {
    /// Command code.
    pub code: u32,
    /// Name without Request/Answer, e.g. `"Credit-Control"`.
    pub name: &'static str,
    /// e.g. `"CCR"`.
    pub request_abbrev: &'static str,
    /// e.g. `"CCA"`.
    pub answer_abbrev: &'static str,
    /// Request grammar.
    pub request: &'static GrammarDef,
    /// Answer grammar.
    pub answer: &'static GrammarDef,
    /// The request's header carries the P bit.
    pub proxiable: bool,
}

/// One application.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ApplicationDef {
    /// Application-Id.
    pub id: u32,
    /// Name, e.g. `"Diameter Credit Control"`.
    pub name: &'static str,
    /// Defining specification.
    pub spec: &'static str,
    /// Vendor-Id for Vendor-Specific-Application-Id, 0 for none.
    pub vendor_id: u32,
    /// The profile these grammars belong to (`Some("3gpp")` for TS 32.299's Ro and Rf, which
    /// redefine commands of applications 4 and 3), `None` for the application's own.
    pub profile: Option<&'static str>,
    /// Commands by code.
    pub commands: &'static [CommandDef],
}

/// A set of dictionary tables, e.g. one per generated module.
#[derive(Clone, Copy, Debug)]
pub struct Dictionary {
    /// AVPs sorted by (code, vendor).
    pub avps: &'static [&'static AvpDef],
    /// Applications sorted by id.
    pub applications: &'static [ApplicationDef],
}

impl Dictionary {
    /// The AVP with this code and vendor.
    pub fn avp(&self, code: u32, vendor_id: u32) -> Option<&'static AvpDef> {
        let avps: &'static [&'static AvpDef] = self.avps;
        avps.binary_search_by(|a| (a.code, a.vendor_id).cmp(&(code, vendor_id)))
            .ok()
            .map(|i| avps[i])
    }

    /// The AVP with this name.
    pub fn avp_by_name(&self, name: &str) -> Option<&'static AvpDef> {
        let avps: &'static [&'static AvpDef] = self.avps;
        avps.iter().find(|a| a.name == name).copied()
    }

    /// The application with this id.
    pub fn application(&self, id: u32) -> Option<&'static ApplicationDef> {
        let apps: &'static [ApplicationDef] = self.applications;
        apps.iter().find(|a| a.id == id)
    }

    /// The command (application, code), falling back to the application 0 definition (RFC 6733
    /// session commands such as RAR, STR and ASR are used by every application).
    pub fn command(
        &self,
        application_id: u32,
        code: u32,
    ) -> Option<(&'static ApplicationDef, &'static CommandDef)> {
        let find = |app: u32| {
            let a = self.application(app)?;
            let c = a.commands.iter().find(|c| c.code == code)?;
            Some((a, c))
        };
        find(application_id).or_else(|| find(0))
    }
}

/// Several dictionaries searched in order (e.g. every enabled application module).
#[derive(Clone, Copy, Debug)]
pub struct Dictionaries(pub &'static [&'static Dictionary]);

impl Dictionaries {
    /// The AVP with this code and vendor in the first dictionary that has it.
    pub fn avp(&self, code: u32, vendor_id: u32) -> Option<&'static AvpDef> {
        self.0.iter().find_map(|d| d.avp(code, vendor_id))
    }

    /// The AVP with this name.
    pub fn avp_by_name(&self, name: &str) -> Option<&'static AvpDef> {
        self.0.iter().find_map(|d| d.avp_by_name(name))
    }

    /// The command (application, code), with the application 0 fallback of
    /// [`Dictionary::command`] applied after every dictionary was asked for the exact pair.
    pub fn command(
        &self,
        application_id: u32,
        code: u32,
    ) -> Option<(&'static ApplicationDef, &'static CommandDef)> {
        let exact = self.0.iter().find_map(|d| {
            let a = d.application(application_id)?;
            a.commands.iter().find(|c| c.code == code).map(|c| (a, c))
        });
        exact.or_else(|| {
            self.0
                .iter()
                .find_map(|d| d.command(0, code).filter(|(a, _)| a.id == 0))
        })
    }

    /// Every application of every dictionary.
    pub fn applications(&self) -> impl Iterator<Item = &'static ApplicationDef> + '_ {
        self.0.iter().flat_map(|d| d.applications.iter())
    }

    /// Every AVP of every dictionary.
    pub fn avps(&self) -> impl Iterator<Item = &'static AvpDef> + '_ {
        self.0.iter().flat_map(|d| d.avps.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static G: GrammarDef = GrammarDef {
        rules: &[RuleDef {
            avp: &AVPS[0],
            fixed: false,
            min: 1,
            max: Some(1),
        }],
        extensible: true,
        one_of: &[],
        excluded: &[],
        excluded_codes: 0,
    };
    static AVPS: [AvpDef; 2] = [
        AvpDef {
            name: "Origin-Host",
            code: 264,
            vendor_id: 0,
            ty: AvpType::DiameterIdentity,
            m: FlagRule::Must,
            v: FlagRule::MustNot,
            p: FlagRule::May,
            enums: &[],
            grouped: None,
            spec: "RFC 6733",
        },
        AvpDef {
            name: "X",
            code: 264,
            vendor_id: 9,
            ty: AvpType::Enumerated,
            m: FlagRule::May,
            v: FlagRule::Must,
            p: FlagRule::May,
            enums: &[("A", 1), ("B", -2)],
            grouped: None,
            spec: "test",
        },
    ];
    static APPS: [ApplicationDef; 2] = [
        ApplicationDef {
            id: 0,
            name: "base",
            spec: "RFC 6733",
            vendor_id: 0,
            profile: None,
            commands: &[CommandDef {
                code: 258,
                name: "Re-Auth",
                request_abbrev: "RAR",
                answer_abbrev: "RAA",
                request: &G,
                answer: &G,
                proxiable: true,
            }],
        },
        ApplicationDef {
            id: 4,
            name: "cc",
            spec: "RFC 4006",
            vendor_id: 0,
            profile: None,
            commands: &[],
        },
    ];
    static D: Dictionary = Dictionary {
        avps: &[&AVPS[0], &AVPS[1]],
        applications: &APPS,
    };

    #[test]
    fn lookups() {
        assert_eq!(D.avp(264, 0).unwrap().name, "Origin-Host");
        assert_eq!(D.avp(264, 9).unwrap().name, "X");
        assert!(D.avp(264, 1).is_none());
        assert_eq!(D.avp_by_name("X").unwrap().enum_name(-2), Some("B"));
        assert_eq!(D.avp_by_name("X").unwrap().enum_value("A"), Some(1));
        assert_eq!(D.avp(264, 9).unwrap().default_flags(), 0x80);
        assert_eq!(D.avp(264, 0).unwrap().default_flags(), 0x40);
        // RAR in application 4 falls back to the base definition.
        let (app, cmd) = D.command(4, 258).unwrap();
        assert_eq!((app.id, cmd.request_abbrev), (0, "RAR"));
        assert!(D.command(4, 999).is_none());
        static ALL: [&Dictionary; 1] = [&D];
        let all = Dictionaries(&ALL);
        assert_eq!(all.command(16777251, 258).unwrap().1.name, "Re-Auth");
        assert_eq!(all.avps().count(), 2);
    }

    #[test]
    fn flag_rules() {
        assert!(FlagRule::Must.violated_by(false));
        assert!(!FlagRule::Must.violated_by(true));
        assert!(FlagRule::MustNot.violated_by(true));
        assert!(!FlagRule::May.violated_by(true) && !FlagRule::ShouldNot.violated_by(true));
    }
}

/// Where the names of a [`BitNames`] hold: each field given narrows it (TS 29.229's
/// Feature-List means other features in S6a's list 1, S6a's list 2 and Sh's list 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BitScope {
    /// The Vendor-Id beside the AVP in the Grouped AVP holding it.
    pub vendor: Option<u32>,
    /// The Application-Id of the message carrying the AVP.
    pub application: Option<u32>,
    /// The Feature-List-ID beside the AVP.
    pub list_id: Option<u32>,
}

impl BitScope {
    /// How many fields narrow it: a wider scope's name yields to a narrower one's.
    pub fn narrowness(&self) -> usize {
        [self.vendor, self.application, self.list_id]
            .iter()
            .filter(|f| f.is_some())
            .count()
    }

    /// Do names of this scope hold where the AVP is seen in `context`? Every field given
    /// here must be given there, equal.
    pub fn holds_in(&self, context: &BitScope) -> bool {
        let ok = |mine: Option<u32>, theirs: Option<u32>| mine.is_none() || mine == theirs;
        ok(self.vendor, context.vendor)
            && ok(self.application, context.application)
            && ok(self.list_id, context.list_id)
    }
}

/// The names one dictionary gives to the bits of a bit-mask Unsigned32 AVP (`<bits>`): TS
/// 29.272's ULR-Flags, or a Feature-List's features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitNames {
    /// AVP code.
    pub code: u32,
    /// AVP Vendor-Id.
    pub vendor_id: u32,
    /// Where the names hold.
    pub scope: BitScope,
    /// (bit number, name as the specification writes it); bit 0 is the mask value 1.
    pub bits: &'static [(u32, &'static str)],
}

/// The names one dictionary gives to values of an Unsigned32 AVP (`<values>`): Result-Code's,
/// or, scoped to the Vendor-Id beside the AVP, a vendor's Experimental-Result-Codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueNames {
    /// AVP code.
    pub code: u32,
    /// AVP Vendor-Id.
    pub vendor_id: u32,
    /// The Vendor-Id that must be beside the AVP for these names to hold (`<values
    /// vendor=..>`), `None` when they always hold.
    pub scope_vendor: Option<u32>,
    /// (value, name as the specification writes it), in the file's order.
    pub values: &'static [(u32, &'static str)],
}

impl BitNames {
    /// The name of bit `bit` (0 to 31), if this set names it.
    pub fn name(&self, bit: u32) -> Option<&'static str> {
        self.bits.iter().find(|(b, _)| *b == bit).map(|(_, n)| *n)
    }
}
