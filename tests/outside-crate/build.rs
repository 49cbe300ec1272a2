//! A user's build script: Testco's dictionary, on top of the dictionaries diameter-codegen
//! ships (imported by name) and diameter-messages has compiled.

fn main() {
    if let Err(error) = diameter_codegen::Builder::new()
        .dictionary("dict/testco.xml")
        .extern_shipped("::diameter_messages")
        .compile()
    {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
