//! Rust names for dictionary names: every naming decision of the emitter lives here.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Words Rust reserves (strict and reserved keywords, 2021 edition).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "gen",
];

/// Words that cannot even be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

fn fix(name: String, digit_prefix: &str) -> String {
    let name = if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{digit_prefix}{name}")
    } else if name.is_empty() {
        "unnamed".to_string()
    } else {
        name
    };
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// A type name: `Multiple-Services-Credit-Control` -> `MultipleServicesCreditControl`,
/// `3GPP-Charging-Id` -> `Avp3gppChargingId`.
pub fn type_name(dict_name: &str) -> String {
    fix(dict_name.to_upper_camel_case(), "Avp")
}

/// A field or module name: `CC-Request-Type` -> `cc_request_type`, `type` -> `r#type`.
pub fn field_name(dict_name: &str) -> String {
    fix(dict_name.to_snake_case(), "avp_")
}

/// A constant name: `TOTAL-OCTETS` -> `TOTAL_OCTETS`, `3G` -> `V_3G`.
pub fn const_name(dict_name: &str) -> String {
    fix(dict_name.to_shouty_snake_case(), "V_")
}

/// The name of an AVP's dictionary static: `Origin-Host` -> `ORIGIN_HOST`.
pub fn def_name(dict_name: &str) -> String {
    fix(dict_name.to_shouty_snake_case(), "AVP_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awkward_names() {
        assert_eq!(
            type_name("Multiple-Services-Credit-Control"),
            "MultipleServicesCreditControl"
        );
        assert_eq!(type_name("3GPP-Charging-Id"), "Avp3gppChargingId");
        assert_eq!(field_name("3GPP-Charging-Id"), "avp_3gpp_charging_id");
        assert_eq!(field_name("Type"), "r#type");
        assert_eq!(field_name("Self"), "self_");
        assert_eq!(type_name("Self"), "Self_");
        assert_eq!(const_name("TOTAL-OCTETS"), "TOTAL_OCTETS");
        assert_eq!(const_name("IPV4_ADDRESS"), "IPV4_ADDRESS");
        assert_eq!(const_name("2G"), "V_2G");
        assert_eq!(def_name("CC-Money"), "CC_MONEY");
    }
}
