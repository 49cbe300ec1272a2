//! Compiles the emitter edge-case fixture with the public Builder, as a user's build script
//! would, so that the tests can compile and use the generated code.

fn main() {
    let files = diameter_codegen::Builder::new()
        .dictionary("fixtures/edge.xml")
        .layout(diameter_codegen::Layout::SingleFile("edge.rs".into()))
        .compile();
    if let Err(e) = files {
        panic!("fixtures/edge.xml: {e}");
    }
}
