//! Model -> Rust source. Reads only the [`Model`]; never XML.
//!
//! Output per module: dictionary statics (`defs`), one open newtype per Enumerated AVP, one
//! struct per Grouped AVP and per command request/answer, with generated decode (fields in
//! locals, a `match` on AVP keys) and in-place encode calling the runtime's `typed` engine.
//! The root file declares the modules and the dispatch over every command.

mod bits;
mod builders;
mod extend;
mod gates;
mod items;
mod lookup;
pub mod names;
mod plan;
mod root;
mod rules;
mod size;
mod views;

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;

use crate::model::Model;
pub use plan::{all_applications as plan_applications, Plan};

/// How generated files are laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A crate's `src/`: `lib.rs` declaring `pub mod m;`, and `m.rs` per module, each behind a
    /// cargo feature named for it except the always-on ones.
    Crate {
        /// Modules compiled without a feature (e.g. `base`).
        always_on: Vec<String>,
    },
    /// One file holding every module inline, for `include!` from a build script's `OUT_DIR`.
    SingleFile(String),
}

/// Options of one generation.
#[derive(Clone, Debug)]
pub struct Options {
    /// Path of the runtime crate in generated code, e.g. `::diameter_runtime`.
    pub runtime_path: String,
    /// Modules supplied by another crate: module name -> its Rust path.
    pub externs: BTreeMap<String, String>,
    /// The crate holding the shipped dictionaries' modules (`::diameter_messages`), when this
    /// generation extends it: the root then gets `decode` and friends over its `Message`.
    pub shipped_crate: Option<String>,
    /// File layout.
    pub layout: Layout,
    /// Dictionary files named in the generated header, e.g. `dictionaries/rfc4006.xml`.
    pub sources: Vec<String>,
    /// How to regenerate, for the header stamp, e.g. `run cargo xtask regenerate`.
    pub regenerate_hint: String,
    /// Grouped AVPs (dictionary names) whose fields are boxed (`Builder::boxed`).
    pub boxed: BTreeSet<String>,
    /// Optional groups whose struct is estimated larger than this many bytes are boxed
    /// (`Builder::box_groups_above`); `None` boxes none by size.
    pub box_above: Option<usize>,
}

/// The version of the runtime's generated-code interface (`diameter_runtime::__private`)
/// this emitter writes for; generated code checks it at compile time.
pub const RUNTIME_INTERFACE: u32 = 2;

/// The default of [`Options::box_above`]: optional groups larger than this are boxed. Chosen
/// on the reference CCR (see ARCHITECTURE.md): the RFC 4006 groups stay inline (the largest,
/// Multiple-Services-Credit-Control, is repeated and so in a `Vec` anyway), the 3GPP
/// `*-Information` groups of hundreds of bytes each are boxed.
pub const DEFAULT_BOX_ABOVE: usize = 256;

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the output directory, e.g. `credit_control.rs`.
    pub path: String,
    /// Formatted Rust source.
    pub contents: String,
}

/// Emits the Rust source for `model`.
pub fn emit(model: &Model, opts: &Options) -> Vec<GeneratedFile> {
    let mut plan = Plan::new(model, &opts.externs);
    let boxing = size::boxing(model, &opts.boxed, opts.box_above);
    plan.boxed = boxing.optional;
    plan.boxed_required = boxing.always;
    if let Layout::Crate { always_on } = &opts.layout {
        plan.gates = gates::Gates::new(model, &plan, Some(always_on));
    }
    let runtime: TokenStream = opts
        .runtime_path
        .parse()
        .unwrap_or_else(|_| quote::quote!(::diameter_runtime));
    // Generated code names the runtime through `use <runtime>::__private as rt;` at the top
    // of each module: short paths keep each call on one line.
    let rt = quote::quote!(rt);
    let mut modules = BTreeMap::new();
    for m in plan.local_modules() {
        modules.insert(m.clone(), items::module(model, &plan, m, &rt, &runtime));
    }
    let header = header_comment(opts);
    match &opts.layout {
        Layout::Crate { always_on } => {
            let mut files = vec![GeneratedFile {
                path: "lib.rs".into(),
                contents: format!(
                    "{header}{}",
                    format(root_with_extension(
                        root::root(model, &plan, &rt, &runtime, Some(always_on), true),
                        opts,
                        &runtime
                    ))
                ),
            }];
            for (m, tokens) in modules {
                files.push(GeneratedFile {
                    path: format!("{}.rs", m.trim_start_matches("r#")),
                    contents: format!("{header}{}", format(tokens)),
                });
            }
            files
        }
        Layout::SingleFile(name) => {
            let mut all = root_with_extension(
                root::root(model, &plan, &rt, &runtime, None, false),
                opts,
                &runtime,
            );
            for (m, tokens) in modules {
                let ident: TokenStream = m.parse().unwrap_or_default();
                all.extend(quote::quote! {
                    #[allow(clippy::all, missing_docs, unused_imports)]
                    pub mod #ident { #tokens }
                });
            }
            vec![GeneratedFile {
                path: name.clone(),
                contents: format!("{header}{}", format(all)),
            }]
        }
    }
}

/// `root`, followed by the items of [`extend`] when the generation extends the shipped crate.
/// They are public API: they name the runtime by its full path, not the private alias.
fn root_with_extension(mut root: TokenStream, opts: &Options, rt: &TokenStream) -> TokenStream {
    if let Some(krate) = &opts.shipped_crate {
        root.extend(extend::root_items(rt, krate));
    }
    root
}

/// The cargo features of the crate `emit` lays out with [`Layout::Crate`], feature name ->
/// the features it enables (see the crate's `Cargo.toml`); empty for other layouts.
pub fn cargo_features(model: &Model, opts: &Options) -> BTreeMap<String, Vec<String>> {
    match opts.layout {
        Layout::Crate { .. } => root::features(&Plan::new(model, &opts.externs)),
        Layout::SingleFile(_) => BTreeMap::new(),
    }
}

fn header_comment(opts: &Options) -> String {
    let mut s = format!(
        "// @generated by diameter-codegen. Do not edit: {}.\n",
        opts.regenerate_hint
    );
    for src in &opts.sources {
        s.push_str(&format!("// Source: {src}\n"));
    }
    s.push('\n');
    s
}

fn format(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        // Unparseable output is a compiler bug; keep it visible rather than losing it.
        Err(e) => format!("compile_error!({:?});\n{tokens}\n", e.to_string()),
    }
}
