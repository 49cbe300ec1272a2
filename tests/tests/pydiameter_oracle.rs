//! python-diameter (PyPI 0.9.0) as an independent codec: the kept vectors are what its
//! generator makes today, and it decodes what our typed API encodes and re-encodes the same
//! bytes from its wire tree.
//!
//! Skipped when python-diameter or the oracle scripts are missing, unless
//! `DIAMETER_REQUIRE_ORACLES=1` (set by `.ci/run`).

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use diameter_tests::{oracle, samples};

fn python_diameter() -> bool {
    oracle::runs("python3", &["-c", "import diameter.message"])
}

#[test]
fn kept_vectors_match_the_generator() {
    let Some(dir) = oracle::require("python-diameter", python_diameter()) else {
        return;
    };
    let out_dir = std::env::temp_dir().join(format!("diameter-pyvectors-{}", std::process::id()));
    let out = std::process::Command::new("python3")
        .arg(dir.join("pydiameter-make.py"))
        .arg("-o")
        .arg(&out_dir)
        .output()
        .expect("run pydiameter-make.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made = diameter_tests::read_hex_file(out_dir.join("vectors.hex"));
    let _ = std::fs::remove_dir_all(&out_dir);
    let kept = diameter_tests::read_vectors("vectors.hex");
    assert_eq!(made.len(), 44);
    assert_eq!(
        made, kept,
        "tests/vectors/vectors.hex is not what pydiameter-make.py makes"
    );
}

#[test]
fn python_diameter_reads_our_typed_messages() {
    let Some(dir) = oracle::require("python-diameter", python_diameter()) else {
        return;
    };
    let msgs = samples::messages();
    let out = oracle::run_on_hex(&dir, "pydiameter-roundtrip.py", &["-q"], &msgs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python-diameter failed on our encoding:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
