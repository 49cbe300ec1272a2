//! Compiles `dict/acme.xml` into `$OUT_DIR/diameter_dictionary.rs`.
//!
//! `acme.xml` imports the shipped `rfc4006.xml` by name. `extern_shipped` says those shipped
//! dictionaries are compiled already, in `diameter-messages`: only Acme's items are generated;
//! they refer to the shipped types (e.g. `CcTotalOctets` is a plain `u64`, but
//! `Termination-Cause` is `::diameter_messages::base::TerminationCause`), and the generated root
//! gets `decode`, `find_group`, ... over `diameter_messages::Message` with Acme's AVPs known.

fn main() {
    let result = diameter_codegen::Builder::new()
        .dictionary("dict/acme.xml")
        .extern_shipped("::diameter_messages")
        .compile();
    if let Err(error) = result {
        // Diagnostics are `file:line: message`, one per line.
        eprintln!("{error}");
        std::process::exit(1);
    }
}
