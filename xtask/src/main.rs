//! `cargo xtask regenerate [--check]`: rewrites `diameter-messages/src` and the feature table
//! of its `Cargo.toml` from `dictionaries/` with the public `diameter_codegen::Builder`, or
//! checks that they are up to date.
//!
//! `cargo xtask probe [--out DIR]`: writes the emitter's benchmark, a synthetic dictionary of
//! 3GPP size and a crate compiling it (default `target/probe`), and prints the lines it
//! generates; build it with `cargo build` in that directory to time the generated code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    match args.first().map(String::as_str) {
        Some("regenerate") => {}
        Some("probe") => return probe(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask regenerate [--check] | cargo xtask probe [--out DIR]");
            return ExitCode::from(2);
        }
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

fn probe(args: &[String]) -> ExitCode {
    let root = xtask::workspace_root();
    let dir = match args {
        [] => root.join("target/probe"),
        [flag, dir] if flag == "--out" => std::path::PathBuf::from(dir),
        _ => {
            eprintln!("usage: cargo xtask probe [--out DIR]");
            return ExitCode::from(2);
        }
    };
    let probe = match xtask::probe::write(&dir, &root) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot write the probe into {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    match xtask::probe_lines(&dir) {
        Ok(lines) => {
            println!(
                "{}: {} AVPs ({} grouped), {} commands, {} rules; {lines} generated lines",
                probe.dir.display(),
                xtask::probe::AVPS,
                xtask::probe::GROUPED,
                xtask::probe::COMMANDS,
                probe.rules
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
