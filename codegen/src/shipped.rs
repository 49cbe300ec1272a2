//! The dictionaries that ship inside this crate, so that a user's dictionary can import them by
//! name from any build script, as protoc users import the well-known types.
//!
//! The files are the repository's top-level `dictionaries/` (the source of truth), reached
//! through the symbolic link `codegen/dictionaries` so that `cargo package` copies them into the
//! published crate. They are embedded with `include_str!`, so nothing is looked up on disk at
//! build time and editing one rebuilds this crate.

use std::path::{Path, PathBuf};

/// The directory name shipped files are shown under in diagnostics and generated headers:
/// `<shipped>/rfc4006.xml:12`.
pub const DISPLAY_DIR: &str = "<shipped>";

/// One dictionary file shipped with the compiler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShippedFile {
    /// Its file name, which `<import file=".."/>` uses: `rfc4006.xml`.
    pub name: &'static str,
    /// The XML text.
    pub text: &'static str,
}

impl ShippedFile {
    /// The path spans and generated headers show for it: `<shipped>/rfc4006.xml`.
    pub fn display_path(&self) -> PathBuf {
        Path::new(DISPLAY_DIR).join(self.name)
    }
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        /// Every shipped dictionary, in file-name order. `diameter-messages` is generated from
        /// exactly these (by `cargo xtask regenerate`).
        pub const FILES: &[ShippedFile] = &[
            $(ShippedFile { name: $name, text: include_str!(concat!("../dictionaries/", $name)) },)*
        ];
    };
}

shipped![
    "es283034.xml",
    "rfc4004.xml",
    "rfc4006.xml",
    "rfc5447.xml",
    "rfc5777.xml",
    "rfc5778.xml",
    "rfc6733.xml",
    "rfc7155.xml",
    "rfc7683.xml",
    "rfc7944.xml",
    "rfc8583.xml",
    "ts29061.xml",
    "ts29128.xml",
    "ts29140.xml",
    "ts29173.xml",
    "ts29212.xml",
    "ts29214.xml",
    "ts29217.xml",
    "ts29219.xml",
    "ts29229.xml",
    "ts29230.xml",
    "ts29272.xml",
    "ts29273.xml",
    "ts29329.xml",
    "ts29336.xml",
    "ts29338.xml",
    "ts29344.xml",
    "ts29368.xml",
    "ts32299.xml",
    "xs0057.xml",
];

/// The shipped file called `name` (`rfc4006.xml`; a leading `./` is allowed).
pub fn find(name: &str) -> Option<&'static ShippedFile> {
    let name = name.strip_prefix("./").unwrap_or(name);
    FILES.iter().find(|f| f.name == name)
}

/// Whether `path` names a shipped file (lies under [`DISPLAY_DIR`]), as spans and
/// [`SourceFile::path`](crate::SourceFile::path) show them.
pub fn is_shipped(path: &Path) -> bool {
    path.starts_with(DISPLAY_DIR)
}

/// The shipped file names, comma separated, for messages.
pub(crate) fn names() -> String {
    FILES.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded list is the directory: a dictionary added to `dictionaries/` and not
    /// listed here (or removed from it) fails.
    #[test]
    fn every_dictionary_file_is_shipped() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dictionaries");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                name.ends_with(".xml").then_some(name)
            })
            .collect();
        on_disk.sort();
        let shipped: Vec<&str> = FILES.iter().map(|f| f.name).collect();
        assert_eq!(on_disk, shipped);
    }

    #[test]
    fn found_by_name_and_shown_under_shipped() {
        let f = find("./rfc4006.xml").unwrap_or_else(|| panic!("rfc4006.xml is shipped"));
        assert_eq!(f.display_path(), Path::new("<shipped>/rfc4006.xml"));
        assert!(is_shipped(&f.display_path()));
        assert!(!is_shipped(Path::new("dict/rfc4006.xml")));
        assert_eq!(find("rfc9999.xml"), None);
        assert_eq!(find("../dictionaries/rfc4006.xml"), None);
    }
}
