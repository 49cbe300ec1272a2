//! The crate's example runs as its users run it (`cargo run -p diameter-messages --example
//! credit_control`): the binary `cargo test` builds beside this test, its output checked.

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/deps/examples-<hash>` -> `target/<profile>/examples/credit_control`.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>")
        .join("examples");
    dir.join(name)
}

#[test]
fn credit_control_example_runs() {
    let path = example("credit_control");
    if !path.exists() {
        panic!(
            "{} is not built: run `cargo test -p diameter-messages` (which builds the examples)",
            path.display()
        );
    }
    let out = Command::new(&path).output().expect("run credit_control");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "decoded Some(\"Credit-Control-Request\"), result 2001",
        "view: rating group Some(100)",
        "violation: 5005: Credit-Control-Request/CC-Request-Number: missing",
        "answer: Result-Code Some(5005)",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}
