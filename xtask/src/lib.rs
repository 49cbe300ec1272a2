//! Project tasks, shared by `cargo xtask` and the freshness test: how `diameter-messages` is
//! generated from `dictionaries/` with the public `diameter_codegen::Builder`.
//!
//! The dictionaries are taken as `diameter-codegen` ships them (embedded from `dictionaries/`),
//! the same way a user's build script imports them, so that what the compiler ships is what
//! `diameter-messages` was generated from.

use std::path::{Path, PathBuf};

use diameter_codegen::{Builder, GeneratedFile, Layout};

/// The root dictionaries of the `diameter-messages` crate, by their shipped names (imports
/// are followed).
pub const DICTIONARIES: &[&str] = &["rfc6733.xml", "rfc4006.xml"];

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where the generated files of `diameter-messages` live.
pub fn messages_src() -> PathBuf {
    workspace_root().join("diameter-messages/src")
}

/// The builder `cargo xtask regenerate` uses. Generated `Source:` lines name the shipped
/// dictionaries (`<shipped>/rfc4006.xml`), so the output is machine independent.
pub fn messages_builder() -> Builder {
    let mut b = Builder::new()
        .runtime_path("::diameter_runtime")
        .layout(Layout::Crate {
            always_on: vec!["base".into()],
        })
        .cargo_directives(false)
        .regenerate_hint("run cargo xtask regenerate");
    for d in DICTIONARIES {
        b = b.shipped_dictionary(*d);
    }
    b
}

/// Generates the files and returns those whose checked-in contents differ.
pub fn stale_files() -> Result<(Vec<GeneratedFile>, Vec<PathBuf>), diameter_codegen::Error> {
    let files = messages_builder().generate()?;
    let out = messages_src();
    let stale = files
        .iter()
        .map(|f| out.join(&f.path))
        .zip(&files)
        .filter(|(path, f)| std::fs::read_to_string(path).unwrap_or_default() != f.contents)
        .map(|(path, _)| path)
        .collect();
    Ok((files, stale))
}
