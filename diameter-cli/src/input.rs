//! Reading `decode` input: detecting its kind (pcap/pcapng capture, hex text, binary) and
//! cutting it into one item per message.
//!
//! Framing is deliberately forgiving: whatever cannot be cut into a whole message is still
//! handed on as an item holding the bytes that are there, so that the decoder can say what is
//! wrong with them (too short, bad version, length past the data) and show the header fields
//! it could read.

use std::io::Read;

use bytes::Bytes;
use diameter_runtime::frame::{self, Frame};
use diameter_runtime::DecodeOptions;

use crate::pcap;

/// Where a message of a capture was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureInfo {
    /// 1-based number of the packet that completed the message.
    pub packet: usize,
    /// `"tcp"` or `"sctp"`.
    pub transport: &'static str,
    /// Sender, `address:port`.
    pub src: String,
    /// Receiver, `address:port`.
    pub dst: String,
}

/// One message (or what stands in its place) of the input.
#[derive(Clone, Debug)]
pub struct Item {
    /// The hex line's label.
    pub label: Option<String>,
    /// For captures: where the message was seen.
    pub capture: Option<CaptureInfo>,
    /// The message's bytes (not yet judged), or why the input holds no bytes for it.
    pub data: Result<Bytes, String>,
}

impl Item {
    /// An item of a hex or binary input.
    fn plain(label: Option<String>, data: Result<Bytes, String>) -> Self {
        Item {
            label,
            capture: None,
            data,
        }
    }
}

/// Reads a whole file, or standard input for `None` or `-`.
pub fn read_all(file: Option<&str>) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    match file {
        None | Some("-") => std::io::stdin()
            .lock()
            .read_to_end(&mut data)
            .map_err(|e| format!("reading standard input: {e}"))?,
        Some(path) => {
            return std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"));
        }
    };
    Ok(data)
}

/// The kinds of input `decode` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A classic libpcap file.
    Pcap,
    /// A pcapng file.
    Pcapng,
    /// Hex text.
    Hex,
    /// Concatenated binary messages.
    Binary,
}

/// Tells the kind of `data`: capture magic numbers first, then text (UTF-8 without control
/// characters other than white space), else binary.
pub fn detect(data: &[u8]) -> Kind {
    if pcap::is_pcap(data) {
        return Kind::Pcap;
    }
    if pcap::is_pcapng(data) {
        return Kind::Pcapng;
    }
    // A Diameter message starts with version 1, a control character no text holds.
    let texty = |c: char| !c.is_control() || matches!(c, '\t' | '\r' | '\n');
    let text = std::str::from_utf8(data).is_ok_and(|t| t.chars().all(texty));
    if !data.is_empty() && text {
        Kind::Hex
    } else {
        Kind::Binary
    }
}

/// Cuts the input into items, in input order. Fails only on a capture that cannot be read.
pub fn items(data: &[u8], opts: &DecodeOptions) -> Result<Vec<Item>, String> {
    Ok(match detect(data) {
        Kind::Pcap | Kind::Pcapng => pcap::messages(data, opts)?,
        Kind::Hex => hex_items(&String::from_utf8_lossy(data).replace('\u{feff}', "")),
        Kind::Binary => frame_stream(data, opts)
            .into_iter()
            .map(|b| Item::plain(None, Ok(b)))
            .collect(),
    })
}

/// Parses hex text: one message per non-empty line, `LABEL<TAB>HEX` or bare hex; lines whose
/// first non-blank character is `#` are comments, as is anything from a `#` after the hex.
/// White space inside the hex is ignored, as is a `0x` prefix.
pub fn hex_items(text: &str) -> Vec<Item> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let (label, hex_part) = match line.split_once('\t') {
            Some((label, rest)) => {
                let label = label.trim();
                ((!label.is_empty()).then(|| label.to_string()), rest)
            }
            None => (None, line),
        };
        let hex_part = hex_part.split('#').next().unwrap_or_default();
        let digits: String = hex_part.chars().filter(|c| !c.is_whitespace()).collect();
        let digits = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
            .unwrap_or(&digits);
        let data = hex::decode(digits)
            .map(Bytes::from)
            .map_err(|e| format!("line {}: invalid hex: {e}", n + 1));
        out.push(Item::plain(label, data));
    }
    out
}

/// Frames a byte stream into messages by their Message-Length. What cannot be framed (a bad
/// header, or a last message cut short) is returned whole as the last chunk, for the decoder
/// to report.
pub fn frame_stream(data: &[u8], opts: &DecodeOptions) -> Vec<Bytes> {
    let data = Bytes::copy_from_slice(data);
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        match frame::check(&data[at..], opts) {
            Ok(Frame::Complete(n)) => {
                out.push(data.slice(at..at + n));
                at += n;
            }
            Ok(Frame::Incomplete(_)) | Err(_) => {
                out.push(data.slice(at..));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_kinds() {
        assert_eq!(detect(b"# c\nCER\t0100\n"), Kind::Hex);
        assert_eq!(detect(&[1, 0, 0, 20]), Kind::Binary);
        assert_eq!(detect(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]), Kind::Pcap);
        assert_eq!(detect(&[0x0a, 0x0d, 0x0d, 0x0a]), Kind::Pcapng);
    }

    #[test]
    fn hex_lines_with_labels_comments_and_spaces() {
        let items = hex_items("# x\n\nA\t01 02\n  0x0a0B # trailing\n\t\tff\nB\t0g\n");
        let got: Vec<_> = items
            .iter()
            .map(|i| (i.label.clone(), i.data.clone().map(|b| b.to_vec())))
            .collect();
        assert_eq!(got[0], (Some("A".into()), Ok(vec![1, 2])));
        assert_eq!(got[1], (None, Ok(vec![10, 11])));
        assert_eq!(got[2], (None, Ok(vec![0xff])));
        assert!(got[3].1.is_err());
    }

    #[test]
    fn frames_and_keeps_the_unframeable_rest() {
        let mut msg = vec![1, 0, 0, 20];
        msg.extend([0u8; 16]);
        let mut stream = msg.clone();
        stream.extend(&msg);
        stream.extend(&msg[..7]);
        let chunks = frame_stream(&stream, &DecodeOptions::default());
        assert_eq!(
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>(),
            [20, 20, 7]
        );
        stream[40] = 2;
        assert_eq!(frame_stream(&stream, &DecodeOptions::default()).len(), 3);
    }
}
