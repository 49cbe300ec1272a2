//! `cargo xtask regenerate [--check]`: rewrites `diameter-messages/src` and the feature table
//! of its `Cargo.toml` from `dictionaries/` with the public `diameter_codegen::Builder`, or
//! checks that they are up to date.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    if args.first().map(String::as_str) != Some("regenerate") {
        eprintln!("usage: cargo xtask regenerate [--check]");
        return ExitCode::from(2);
    }
    let (files, stale) = match xtask::stale_files() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        if stale.is_empty() {
            return ExitCode::SUCCESS;
        }
        for p in &stale {
            eprintln!("stale: {}", p.display());
        }
        eprintln!("generated code is out of date: run cargo xtask regenerate");
        return ExitCode::FAILURE;
    }
    for f in &files {
        if stale.contains(&f.path) {
            if let Err(e) = std::fs::write(&f.path, &f.contents) {
                eprintln!("cannot write {}: {e}", f.path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "{} file(s) rewritten, {} unchanged",
        stale.len(),
        files.len() - stale.len()
    );
    ExitCode::SUCCESS
}
