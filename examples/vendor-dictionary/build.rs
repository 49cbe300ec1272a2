//! Compiles `dict/acme.xml` into `$OUT_DIR/diameter_dictionary.rs`.
//!
//! The modules `diameter-messages` already provides are declared extern, so only Acme's own
//! items are generated; they refer to the shipped types (e.g. `CcTotalOctets` is a plain `u64`,
//! but `Termination-Cause` is `::diameter_messages::base::TerminationCause`).

fn main() {
    let result = diameter_codegen::Builder::new()
        .dictionary("dict/acme.xml")
        .extern_path("base", "::diameter_messages::base")
        // rfc6733.xml also declares application 3 in module `accounting`: without this line it
        // would be generated again here.
        .extern_path("accounting", "::diameter_messages::accounting")
        .extern_path("credit_control", "::diameter_messages::credit_control")
        .compile();
    if let Err(error) = result {
        // Diagnostics are `file:line: message`, one per line.
        eprintln!("{error}");
        std::process::exit(1);
    }
}
