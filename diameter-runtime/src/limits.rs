//! Decoding limits and leniency: what a decoder accepts before it refuses a message.

use crate::avp::Leniency;

/// Limits and leniency for decoding. The defaults are strict RFC 6733 and bound what a hostile
/// peer can make a decoder spend: 1 MiB per message, 16 levels of Grouped AVPs, 4096 AVPs in
/// one list (a message body or one Grouped AVP).
///
/// Non-exhaustive, so that a later version can add options: start from
/// [`DecodeOptions::new`] (strict) or [`DecodeOptions::lenient`] and change what you need.
///
/// ```
/// use diameter_runtime::DecodeOptions;
/// let opts = DecodeOptions::new().with_max_depth(4).with_strict(false);
/// assert_eq!((opts.max_depth, opts.strict), (4, false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Largest Message-Length accepted (the field itself allows 16 MiB - 1).
    pub max_message_len: u32,
    /// Deepest nesting of Grouped AVPs decoded (a top-level AVP is at depth 1).
    pub max_depth: u32,
    /// Most AVPs in one list.
    pub max_avps: u32,
    /// What malformations to tolerate.
    pub leniency: Leniency,
    /// Strict validation (the default): what breaks interoperability is a violation. An
    /// unknown AVP with the M bit is 5001 even where the grammar allows other AVPs, and a P bit
    /// set on a command that is not proxiable is 3008. Lenient validation accepts both, as many
    /// deployed peers need. ARCHITECTURE.md has the table of every such verdict.
    pub strict: bool,
    /// Pedantic validation (off by default): also reject deviations a final destination can
    /// process, which strict decoding records as [`Note`](crate::typed::Note)s: a P bit clear
    /// on a proxiable command (3008), an AVP's M or P bit against its dictionary entry (3009).
    /// Needs `strict`.
    pub pedantic: bool,
    /// Most violations kept per message (at least one is always kept). Those past it are
    /// counted in [`Decoded::dropped`](crate::Decoded::dropped), not built: an answer carries
    /// only what fits anyway, and a hostile message should cost no more than an honest one.
    /// The first protocol error (3xxx) is kept even past the bound, so that the Result-Code
    /// decided is the one all violations would give. Notes are bounded the same way.
    pub max_violations: u32,
}

impl DecodeOptions {
    /// Default maximum message length: 1 MiB.
    pub const DEFAULT_MAX_MESSAGE_LEN: u32 = 1 << 20;
    /// Default maximum Grouped nesting depth.
    pub const DEFAULT_MAX_DEPTH: u32 = 16;
    /// Default maximum AVPs per list.
    pub const DEFAULT_MAX_AVPS: u32 = 4096;
    /// Default maximum violations kept per message.
    pub const DEFAULT_MAX_VIOLATIONS: u32 = 32;

    /// Strict decoding with the default limits.
    pub const fn new() -> Self {
        // Spelled out (not `..Default`) so that it can stay a `const fn`.
        DecodeOptions {
            max_message_len: Self::DEFAULT_MAX_MESSAGE_LEN,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_avps: Self::DEFAULT_MAX_AVPS,
            leniency: Leniency::strict(),
            strict: true,
            pedantic: false,
            max_violations: Self::DEFAULT_MAX_VIOLATIONS,
        }
    }
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl DecodeOptions {
    /// Lenient validation and wire leniency: what to use when talking to sloppy peers.
    pub const fn lenient() -> Self {
        DecodeOptions {
            leniency: Leniency::strict()
                .with_reserved_bits(true)
                .with_nonzero_padding(true),
            strict: false,
            ..Self::new()
        }
    }

    /// With `max_message_len` as the largest Message-Length accepted.
    pub const fn with_max_message_len(mut self, max_message_len: u32) -> Self {
        self.max_message_len = max_message_len;
        self
    }

    /// With `max_depth` as the deepest Grouped nesting decoded.
    pub const fn with_max_depth(mut self, max_depth: u32) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// With `max_avps` as the most AVPs in one list.
    pub const fn with_max_avps(mut self, max_avps: u32) -> Self {
        self.max_avps = max_avps;
        self
    }

    /// With the wire malformations `leniency` tolerates.
    pub const fn with_leniency(mut self, leniency: Leniency) -> Self {
        self.leniency = leniency;
        self
    }

    /// With strict (`true`) or lenient validation (see [`DecodeOptions::strict`]).
    pub const fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// With (`true`) or without pedantic verdicts (see
    /// [`DecodeOptions::pedantic`](DecodeOptions#structfield.pedantic)).
    pub const fn with_pedantic(mut self, pedantic: bool) -> Self {
        self.pedantic = pedantic;
        self
    }

    /// With `max_violations` as the most violations (and notes) kept per message; past it they
    /// are only counted.
    pub const fn with_max_violations(mut self, max_violations: u32) -> Self {
        self.max_violations = max_violations;
        self
    }

    /// Strict decoding that also rejects harmless deviations from the dictionaries (see
    /// [`DecodeOptions::pedantic`](DecodeOptions#structfield.pedantic)): for testing a peer's
    /// conformance, not for serving traffic.
    pub const fn pedantic() -> Self {
        DecodeOptions {
            pedantic: true,
            ..Self::new()
        }
    }
}
