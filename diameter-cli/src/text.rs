//! The text form of `decode`: an indented tree for people.
//!
//! ```text
//! CCR-I: Credit-Control-Request (CCR)  code 272, application 4, flags R P, hop-by-hop 0x12345678, end-to-end 0x87654321, 460 bytes
//!   Session-Id (263) [M] = "client.example.net;1;2"
//!   CC-Request-Type (416) [M] = INITIAL_REQUEST (1)
//!   Multiple-Services-Credit-Control (456) [M]
//!     Rating-Group (432) [M] = 100
//!   result: 2001 DIAMETER_SUCCESS
//! ```

use std::fmt::Write;

use crate::json::{AvpView, MessageView, ValueView, ViolationView};

fn code_with_name(code: u32) -> String {
    // Names come from the dictionaries (`<values avp="Result-Code">`).
    match diameter_messages::result_code_name(code) {
        Some(n) => format!("{code} {n}"),
        None => code.to_string(),
    }
}

/// Appends the tree of one message to `out`.
pub fn render_message(m: &MessageView, out: &mut String) {
    let mut head = String::new();
    if let Some(l) = &m.label {
        let _ = write!(head, "{l}: ");
    }
    match (&m.command, m.abbrev) {
        (Some(Some(name)), Some(abbrev)) => {
            let _ = write!(head, "{name} ({abbrev})");
        }
        (Some(Some(name)), None) => head.push_str(name),
        (Some(None), _) => head.push_str("unknown command"),
        (None, _) => head.push_str("message"),
    }
    let mut fields = Vec::new();
    if let Some(c) = m.command_code {
        fields.push(format!("code {c}"));
    }
    if let Some(a) = m.application_id {
        fields.push(format!("application {a}"));
    }
    if let Some(f) = &m.flags {
        let mut bits: Vec<&str> = Vec::new();
        for (on, letter) in [
            (f.request, "R"),
            (f.proxiable, "P"),
            (f.error, "E"),
            (f.retransmit, "T"),
        ] {
            if on {
                bits.push(letter);
            }
        }
        let mut s = if bits.is_empty() {
            "-".to_string()
        } else {
            bits.join(" ")
        };
        if f.reserved != 0 {
            let _ = write!(s, " reserved {:#04x}", f.reserved);
        }
        fields.push(format!("flags {s}"));
    }
    if let Some(h) = m.hop_by_hop {
        fields.push(format!("hop-by-hop {h:#010x}"));
    }
    if let Some(e) = m.end_to_end {
        fields.push(format!("end-to-end {e:#010x}"));
    }
    if let Some(l) = m.length {
        fields.push(format!("{l} bytes"));
    }
    if let Some(v) = m.version.filter(|v| *v != 1) {
        fields.push(format!("version {v}"));
    }
    let _ = write!(out, "{head}");
    if !fields.is_empty() {
        let _ = write!(out, "  {}", fields.join(", "));
    }
    out.push('\n');
    if let Some(c) = &m.capture {
        let _ = writeln!(
            out,
            "  (packet {}, {} {} -> {})",
            c.packet, c.transport, c.src, c.dst
        );
    }
    if let Some(e) = &m.error {
        let _ = writeln!(out, "  error: {e}");
    }
    for a in m.avps.iter().flatten() {
        render_avp(a, 1, out);
    }
    if let Some(u) = &m.unparsed {
        let _ = writeln!(out, "  unparsed ({} bytes): 0x{u}", u.len() / 2);
    }
    if let Some(vs) = m.violations.as_ref().filter(|v| !v.is_empty()) {
        let _ = writeln!(out, "  violations:");
        for v in vs {
            render_violation(v, out);
        }
    }
    if let Some(rc) = m.result_code {
        let _ = writeln!(out, "  result: {}", code_with_name(rc));
    }
}

fn render_violation(v: &ViolationView, out: &mut String) {
    let mut what = v.path.join("/");
    match v.avp {
        Some(n) => {
            let _ = write!(what, "/{n}");
        }
        None if v.code != 0 => {
            let _ = write!(what, "/AVP {}", v.code);
            if v.vendor_id != 0 {
                let _ = write!(what, " (vendor {})", v.vendor_id);
            }
        }
        None => {}
    }
    let what = what.trim_start_matches('/');
    let sep = if what.is_empty() { "" } else { ": " };
    let _ = writeln!(out, "    {} {what}{sep}{}", v.result_code, v.message);
}

fn render_avp(a: &AvpView, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let name = a.name.unwrap_or("Unknown-AVP");
    let vendor = if a.vendor_id != 0 || a.flags.vendor {
        format!(", vendor {}", a.vendor_id)
    } else {
        String::new()
    };
    let mut flags = String::new();
    for (on, letter) in [
        (a.flags.vendor, 'V'),
        (a.flags.mandatory, 'M'),
        (a.flags.protected, 'P'),
    ] {
        if on {
            flags.push(letter);
        }
    }
    if a.flags.reserved != 0 {
        let _ = write!(flags, " reserved {:#04x}", a.flags.reserved);
    }
    if flags.is_empty() {
        flags.push('-');
    }
    let _ = write!(out, "{indent}{name} ({}{vendor}) [{flags}]", a.code);
    let value = match &a.value {
        ValueView::Group(children) => {
            if let Some(e) = &a.error {
                let _ = write!(out, " (invalid: {e})");
            }
            out.push('\n');
            for c in children {
                render_avp(c, depth + 1, out);
            }
            return;
        }
        ValueView::Signed(v) => match a.enum_name {
            Some(Some(n)) => format!("{n} ({v})"),
            Some(None) => format!("{v} (unlisted value)"),
            None => v.to_string(),
        },
        ValueView::Unsigned(v) => match &a.names {
            Some(n) => format!("{v} ({})", n.join(" | ")),
            None => v.to_string(),
        },
        ValueView::F32(v) => v.to_string(),
        ValueView::F64(v) => v.to_string(),
        ValueView::Text(s) => format!("{s:?}"),
        ValueView::Plain(s) => s.clone(),
        ValueView::Hex(h) if h.is_empty() => "(empty)".to_string(),
        ValueView::Hex(h) => format!("0x{h}"),
    };
    let _ = write!(out, " = {value}");
    if let Some(e) = &a.error {
        let _ = write!(out, "  (invalid: {e})");
    }
    out.push('\n');
}
