//! Loading the root files and everything they import: each file once, import cycles reported.

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Diagnostic, Error};
use crate::parse::{ast, xml};
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

/// One file reached through the roots or imports.
pub(super) struct Slot {
    /// Display path (normalized).
    pub(super) path: PathBuf,
    /// `None` when it failed to parse.
    pub(super) file: Option<ast::File>,
    /// Indexes of the slots it imports (cycles left out).
    pub(super) imports: Vec<usize>,
    /// On the import stack right now.
    loading: bool,
}

#[derive(Default)]
pub(super) struct Loader {
    pub(super) slots: Vec<Slot>,
    /// Canonical path -> slot, so each file is loaded once however it is reached.
    by_identity: HashMap<PathBuf, usize>,
    /// The import chain being followed.
    stack: Vec<usize>,
    pub(super) diags: Vec<Diagnostic>,
}

impl Loader {
    /// Loads `path` (shown as `display`) unless loaded already, and its imports. `import` is the
    /// `<import>` that names it, `None` for a root. Returns its slot, or `None` when it could
    /// not be loaded (reported) or closes an import cycle (reported).
    pub(super) fn visit(
        &mut self,
        path: &Path,
        display: PathBuf,
        import: Option<&Span>,
    ) -> Result<Option<usize>, Error> {
        let identity = match fs::canonicalize(path) {
            Ok(identity) => identity,
            Err(source) => return self.unreadable(display, import, source),
        };
        if let Some(&index) = self.by_identity.get(&identity) {
            if !self.slots[index].loading {
                return Ok(Some(index));
            }
            let start = self.stack.iter().position(|&i| i == index).unwrap_or(0);
            let chain: Vec<String> = self.stack[start..]
                .iter()
                .chain([&index])
                .map(|&i| self.slots[i].path.display().to_string())
                .collect();
            if let Some(span) = import {
                let message = format!("import cycle: {}", chain.join(" -> "));
                self.diags.push(Diagnostic::new(span.clone(), message));
            }
            return Ok(None);
        }
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(source) => return self.unreadable(display, import, source),
        };

        let index = self.slots.len();
        self.slots.push(Slot {
            path: display.clone(),
            file: None,
            imports: Vec::new(),
            loading: true,
        });
        self.by_identity.insert(identity, index);
        match xml::parse(&display, &text) {
            Ok(file) => {
                self.stack.push(index);
                let dir = path.parent().unwrap_or(Path::new(""));
                let display_dir = display.parent().unwrap_or(Path::new(""));
                let mut imports = Vec::new();
                for import in &file.imports {
                    let target = self.visit(
                        &dir.join(&import.file),
                        normalize(&display_dir.join(&import.file)),
                        Some(&import.span),
                    )?;
                    imports.extend(target);
                }
                self.stack.pop();
                self.slots[index].file = Some(file);
                self.slots[index].imports = imports;
            }
            Err(diags) => self.diags.extend(diags),
        }
        self.slots[index].loading = false;
        Ok(Some(index))
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
