//! The public entry point for build scripts and tools, in the manner of `prost-build`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::Error;
use crate::emit::{self, GeneratedFile, Layout, Options};
use crate::lower::{self, Source};
use crate::shipped;

/// Compiles dictionaries to Rust.
///
/// From a user's `build.rs`, extending the shipped dictionaries with a vendor one whose
/// `<import file="rfc4006.xml"/>` names a [shipped](crate::shipped) dictionary:
///
/// ```no_run
/// diameter_codegen::Builder::new()
///     .dictionary("dict/acme.xml")
///     // The shipped modules (base, accounting, credit_control) are diameter-messages' own.
///     .extern_shipped("::diameter_messages")
///     .compile()
///     .unwrap();
/// // src/lib.rs: pub mod acme { include!(concat!(env!("OUT_DIR"), "/diameter_dictionary.rs")); }
/// // then `acme::decode(&bytes)` decodes any diameter-messages `Message`, knowing Acme's AVPs.
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    dictionaries: Vec<Root>,
    include_dirs: Vec<PathBuf>,
    shipped_crate: Option<String>,
    runtime_path: String,
    externs: BTreeMap<String, String>,
    layout: Layout,
    out_dir: Option<PathBuf>,
    cargo_directives: bool,
    display_root: Option<PathBuf>,
    regenerate_hint: String,
    boxed: BTreeSet<String>,
    box_above: Option<usize>,
}

/// A root dictionary: a file, or a shipped one by name.
#[derive(Clone, Debug)]
enum Root {
    File(PathBuf),
    Shipped(String),
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// A builder writing one file, `diameter_dictionary.rs`, to `OUT_DIR`.
    pub fn new() -> Self {
        Builder {
            dictionaries: Vec::new(),
            include_dirs: Vec::new(),
            shipped_crate: None,
            runtime_path: "::diameter_runtime".into(),
            externs: BTreeMap::new(),
            layout: Layout::SingleFile("diameter_dictionary.rs".into()),
            out_dir: None,
            cargo_directives: true,
            display_root: None,
            regenerate_hint: "it is rebuilt from the dictionaries by the build script".into(),
            boxed: BTreeSet::new(),
            box_above: Some(emit::DEFAULT_BOX_ABOVE),
        }
    }

    /// Boxes every field holding Grouped AVP `avp` (its dictionary name, e.g.
    /// `"Service-Information"`), required ones included: a message that usually lacks it then
    /// carries a pointer, not the whole group, through every decode, move and drop.
    pub fn boxed(mut self, avp: impl Into<String>) -> Self {
        self.boxed.insert(avp.into());
        self
    }

    /// Boxes optional group fields whose struct is estimated larger than `bytes` (default
    /// 256); `None` boxes only the groups named by [`Builder::boxed`] and recursive ones.
    pub fn box_groups_above(mut self, bytes: Option<usize>) -> Self {
        self.box_above = bytes;
        self
    }

    /// Adds a root dictionary file (its imports are loaded too).
    pub fn dictionary(mut self, path: impl AsRef<Path>) -> Self {
        self.dictionaries
            .push(Root::File(path.as_ref().to_path_buf()));
        self
    }

    /// Adds a [shipped](crate::shipped) dictionary as a root, by name (`rfc4006.xml`).
    /// `cargo xtask regenerate` builds `diameter-messages` this way.
    pub fn shipped_dictionary(mut self, name: impl Into<String>) -> Self {
        self.dictionaries.push(Root::Shipped(name.into()));
        self
    }

    /// Adds a directory where `<import file=".."/>` looks for a file not found beside the
    /// importing one (searched in the order given, before the shipped dictionaries), like
    /// protoc's `-I`.
    pub fn include_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.include_dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Says that the [shipped](crate::shipped) dictionaries are compiled already, in the crate
    /// at `path` (`::diameter_messages`): every module defined by a shipped file this generation
    /// loads is referred to there (as [`Builder::extern_path`] would) instead of generated, and
    /// the generated root gets functions that decode that crate's `Message` knowing this
    /// generation's AVPs too: `decode`, `decode_with`, `decode_view`, `decode_view_with`, and
    /// for a Grouped AVP kept raw in `other_avps`, `decode_group`, `decode_group_with` and
    /// `find_group`.
    ///
    /// The crate must have the features of those modules enabled (`credit_control` for
    /// `rfc4006.xml`).
    pub fn extern_shipped(mut self, path: impl Into<String>) -> Self {
        self.shipped_crate = Some(path.into());
        self
    }

    /// The path generated code uses for the runtime crate (default `::diameter_runtime`).
    pub fn runtime_path(mut self, path: impl Into<String>) -> Self {
        self.runtime_path = path.into();
        self
    }

