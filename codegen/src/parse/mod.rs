//! Reading dictionary files: the XML document ([`xml`]) into a plain syntax tree ([`ast`]), and
//! the ABNF grammars inside it ([`abnf`]). Nothing here resolves names across files.

pub(crate) mod abnf;
pub(crate) mod ast;
pub(crate) mod xml;
