//! What a decoder found wrong with a message: a [`Violation`] carries the Result-Code to
//! answer with, where in the message it is, and the Failed-AVP to report.

use bytes::Bytes;

use crate::consts::result_code as rc;

/// One problem found while decoding a message: what a receiver would answer and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The Result-Code RFC 6733 (or the application) gives for it.
    pub result_code: u32,
    /// Name of the offending AVP, when the dictionary knows it.
    pub avp: Option<&'static str>,
    /// Code of the offending AVP (0 when the problem is not about one AVP).
    pub code: u32,
    /// Vendor-Id of the offending AVP.
    pub vendor_id: u32,
    /// The enclosing command and Grouped AVPs, outermost first, e.g.
    /// `["Credit-Control-Request", "Multiple-Services-Credit-Control"]`.
    pub path: Vec<&'static str>,
    /// What is wrong, for people.
    pub message: String,
    /// The AVP to report in Failed-AVP, nested in its enclosing Grouped AVPs (RFC 6733 7.5).
    pub failed_avp: Option<Bytes>,
}

impl Violation {
    /// A violation of the message as a whole, tied to no AVP (an unknown command, a request
    /// no route can take, a handler that failed): `Result-Code` and why, nothing more.
    ///
    /// ```
    /// let v = diameter_runtime::Violation::of_message(3002, "no peer for realm x");
    /// assert_eq!(v.to_string(), "3002: no peer for realm x");
    /// ```
    pub fn of_message(result_code: u32, message: impl Into<String>) -> Violation {
        Violation {
            result_code,
            avp: None,
            code: 0,
            vendor_id: 0,
            path: Vec::new(),
            message: message.into(),
            failed_avp: None,
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.result_code)?;
        let path = self.path.join("/");
        let sep = if path.is_empty() { "" } else { "/" };
        // Where it is, when something names a place: `5005: CCR/AVP 461: ...`.
        match self.avp {
            Some(n) => write!(f, "{path}{sep}{n}: ")?,
            None if self.code != 0 => write!(f, "{path}{sep}AVP {}: ", self.code)?,
            None if !path.is_empty() => write!(f, "{path}: ")?,
            None => {}
        }
        f.write_str(&self.message)
    }
}
/// What kind of deviation a [`Note`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoteKind {
    /// A request of a proxiable command with the P bit clear: it must not be proxied, but its
    /// destination processes it (3008 only when pedantic).
    NotProxiable,
    /// An AVP's M or P bit against its dictionary entry, on an AVP the receiver knows: the M
    /// bit only asks the receiver to understand the AVP, which it does (3009 only when
    /// pedantic).
    FlagBits,
    /// An unknown AVP with the M bit, accepted because decoding is lenient (5001 otherwise).
    UnknownMandatory,
}

/// A deviation from the dictionaries that costs the receiver nothing: recorded for people and
/// monitoring, but not a [`Violation`], so it changes no Result-Code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// What kind of deviation.
    pub kind: NoteKind,
    /// Name of the AVP concerned, when the dictionary knows it.
    pub avp: Option<&'static str>,
    /// Code of the AVP concerned (0 when about the header).
    pub code: u32,
    /// Vendor-Id of the AVP concerned.
    pub vendor_id: u32,
    /// What was seen, for people.
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.avp {
            Some(n) => write!(f, "{n}: ")?,
            None if self.code != 0 => write!(f, "AVP {}: ", self.code)?,
            None => {}
        }
        f.write_str(&self.message)
    }
}

/// The violation that decides the answer: the first protocol error, or else the first one.
pub fn first_violation(violations: &[Violation]) -> Option<&Violation> {
    violations
        .iter()
        .find(|v| rc::is_protocol_error(v.result_code))
        .or_else(|| violations.first())
}
