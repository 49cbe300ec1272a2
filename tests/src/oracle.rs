//! Finding and running the independent oracles of `shared/oracles/` (tshark, python-diameter).
//!
//! A test that needs an oracle calls [`require`]: when the oracle is missing the test is
//! skipped, unless `DIAMETER_REQUIRE_ORACLES=1` (set by `.ci/run`), which makes it fail.

use std::path::PathBuf;
use std::process::{Command, Output};

/// `shared/oracles/`: `$DIAMETER_ORACLES_DIR`, or `../shared/oracles` beside the workspace.
pub fn dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("DIAMETER_ORACLES_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracles"),
    };
    dir.join("README.md").exists().then_some(dir)
}

/// Is `DIAMETER_REQUIRE_ORACLES=1` set?
pub fn required() -> bool {
    std::env::var("DIAMETER_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

/// Does `program args...` run and exit 0?
pub fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The oracles directory if `available` holds; otherwise `None` (skip), or a panic naming
/// `what` when oracles are required.
///
/// # Panics
/// When the oracle is missing and `DIAMETER_REQUIRE_ORACLES=1`.
pub fn require(what: &str, available: bool) -> Option<PathBuf> {
    match (dir(), available) {
        (Some(d), true) => Some(d),
        _ => {
            assert!(
                !required(),
                "DIAMETER_REQUIRE_ORACLES=1 but {what} is missing"
            );
            eprintln!("skipped: {what} not found");
            None
        }
    }
}

/// Runs `python3 <oracles>/<script> <args...>` on `lines` (written to a temporary hex file whose
/// path is appended to the arguments).
///
/// # Panics
/// When the file cannot be written or python3 cannot be started.
pub fn run_on_hex(
    dir: &std::path::Path,
    script: &str,
    args: &[&str],
    lines: &[(String, Vec<u8>)],
) -> Output {
    let tmp = std::env::temp_dir().join(format!(
        "diameter-oracle-{}-{script}.hex",
        std::process::id()
    ));
    let text: String = lines
        .iter()
        .map(|(l, b)| format!("{l}\t{}\n", hex::encode(b)))
        .collect();
    std::fs::write(&tmp, text).expect("write oracle input");
    let out = Command::new("python3")
        .arg(dir.join(script))
        .args(args)
        .arg(&tmp)
        .output()
        .expect("run python3");
    let _ = std::fs::remove_file(&tmp);
    out
}
