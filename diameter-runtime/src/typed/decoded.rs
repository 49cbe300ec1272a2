//! [`Decoded`]: a typed message and the violations found while decoding it.

use bytes::Bytes;

use crate::consts::result_code as rc;
use crate::types::IntoOwned;
use crate::violation::{first_violation, Note, Violation};

/// A decoded message with every violation found. Decoding is total: missing required AVPs
/// leave their fields at `Default` values and are reported here.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded<T> {
    /// The message.
    pub message: T,
    /// The violations found, in order, up to
    /// [`DecodeOptions::max_violations`](crate::DecodeOptions#structfield.max_violations)
    /// (and the first protocol error past it).
    pub violations: Vec<Violation>,
    /// Harmless deviations from the dictionaries, bounded as the violations are: no
    /// Result-Code is decided by them.
    pub notes: Vec<Note>,
    /// How many violations were found past the bound and not kept.
    pub dropped: u32,
}

impl<T> Decoded<T> {
    /// A message with `violations`, no note and nothing dropped.
    pub fn with_violations(message: T, violations: Vec<Violation>) -> Self {
        Decoded {
            message,
            violations,
            notes: Vec::new(),
            dropped: 0,
        }
    }

    /// The same violations and notes about `f(message)`, e.g. a command wrapped in an enum.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Decoded<U> {
        Decoded {
            message: f(self.message),
            violations: self.violations,
            notes: self.notes,
            dropped: self.dropped,
        }
    }

    /// No violation was found.
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty() && self.dropped == 0
    }

    /// The Result-Code a receiver answers with: 2001 when valid; otherwise that of the first
    /// protocol error (3xxx), or else of the first violation.
    pub fn result_code(&self) -> u32 {
        first_violation(&self.violations).map_or(rc::SUCCESS, |v| v.result_code)
    }

    /// The answer RFC 6733 requires for the request `request` (its bytes), or `None` when the
    /// message is valid or is not a request. When the message knows its answer's grammar (a
    /// typed request), a 5xxx answer also carries the AVPs that grammar requires and the
    /// request holds; see [`crate::answer::error_answer_with`] for what the application may
    /// still have to add.
    pub fn error_answer(
        &self,
        request: &[u8],
        id: &crate::answer::Identity,
    ) -> Option<crate::RawMessage<'static>>
    where
        T: crate::answer::AnswerGrammar,
    {
        crate::answer::error_answer_with(
            request,
            crate::answer::Problem::Violations(&self.violations),
            id,
            self.message.answer_grammar(),
        )
    }

    /// The same, with the message made `'static` (see [`IntoOwned`]).
    pub fn into_owned(self) -> Decoded<T::Owned>
    where
        T: IntoOwned,
    {
        self.map(T::into_owned)
    }

    /// The same, with the message made `'static` by sharing `owner`, the buffer it was decoded
    /// from (see [`IntoOwned::into_shared`]): no copy.
    pub fn into_shared(self, owner: &Bytes) -> Decoded<T::Owned>
    where
        T: IntoOwned,
    {
        self.map(|m| m.into_shared(owner))
    }

    /// The message if it is valid, else its violations.
    pub fn into_result(self) -> Result<T, Vec<Violation>> {
        if self.violations.is_empty() {
            Ok(self.message)
        } else {
            Err(self.violations)
        }
    }
}
