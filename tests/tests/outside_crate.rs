//! A user's crate outside this workspace (issue 9, section 3): the crate in `outside-crate/`,
//! copied to a temporary directory with path dependencies on diameter-codegen, -runtime and
//! -messages, built by its own cargo and run. Its dictionary imports `rfc4006.xml` by name (found
//! among the dictionaries diameter-codegen ships), and its program decodes a CCR carrying its
//! vendor AVPs with one call (see `outside-crate/src/main.rs` for what it checks).
//!
//! It builds into `outside-crate/` inside this build's target directory, kept between runs, so
//! a rerun only rebuilds the small crate itself; and it starts from the workspace's Cargo.lock,
//! so it uses the versions the workspace is tested with.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory removed when dropped, also when the test fails.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| panic!("the tests crate is inside the workspace"))
        .to_path_buf()
}

/// `target/outside-crate` in the target directory this test was built in (the test binary is
/// `<target>/<profile>/deps/outside_crate-<hash>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("test binary path: {e}"));
    let target = exe
        .ancestors()
        .nth(3)
        .unwrap_or_else(|| panic!("{} is not in a target directory", exe.display()));
    target.join("outside-crate")
}

fn copy(from: &Path, to: &Path) {
    fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), to.display()));
}

/// Copies the template crate to `dir`, with its manifest naming the workspace's crates.
fn write_crate(dir: &Path) {
    let root = workspace_root();
    let template = root.join("tests/outside-crate");
    for sub in ["src", "dict"] {
        fs::create_dir_all(dir.join(sub)).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    for file in ["build.rs", "src/main.rs", "dict/testco.xml"] {
        copy(&template.join(file), &dir.join(file));
    }
    let manifest = fs::read_to_string(template.join("Cargo.toml.template"))
        .unwrap_or_else(|e| panic!("Cargo.toml.template: {e}"));
    // TOML basic strings escape like Rust's: a Windows path's backslashes are doubled.
    let quoted = format!("{:?}", root.display().to_string());
    let manifest = manifest.replace("\"@WORKSPACE@", &quoted[..quoted.len() - 1]);
    assert!(!manifest.contains("@WORKSPACE@"), "{manifest}");
    fs::write(dir.join("Cargo.toml"), manifest).unwrap_or_else(|e| panic!("Cargo.toml: {e}"));
    copy(&root.join("Cargo.lock"), &dir.join("Cargo.lock"));

    // The message the program extends: the reference Gy CCR-Initial.
    let vectors = diameter_tests::read_vectors("ccr-reference.hex");
    let [(_, ccr)] = vectors.as_slice() else {
        panic!("one message in ccr-reference.hex");
    };
    fs::write(dir.join("ccr.bin"), ccr).unwrap_or_else(|e| panic!("ccr.bin: {e}"));
}

#[test]
fn a_crate_outside_the_workspace_extends_the_shipped_dictionaries() {
    let dir = TempDir(
        std::env::temp_dir().join(format!("diameter-outside-crate-{}", std::process::id())),
    );
    let _ = fs::remove_dir_all(&dir.0);
    write_crate(&dir.0);

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["run", "--quiet"])
        .current_dir(&dir.0)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the outside crate failed ({}):\n{stderr}\n{stdout}",
        output.status
    );
    assert_eq!(
        stdout.trim(),
        "decoded a CCR with Testco-Usage: 1234567 octets, zone ROAMING",
        "{stderr}"
    );
}
