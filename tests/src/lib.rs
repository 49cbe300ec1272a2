//! Helpers shared by the integration tests of the Diameter stack: where the kept test vectors
//! are and how to read them.
//!
//! The vectors live in `tests/vectors/` (see its README for where each file comes from).

pub mod oracle;
pub mod samples;

/// The Rust examples of the repository's README, compiled and run as doctests, so that the
/// first thing a newcomer reads builds (with its single `use`).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

use std::path::{Path, PathBuf};

/// One message of a vector file: its label (`None` for a bare hex line) and its bytes.
pub type Vector = (Option<String>, Vec<u8>);

/// The directory holding the kept test vectors (`tests/vectors/` of the workspace).
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// Reads a hex vector file: one message per line, either `LABEL<TAB>HEX` or bare hex. Blank
/// lines and lines starting with `#` are skipped; white space inside the hex is ignored.
///
/// # Panics
/// When the file cannot be read or a line is not valid hex: these are fixed test inputs, and a
/// bad one should stop the test that reads it.
pub fn read_hex_file(path: impl AsRef<Path>) -> Vec<Vector> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_hex_lines(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses the text of a hex vector file (see [`read_hex_file`]).
pub fn parse_hex_lines(text: &str) -> Result<Vec<Vector>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let (label, hex_part) = match line.split_once('\t') {
            Some((label, hex_part)) => (Some(label.trim().to_string()), hex_part),
            None => (None, line),
        };
        let digits: String = hex_part.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = hex::decode(&digits).map_err(|e| format!("line {}: {e}", n + 1))?;
        out.push((label, bytes));
    }
    Ok(out)
}

/// Reads a vector file of `tests/vectors/` by name, e.g. `"vectors.hex"`.
pub fn read_vectors(name: &str) -> Vec<Vector> {
    read_hex_file(vectors_dir().join(name))
}

/// The labelled messages of `vectors.hex` whose Application-Id is in `apps`, e.g. `[0, 3, 4]`
/// for the applications the shipped dictionaries define (S6a and Sh come later).
///
/// # Panics
/// On an unlabelled line or a message without a whole header: the kept file has neither.
pub fn vectors_of(apps: &[u32]) -> Vec<(String, Vec<u8>)> {
    read_vectors("vectors.hex")
        .into_iter()
        .map(|(label, bytes)| (label.expect("vectors.hex lines are labelled"), bytes))
        .filter(|(_, bytes)| {
            let h = diameter_runtime::Header::decode(bytes).expect("header");
            apps.contains(&h.application_id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labels_bare_hex_comments_and_blanks() {
        let text = "# comment\n\nA\t0102\n  0a0B \n\tff\nB\t01 02 03\n";
        let v = parse_hex_lines(text).unwrap();
        assert_eq!(
            v,
            vec![
                (Some("A".to_string()), vec![1, 2]),
                (None, vec![10, 11]),
                (Some(String::new()), vec![0xff]),
                (Some("B".to_string()), vec![1, 2, 3]),
            ]
        );
        assert!(parse_hex_lines("X\t0g").is_err());
        assert!(parse_hex_lines("abc").is_err());
    }

    #[test]
    fn kept_vector_files_are_all_there() {
        assert_eq!(read_vectors("vectors.hex").len(), 44);
        assert_eq!(read_vectors("broken.hex").len(), 13);
        let ccr = read_vectors("ccr-reference.hex");
        assert_eq!(ccr.len(), 1);
        assert_eq!(ccr[0].0, None);
    }
}
