//! Errors found in dictionaries, each tied to a place in a file.

use std::fmt;
use std::path::PathBuf;

use crate::span::Span;

/// One problem found in a dictionary, shown as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// Where the problem is.
    pub span: Span,
    /// What is wrong, in one line.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)
    }
}

/// Why a set of dictionaries could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The dictionaries are invalid. Holds every problem found (sorted by file and line),
    /// never empty. Displays one `file:line: message` per line.
    #[error("{}", DisplayAll(.0))]
    Diagnostics(Vec<Diagnostic>),
    /// A root dictionary file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The diagnostics, empty for [`Error::Io`].
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Diagnostics(diagnostics) => diagnostics,
            Error::Io { .. } => &[],
        }
    }
}

struct DisplayAll<'a>(&'a [Diagnostic]);

impl fmt::Display for DisplayAll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_displays_one_diagnostic_per_line() {
        let error = Error::Diagnostics(vec![
            Diagnostic::new(Span::new("a.xml", 3), "first"),
            Diagnostic::new(Span::new("b.xml", 7), "second"),
        ]);
        assert_eq!(error.to_string(), "a.xml:3: first\nb.xml:7: second");
        assert_eq!(error.diagnostics().len(), 2);
    }
}
