//! `cargo xtask regenerate [--check]`: rewrites `diameter-messages/src` from `dictionaries/`
//! with the public `diameter_codegen::Builder`, or checks that it is up to date.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use diameter_codegen::{Builder, Layout};

/// The root dictionaries of the `diameter-messages` crate (imports are followed).
pub const DICTIONARIES: &[&str] = &["dictionaries/rfc6733.xml", "dictionaries/rfc4006.xml"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn builder() -> Builder {
    let mut b = Builder::new()
        .runtime_path("::diameter_runtime")
        .layout(Layout::Crate {
            always_on: vec!["base".into()],
        })
        .cargo_directives(false);
    for d in DICTIONARIES {
        b = b.dictionary(d);
    }
    b
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    match args.first().map(String::as_str) {
        Some("regenerate") => {}
        _ => {
            eprintln!("usage: cargo xtask regenerate [--check]");
            return ExitCode::from(2);
        }
    }
    let root = workspace_root();
    if let Err(e) = std::env::set_current_dir(&root) {
        eprintln!("cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let out = root.join("diameter-messages/src");
    let files = match builder().generate() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale = Vec::new();
    for f in &files {
        let path = out.join(&f.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != f.contents {
            stale.push(path.clone());
            if !check {
                if let Err(e) = std::fs::write(&path, &f.contents) {
                    eprintln!("cannot write {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    if check && !stale.is_empty() {
        for p in &stale {
            eprintln!("stale: {}", p.display());
        }
        eprintln!("generated code is out of date: run cargo xtask regenerate");
        return ExitCode::FAILURE;
    }
    if !check {
        println!(
            "{} file(s) rewritten, {} unchanged",
            stale.len(),
            files.len() - stale.len()
        );
    }
    ExitCode::SUCCESS
}
