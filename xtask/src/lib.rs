//! Project tasks, shared by `cargo xtask` and the freshness test: how `diameter-messages` is
//! generated from `dictionaries/` with the public `diameter_codegen::Builder`.

use std::path::{Path, PathBuf};

use diameter_codegen::{Builder, GeneratedFile, Layout};

pub mod probe;

/// The root dictionaries of the `diameter-messages` crate (imports are followed).
pub const DICTIONARIES: &[&str] = &["dictionaries/rfc6733.xml", "dictionaries/rfc4006.xml"];

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

/// The builder `cargo xtask regenerate` uses. Generated `Source:` lines name the dictionaries
/// relative to the workspace root, so the output is machine independent.
pub fn messages_builder() -> Builder {
    let root = workspace_root();
    let mut b = Builder::new()
        .runtime_path("::diameter_runtime")
        .layout(Layout::Crate {
            always_on: vec!["base".into()],
        })
        .cargo_directives(false)
        .display_root(&root)
        .regenerate_hint("run cargo xtask regenerate");
    for d in DICTIONARIES {
        b = b.dictionary(root.join(d));
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

/// Generated lines of the probe crate's dictionary (`dir/dict/probe.xml`), compiled as its
/// build.rs does.
pub fn probe_lines(dir: &Path) -> Result<usize, diameter_codegen::Error> {
    let files = Builder::new()
        .dictionary(dir.join("dict/probe.xml"))
        .extern_path("base", "::diameter_messages::base")
        .extern_path("accounting", "::diameter_messages::accounting")
        .generate()?;
    Ok(files.iter().map(|f| f.contents.lines().count()).sum())
}
