//! Source locations: which file and line a dictionary item came from.

use std::fmt;
use std::path::PathBuf;

/// A place in a dictionary file, shown as `file:line`.
///
/// `file` is the path as the dictionary was reached: the root path given to
/// [`load`](crate::load), or an import resolved relative to the importing file
/// (lexically normalized, `a/b/../c.xml` becomes `a/c.xml`). Relative roots
/// therefore give relative spans, which keeps messages machine independent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The dictionary file.
    pub file: PathBuf,
    /// 1-based line number in `file`.
    pub line: u32,
}

impl Span {
    /// A span for `line` of `file`.
    pub fn new(file: impl Into<PathBuf>, line: u32) -> Self {
        Span {
            file: file.into(),
            line,
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Maps byte offsets of one source text to 1-based line numbers.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    /// Byte offset at which each line starts; `starts[0] == 0`.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset` (offsets past the end map to the last line).
    pub(crate) fn line(&self, offset: usize) -> u32 {
        let line = self.starts.partition_point(|&start| start <= offset);
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_file_colon_line() {
        assert_eq!(Span::new("dict/a.xml", 12).to_string(), "dict/a.xml:12");
    }

    #[test]
    fn line_index_maps_offsets() {
        let index = LineIndex::new("ab\ncd\n\nx");
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(2), 1); // the '\n' itself belongs to line 1
        assert_eq!(index.line(3), 2);
        assert_eq!(index.line(6), 3);
        assert_eq!(index.line(7), 4);
        assert_eq!(index.line(100), 4);
    }
}