    /// Does not emit generated module `module`; refers to it at `path` instead (e.g. the
    /// modules `diameter-messages` already provides).
    pub fn extern_path(mut self, module: impl Into<String>, path: impl Into<String>) -> Self {
        self.externs.insert(module.into(), path.into());
        self
    }

    /// How the files are laid out (default: one file for `include!`).
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }

    /// Where [`Builder::compile`] writes (default: `OUT_DIR`).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Whether [`Builder::compile`] prints `cargo:rerun-if-changed` lines (default: yes).
    pub fn cargo_directives(mut self, on: bool) -> Self {
        self.cargo_directives = on;
        self
    }

    /// Names dictionary files in generated headers relative to `root`, so that the output does
    /// not depend on where the generator runs.
    pub fn display_root(mut self, root: impl AsRef<Path>) -> Self {
        self.display_root = Some(root.as_ref().to_path_buf());
        self
    }

    /// What the `@generated` stamp tells readers to do instead of editing (e.g.
    /// `run cargo xtask regenerate`).
    pub fn regenerate_hint(mut self, hint: impl Into<String>) -> Self {
        self.regenerate_hint = hint.into();
        self
    }

    /// Loads, checks and emits; returns the files without writing them.
    pub fn generate(&self) -> Result<Vec<GeneratedFile>, Error> {
        self.load_and_emit().map(|(_, files)| files)
    }

    /// The cargo features of the generated crate (with [`Layout::Crate`]): one per module,
    /// naming the features of the modules whose types it uses, and `full` naming every
    /// module. A tool writes them into the crate's `Cargo.toml`.
    pub fn cargo_features(&self) -> Result<BTreeMap<String, Vec<String>>, Error> {
        let (model, opts) = self.load()?;
        Ok(emit::cargo_features(&model, &opts))
    }

    fn load(&self) -> Result<(crate::Model, Options), Error> {
        let roots = self
            .dictionaries
            .iter()
            .map(|root| match root {
                Root::File(path) => Ok(Source::file(path)),
                Root::Shipped(name) => {
                    shipped::find(name)
                        .map(Source::Shipped)
                        .ok_or_else(|| Error::Io {
                            path: Path::new(shipped::DISPLAY_DIR).join(name),
                            source: std::io::Error::new(
                                std::io::ErrorKind::NotFound,
                                format!(
                                    "no shipped dictionary of that name ({})",
                                    shipped::names()
                                ),
                            ),
                        })
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let model = lower::load(&roots, &self.include_dirs)?;
        let mut externs = self.externs.clone();
        if let Some(krate) = &self.shipped_crate {
            // The modules a shipped file defines, as the emitter lays them out: its AVPs' module
            // and each of its applications' modules.
            let plan = emit::Plan::new(&model, &BTreeMap::new());
            let apps =
                emit::plan_applications(&model).map(|(app, _)| (&app.span.file, &app.module));
            for (file, module) in plan.file_module.iter().chain(apps) {
                if shipped::is_shipped(file) {
                    externs
                        .entry(module.clone())
                        .or_insert_with(|| format!("{krate}::{module}"));
                }
            }
        }
        let sources = model
            .files
            .iter()
            .map(|f| {
                let shown = self
                    .display_root
                    .as_ref()
                    .and_then(|r| f.path.strip_prefix(r).ok())
                    .unwrap_or(&f.path);
                shown.display().to_string().replace('\\', "/")
            })
            .collect();
        let opts = Options {
            runtime_path: self.runtime_path.clone(),
            externs,
            shipped_crate: self.shipped_crate.clone(),
            layout: self.layout.clone(),
            sources,
            regenerate_hint: self.regenerate_hint.clone(),
            boxed: self.boxed.clone(),
            box_above: self.box_above,
        };
        Ok((model, opts))
    }

    fn load_and_emit(&self) -> Result<(crate::Model, Vec<GeneratedFile>), Error> {
        let (model, opts) = self.load()?;
        let files = emit::emit(&model, &opts);
        Ok((model, files))
    }

    /// Generates and writes the files, rewriting only those whose contents changed.
    pub fn compile(&self) -> Result<Vec<GeneratedFile>, Error> {
        let (model, files) = self.load_and_emit()?;
        let dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| Error::Io {
                    path: PathBuf::from("OUT_DIR"),
                    source: std::io::Error::other("OUT_DIR is not set and no out_dir was given"),
                })?,
        };
        if self.cargo_directives {
            // Shipped files are part of this crate: cargo rebuilds it when they change.
            for f in model.files.iter().filter(|f| !shipped::is_shipped(&f.path)) {
                println!("cargo:rerun-if-changed={}", f.path.display());
            }
        }
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        for f in &files {
            let path = dir.join(&f.path);
            if std::fs::read_to_string(&path).ok().as_deref() == Some(f.contents.as_str()) {
                continue;
            }
            std::fs::write(&path, &f.contents).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        }
        Ok(files)
    }
}
