//! Loading the root files and everything they import: each file once, however it is reached.
//!
//! Imports may form cycles (3GPP specifications name each other's AVPs: TS 29.272 and
//! TS 29.336, TS 32.299 and TS 29.272). A file reached again, even while its own imports are
//! still being followed, is not read again: the import just records the edge, and lowering
//! makes visible to each file everything reachable through its edges.
//!
//! `<import file="x.xml"/>` means, in this order: `x.xml` beside the importing file, in the
//! first include directory that has it (`Builder::include_dir`, like protoc's `-I`), or the
//! shipped dictionary of that name ([`crate::shipped`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Diagnostic, Error};
use crate::parse::{ast, xml};
use crate::shipped::{self, ShippedFile};
use crate::span::Span;

/// Removes `.` and resolves `..` lexically, for display (`a/b/../c.xml` -> `a/c.xml`).
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Where a dictionary file comes from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// A file on disk: `path` to read, `display` (normalized) for spans.
    File { path: PathBuf, display: PathBuf },
    /// A dictionary shipped inside this crate.
    Shipped(&'static ShippedFile),
}

impl Source {
    /// A root file given by path.
    pub(crate) fn file(path: &Path) -> Source {
        Source::File {
            path: path.to_path_buf(),
            display: normalize(path),
        }
    }

    fn display(&self) -> PathBuf {
        match self {
            Source::File { display, .. } => display.clone(),
            Source::Shipped(f) => f.display_path(),
        }
    }
}

/// What makes two ways of reaching a file the same file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Identity {
    /// The canonical path.
    File(PathBuf),
    /// The shipped file's name.
    Shipped(&'static str),
}

/// One file reached through the roots or imports.
pub(super) struct Slot {
    /// Display path (normalized; `<shipped>/name` for a shipped file).
    pub(super) path: PathBuf,
    /// `None` when it failed to parse.
    pub(super) file: Option<ast::File>,
    /// Indexes of the slots it imports, in document order (edges closing a cycle included).
    pub(super) imports: Vec<usize>,
}

pub(super) struct Loader<'i> {
    pub(super) slots: Vec<Slot>,
    /// Searched, in order, for an import not found beside the importing file.
    include_dirs: &'i [PathBuf],
    /// File identity -> slot, so each file is loaded once however it is reached (and an
    /// import cycle ends where it meets a file already reached).
    by_identity: HashMap<Identity, usize>,
    pub(super) diags: Vec<Diagnostic>,
}

impl<'i> Loader<'i> {
    /// A loader resolving imports through `include_dirs` (after the importing file's own
    /// directory, before the shipped dictionaries).
    pub(super) fn new(include_dirs: &'i [PathBuf]) -> Self {
        Loader {
            slots: Vec::new(),
            include_dirs,
            by_identity: HashMap::new(),
            diags: Vec::new(),
        }
    }

    /// Loads `source` unless reached already, and its imports. `import` is the `<import>` that
    /// names it, `None` for a root. Returns its slot (also when it is reached again through an
    /// import cycle), or `None` when it could not be read (reported).
    pub(super) fn visit(
        &mut self,
        source: &Source,
        import: Option<&Span>,
    ) -> Result<Option<usize>, Error> {
        let display = source.display();
        let (identity, text) = match source {
            Source::File { path, .. } => {
                let read = fs::canonicalize(path)
                    .and_then(|identity| Ok((identity, fs::read_to_string(path)?)));
                match read {
                    Ok((identity, text)) => (Identity::File(identity), Cow::Owned(text)),
                    Err(source) => return self.unreadable(display, import, source),
                }
            }
            Source::Shipped(f) => (Identity::Shipped(f.name), Cow::Borrowed(f.text)),
        };
        if let Some(&index) = self.by_identity.get(&identity) {
            return Ok(Some(index));
        }

        let index = self.slots.len();
        self.slots.push(Slot {
            path: display.clone(),
            file: None,
            imports: Vec::new(),
        });
        self.by_identity.insert(identity, index);
        match xml::parse(&display, &text) {
            Ok(file) => {
                let mut imports = Vec::new();
                for import in &file.imports {
                    match self.resolve(source, &import.file) {
                        Ok(target) => imports.extend(self.visit(&target, Some(&import.span))?),
                        Err(message) => self
                            .diags
                            .push(Diagnostic::new(import.span.clone(), message)),
                    }
                }
                self.slots[index].file = Some(file);
                self.slots[index].imports = imports;
            }
            Err(diags) => self.diags.extend(diags),
        }
        Ok(Some(index))
    }

    /// Finds the file `<import file="name"/>` in `from` means: beside `from`, else in the
    /// include directories, else among the shipped dictionaries. A shipped file imports only
    /// shipped files, so that what it means never depends on the user's files.
    fn resolve(&self, from: &Source, name: &str) -> Result<Source, String> {
        let (path, display) = match from {
            Source::Shipped(_) => {
                return shipped::find(name).map(Source::Shipped).ok_or_else(|| {
                    format!(
                        "cannot find imported file {name} among the shipped dictionaries ({})",
                        shipped::names()
                    )
                })
            }
            Source::File { path, display } => (path, display),
        };
        let dir = path.parent().unwrap_or(Path::new(""));
        let beside = dir.join(name);
        let display_dir = display.parent().unwrap_or(Path::new(""));
        if beside.is_file() {
            return Ok(Source::File {
                path: beside,
                display: normalize(&display_dir.join(name)),
            });
        }
        if let Some(found) = self
            .include_dirs
            .iter()
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
        {
            return Ok(Source::file(&found));
        }
        if let Some(f) = shipped::find(name) {
            return Ok(Source::Shipped(f));
        }
        let mut looked = vec![match display_dir.as_os_str().is_empty() {
            true => ".".to_string(),
            false => display_dir.display().to_string(),
        }];
        looked.extend(self.include_dirs.iter().map(|d| d.display().to_string()));
        Err(format!(
            "cannot find imported file {name}: not in {} nor among the shipped dictionaries ({})",
            looked.join(", "),
            shipped::names()
        ))
    }

    fn unreadable(
        &mut self,
        display: PathBuf,
        import: Option<&Span>,
        source: std::io::Error,
    ) -> Result<Option<usize>, Error> {
        match import {
            Some(span) => {
                let message = format!("cannot read imported file {}: {source}", display.display());
                self.diags.push(Diagnostic::new(span.clone(), message));
                Ok(None)
            }
            None => Err(Error::Io {
                path: display,
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_lexically() {
        assert_eq!(normalize(Path::new("a/./b/../c.xml")), Path::new("a/c.xml"));
        assert_eq!(normalize(Path::new("../x/../y.xml")), Path::new("../y.xml"));
        assert_eq!(normalize(Path::new("./a.xml")), Path::new("a.xml"));
        assert_eq!(normalize(Path::new("/r/a/../b.xml")), Path::new("/r/b.xml"));
    }
}
