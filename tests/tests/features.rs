//! A user's crate that matches on `Message` builds whichever applications are enabled: the
//! fixture in `tests/fixtures/feature-user` (outside the workspace) is built with only `base`,
//! with only `s6a` (an HSS: the items of other modules S6a reaches, not those modules whole)
//! and with `full`; and a match without the `_` arm is refused, as `#[non_exhaustive]` means.
//!
//! Builds go to `target/feature-user/target`, kept between runs so that a rerun only checks.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// One cargo at a time in the shared fixture directory.
static CARGO: Mutex<()> = Mutex::new(());

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Lays the fixture out under `target/feature-user/crate` (its manifest naming this
/// diameter-messages, the workspace's lock file so that no newer dependency is fetched) and
/// returns its directory. `exhaustive` is the file of the `exhaustive` feature.
fn lay_out(exhaustive: &str) -> PathBuf {
    let root = workspace();
    let fixture = root.join("tests/fixtures/feature-user");
    let dir = root.join("target/feature-user/crate");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let messages = root.join("diameter-messages");
    let manifest = std::fs::read_to_string(fixture.join("Cargo.toml.in"))
        .unwrap()
        .replace(
            "@MESSAGES@",
            &messages.display().to_string().replace('\\', "/"),
        );
    write_if_changed(&dir.join("Cargo.toml"), &manifest);
    let lib = std::fs::read_to_string(fixture.join("src/lib.rs")).unwrap();
    write_if_changed(&dir.join("src/lib.rs"), &lib);
    write_if_changed(&dir.join("src/exhaustive.rs"), exhaustive);
    if !dir.join("Cargo.lock").exists() {
        std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    }
    dir
}

/// Rewrites only what changed, so that cargo's fingerprints keep reruns quick.
fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).unwrap();
    }
}

fn cargo_build(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .arg("build")
        .arg("--offline")
        .arg("--quiet")
        .args(args)
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            workspace().join("target/feature-user/target"),
        )
        // The outer cargo's settings are not the fixture's.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `match m { Message::X(_) => .., ... }` over the variants of the `base` module's commands.
fn exhaustive_over_base() -> String {
    let mut arms = String::new();
    for app in diameter_messages::base::DICTIONARY.applications {
        for cmd in app.commands {
            for suffix in ["Request", "Answer"] {
                let variant = format!("{}{suffix}", cmd.name.replace('-', ""));
                arms.push_str(&format!("        Message::{variant}(_) => 0,\n"));
            }
        }
    }
    format!(
        "use diameter_messages::Message;\n\n\
         pub fn code(m: &Message<'_>) -> u8 {{\n    match m {{\n{arms}        \
         Message::Unknown(_) => 1,\n    }}\n}}\n"
    )
}

#[test]
fn a_match_with_a_wildcard_builds_under_base_s6a_and_full() {
    let _one = CARGO.lock().unwrap_or_else(|e| e.into_inner());
    let dir = lay_out("");
    for args in [
        &["--no-default-features", "--features", "base"][..],
        &["--no-default-features", "--features", "s6a"][..],
        &["--features", "full"][..],
    ] {
        let out = cargo_build(&dir, args);
        assert!(out.status.success(), "{args:?}:\n{}", stderr(&out));
    }
}

#[test]
fn a_match_without_a_wildcard_is_refused() {
    let _one = CARGO.lock().unwrap_or_else(|e| e.into_inner());
    let dir = lay_out(&exhaustive_over_base());
    let out = cargo_build(
        &dir,
        &["--no-default-features", "--features", "base,exhaustive"],
    );
    let err = stderr(&out);
    assert!(!out.status.success(), "an exhaustive match built");
    // Refused for the attribute alone: every variant of `base` is named.
    assert!(err.contains("E0004"), "{err}");
    assert!(err.contains("is marked as non-exhaustive"), "{err}");
    assert!(!err.contains("E0599"), "a variant name is wrong:\n{err}");
}
