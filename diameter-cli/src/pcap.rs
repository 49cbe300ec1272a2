//! A minimal capture reader: classic pcap and pcapng files, Ethernet (with VLAN tags), Linux
//! cooked (SLL, SLL2), BSD loopback and raw IP link types, IPv4 and IPv6, and the Diameter
//! carried over TCP (each direction of each connection reassembled in sequence order, then
//! framed) or SCTP (DATA chunks with PPID 46, or 0 when the data looks like Diameter).
//!
//! IP fragments are skipped, as are packets of other protocols. Messages come out in the order
//! of the packets that completed them.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;
use diameter_runtime::frame::{self, Frame};
use diameter_runtime::DecodeOptions;

use crate::input::{CaptureInfo, Item};

/// The SCTP payload protocol identifier of Diameter (RFC 6733 section 2.1).
const PPID_DIAMETER: u32 = 46;

/// Is `data` a classic pcap file (either byte order, micro- or nanosecond stamps)?
pub fn is_pcap(data: &[u8]) -> bool {
    matches!(
        data.get(..4),
        Some([0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4])
            | Some([0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d])
    )
}

/// Is `data` a pcapng file (starts with a Section Header Block)?
pub fn is_pcapng(data: &[u8]) -> bool {
    data.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a])
}

/// One captured packet: its link type and bytes.
struct Packet<'a> {
    linktype: u32,
    data: &'a [u8],
}

/// Reads a 32-bit or 16-bit field in the file's byte order.
#[derive(Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u32(self, d: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = d.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
    fn u16(self, d: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = d.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Endian { big: true }.u16(d, at)
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Endian { big: true }.u32(d, at)
}

/// The packets of a classic pcap file, and an error if it ends in the middle of one.
fn pcap_packets(data: &[u8]) -> (Vec<Packet<'_>>, Option<String>) {
    let big = matches!(data.get(..4), Some([0xa1, 0xb2, ..]));
    let e = Endian { big };
    let mut out = Vec::new();
    let Some(linktype) = e.u32(data, 20) else {
        return (out, Some("pcap file header cut short".into()));
    };
    let mut at = 24;
    while at < data.len() {
        let Some(incl) = e.u32(data, at + 8) else {
            let msg = format!("pcap record {} cut short", out.len() + 1);
            return (out, Some(msg));
        };
        let start = at + 16;
        let Some(pkt) = data.get(start..start + incl as usize) else {
            let msg = format!("pcap record {} cut short", out.len() + 1);
            return (out, Some(msg));
        };
        out.push(Packet {
            linktype: linktype & 0x0fff_ffff,
            data: pkt,
        });
        at = start + incl as usize;
    }
    (out, None)
}

/// The packets of a pcapng file, and an error if a block is malformed.
fn pcapng_packets(data: &[u8]) -> (Vec<Packet<'_>>, Option<String>) {
    let mut out = Vec::new();
    let mut e = Endian { big: false };
    let mut interfaces: Vec<u32> = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let block_type_raw = data.get(at..at + 4);
        if block_type_raw == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            // Section Header Block: the byte-order magic tells the endianness of the section.
            e = match data.get(at + 8..at + 12) {
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => Endian { big: true },
                Some([0x4d, 0x3c, 0x2b, 0x1a]) => Endian { big: false },
                _ => return (out, Some("pcapng section header is malformed".into())),
            };
            interfaces.clear();
        }
        let (Some(block_type), Some(len)) = (e.u32(data, at), e.u32(data, at + 4)) else {
            return (out, Some("pcapng block cut short".into()));
        };
        let len = len as usize;
        if len < 12 || len % 4 != 0 || at + len > data.len() {
            return (
                out,
                Some(format!("pcapng block at offset {at} is malformed")),
            );
        }
        let body = &data[at + 8..at + len - 4];
        match block_type {
            1 => interfaces.push(e.u16(body, 0).map_or(0, u32::from)),
            // Enhanced Packet Block.
            6 => {
                let iface = e.u32(body, 0).unwrap_or(0) as usize;
                let cap = e.u32(body, 12).unwrap_or(0) as usize;
                if let (Some(&linktype), Some(pkt)) =
                    (interfaces.get(iface), body.get(20..20 + cap))
                {
                    out.push(Packet {
                        linktype,
                        data: pkt,
                    });
                }
            }
            // Simple Packet Block: interface 0, data up to the block's end.
            3 => {
                let orig = e.u32(body, 0).unwrap_or(0) as usize;
                let rest = body.get(4..).unwrap_or_default();
                if let Some(&linktype) = interfaces.first() {
                    out.push(Packet {
                        linktype,
                        data: &rest[..orig.min(rest.len())],
                    });
                }
            }
            // Obsolete Packet Block.
            2 => {
                let iface = e.u16(body, 0).unwrap_or(0) as usize;
                let cap = e.u32(body, 12).unwrap_or(0) as usize;
                if let (Some(&linktype), Some(pkt)) =
                    (interfaces.get(iface), body.get(20..20 + cap))
                {
                    out.push(Packet {
                        linktype,
                        data: pkt,
                    });
                }
            }
            _ => {}
        }
        at += len;
    }
    (out, None)
}

/// The IP packet inside a link-layer frame.
fn ip_payload(linktype: u32, d: &[u8]) -> Option<&[u8]> {
    match linktype {
        // Ethernet, with any number of 802.1Q / 802.1ad tags.
        1 => {
            let mut at = 12;
            loop {
                match be16(d, at)? {
                    0x8100 | 0x88a8 | 0x9100 => at += 4,
                    0x0800 | 0x86dd => return d.get(at + 2..),
                    _ => return None,
                }
            }
        }
        // BSD loopback (host or network byte order family): the IP version tells.
        0 | 108 => d.get(4..),
        // Raw IP.
        12 | 14 | 101 | 228 | 229 => Some(d),
        // Linux cooked capture v1 and v2.
        113 => match be16(d, 14)? {
            0x0800 | 0x86dd => d.get(16..),
            _ => None,
        },
        276 => match be16(d, 0)? {
            0x0800 | 0x86dd => d.get(20..),
            _ => None,
        },
        _ => None,
    }
}

/// A transport segment: protocol number, addresses and payload.
struct Segment<'a> {
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    payload: &'a [u8],
}

/// Parses an IPv4 or IPv6 packet; fragments yield nothing.
fn ip(d: &[u8]) -> Option<Segment<'_>> {
    match d.first()? >> 4 {
        4 => {
            let ihl = usize::from(d.first()? & 0x0f) * 4;
            let total = usize::from(be16(d, 2)?);
            let frag = be16(d, 6)?;
            if frag & 0x3fff != 0 || ihl < 20 || total < ihl {
                return None;
            }
            let addr = |at: usize| -> Option<IpAddr> {
                let b: [u8; 4] = d.get(at..at + 4)?.try_into().ok()?;
                Some(IpAddr::V4(Ipv4Addr::from(b)))
            };
            Some(Segment {
                proto: *d.get(9)?,
                src: addr(12)?,
                dst: addr(16)?,
                // The total length drops any link-layer padding.
                payload: d.get(ihl..total.min(d.len()))?,
            })
        }
        6 => {
            let addr = |at: usize| -> Option<IpAddr> {
                let b: [u8; 16] = d.get(at..at + 16)?.try_into().ok()?;
                Some(IpAddr::V6(Ipv6Addr::from(b)))
            };
            let end = (40 + usize::from(be16(d, 4)?)).min(d.len());
            let mut next = *d.get(6)?;
            let mut at = 40;
            loop {
                match next {
                    // Hop-by-hop, routing, destination options.
                    0 | 43 | 60 => {
                        next = *d.get(at)?;
                        at += (usize::from(*d.get(at + 1)?) + 1) * 8;
                    }
                    // Authentication header.
                    51 => {
                        next = *d.get(at)?;
                        at += (usize::from(*d.get(at + 1)?) + 2) * 4;
                    }
                    // Fragment: not reassembled.
                    44 => return None,
                    _ => break,
                }
            }
            Some(Segment {
                proto: next,
                src: addr(8)?,
                dst: addr(24)?,
                payload: d.get(at..end)?,
            })
        }
        _ => None,
    }
}

/// One direction of a TCP connection.
type StreamKey = (SocketAddr, SocketAddr);

/// The segments seen in one direction of a TCP connection.
#[derive(Default)]
struct TcpStream {
    /// Sequence number of the first data byte, when the SYN was captured.
    isn: Option<u32>,
    /// (sequence number, payload, packet number) of every segment with data.
    segments: Vec<(u32, Vec<u8>, usize)>,
}

/// A message (or error item) with the packet that completed it, for ordering.
struct Found {
    packet: usize,
    stream: usize,
    seq: usize,
    item: Item,
}

/// Reads a capture and returns its Diameter messages in the order their last packet came.
pub fn messages(data: &[u8], opts: &DecodeOptions) -> Result<Vec<Item>, String> {
    let (packets, trailer) = if is_pcapng(data) {
        pcapng_packets(data)
    } else {
        pcap_packets(data)
    };
    if packets.is_empty() {
        if let Some(t) = trailer {
            return Err(t);
        }
    }
    let mut found: Vec<Found> = Vec::new();
    let mut streams: HashMap<StreamKey, usize> = HashMap::new();
    let mut tcp: Vec<(StreamKey, TcpStream)> = Vec::new();
    let mut sctp_partial: HashMap<(SocketAddr, SocketAddr, u16), Vec<u8>> = HashMap::new();
    for (i, p) in packets.iter().enumerate() {
        let number = i + 1;
        let Some(seg) = ip_payload(p.linktype, p.data).and_then(ip) else {
            continue;
        };
        match seg.proto {
            6 => {
                let t = seg.payload;
                let (Some(sport), Some(dport), Some(seq), Some(off)) =
                    (be16(t, 0), be16(t, 2), be32(t, 4), t.get(12))
                else {
                    continue;
                };
                let flags = t.get(13).copied().unwrap_or(0);
                let key = (
                    SocketAddr::new(seg.src, sport),
                    SocketAddr::new(seg.dst, dport),
                );
                let idx = *streams.entry(key).or_insert_with(|| {
                    tcp.push((key, TcpStream::default()));
                    tcp.len() - 1
                });
                let stream = &mut tcp[idx].1;
                if flags & 0x02 != 0 {
                    stream.isn = Some(seq.wrapping_add(1));
                }
                let hl = usize::from(off >> 4) * 4;
                if let Some(payload) = t.get(hl..) {
                    if !payload.is_empty() {
                        stream.segments.push((seq, payload.to_vec(), number));
                    }
                }
            }
            132 => sctp(&seg, number, opts, &mut sctp_partial, &mut found),
            _ => {}
        }
    }
    for (idx, (key, stream)) in tcp.into_iter().enumerate() {
        reassemble(idx, key, stream, opts, &mut found);
    }
    found.sort_by_key(|f| (f.packet, f.stream, f.seq));
    let mut out: Vec<Item> = found.into_iter().map(|f| f.item).collect();
    if let Some(t) = trailer {
        out.push(Item {
            label: None,
            capture: None,
            data: Err(t),
        });
    }
    Ok(out)
}

/// The DATA chunks of an SCTP packet carrying Diameter.
fn sctp(
    seg: &Segment<'_>,
    number: usize,
    opts: &DecodeOptions,
    partial: &mut HashMap<(SocketAddr, SocketAddr, u16), Vec<u8>>,
    found: &mut Vec<Found>,
) {
    let d = seg.payload;
    let (Some(sport), Some(dport)) = (be16(d, 0), be16(d, 2)) else {
        return;
    };
    let src = SocketAddr::new(seg.src, sport);
    let dst = SocketAddr::new(seg.dst, dport);
    let mut at = 12;
    while let (Some(&ty), Some(&flags), Some(len)) = (d.get(at), d.get(at + 1), be16(d, at + 2)) {
        let len = usize::from(len);
        if len < 4 {
            return;
        }
        let Some(chunk) = d.get(at..at + len) else {
            return;
        };
        if ty == 0 && len >= 16 {
            let sid = be16(chunk, 8).unwrap_or(0);
            let ppid = be32(chunk, 12).unwrap_or(0);
            let user = &chunk[16..];
            let begin = flags & 0x02 != 0;
            let end = flags & 0x01 != 0;
            let key = (src, dst, sid);
            let whole = match (begin, end) {
                (true, true) => Some(user.to_vec()),
                (true, false) => {
                    partial.insert(key, user.to_vec());
                    None
                }
                (false, false) => {
                    if let Some(buf) = partial.get_mut(&key) {
                        buf.extend_from_slice(user);
                    }
                    None
                }
                (false, true) => partial.remove(&key).map(|mut buf| {
                    buf.extend_from_slice(user);
                    buf
                }),
            };
            let diameter = ppid == PPID_DIAMETER || (ppid == 0 && user.first() == Some(&1));
            if let (Some(msg), true) = (whole, diameter) {
                let info = CaptureInfo {
                    packet: number,
                    transport: "sctp",
                    src: src.to_string(),
                    dst: dst.to_string(),
                };
                for b in crate::input::frame_stream(&msg, opts) {
                    found.push(Found {
                        packet: number,
                        stream: usize::MAX,
                        seq: found.len(),
                        item: Item {
                            label: None,
                            capture: Some(info.clone()),
                            data: Ok(b),
                        },
                    });
                }
            }
        }
        at += len + (4 - len % 4) % 4;
    }
}

/// A contiguous run of stream bytes, with (end offset, packet number) of each segment in it.
type Run = (Vec<u8>, Vec<(usize, usize)>);

/// Puts one TCP direction's segments in sequence order and frames the bytes.
fn reassemble(
    idx: usize,
    key: StreamKey,
    mut stream: TcpStream,
    opts: &DecodeOptions,
    found: &mut Vec<Found>,
) {
    let Some(first) = stream.segments.first().map(|s| s.0) else {
        return;
    };
    let base = stream.isn.unwrap_or(first);
    let rel = |seq: u32| i64::from(seq.wrapping_sub(base) as i32);
    stream.segments.sort_by_key(|s| (rel(s.0), s.2));
    let mut runs: Vec<Run> = Vec::new();
    let mut end = i64::MIN;
    for (seq, payload, packet) in &stream.segments {
        let start = rel(*seq);
        let seg_end = start + payload.len() as i64;
        if runs.is_empty() || start > end {
            runs.push((Vec::new(), Vec::new()));
            end = start;
        }
        if seg_end <= end {
            continue; // a retransmission of bytes already placed
        }
        let skip = usize::try_from(end - start).unwrap_or(0);
        if let Some((buf, marks)) = runs.last_mut() {
            buf.extend_from_slice(&payload[skip..]);
            marks.push((buf.len(), *packet));
        }
        end = seg_end;
    }
    let info = CaptureInfo {
        packet: 0,
        transport: "tcp",
        src: key.0.to_string(),
        dst: key.1.to_string(),
    };
    let mut seq = 0;
    let run_count = runs.len();
    for (r, (buf, marks)) in runs.into_iter().enumerate() {
        let first_packet = marks.first().map_or(0, |m| m.1);
        if r > 0 {
            // Data is missing before this run (not captured).
            found.push(Found {
                packet: first_packet,
                stream: idx,
                seq,
                item: Item {
                    label: None,
                    capture: Some(CaptureInfo {
                        packet: first_packet,
                        ..info.clone()
                    }),
                    data: Err(format!(
                        "TCP {} -> {}: bytes missing from the capture before packet {first_packet} ({} of {run_count} contiguous parts)",
                        info.src, info.dst, r + 1
                    )),
                },
            });
            seq += 1;
        }
        // marks[lo..=hi]: the segments holding the bytes of the current chunk.
        let mut lo = 0;
        for (start, len, data) in frame_resync(&buf, opts) {
            while lo + 1 < marks.len() && marks[lo].0 <= start {
                lo += 1;
            }
            let mut hi = lo;
            while hi + 1 < marks.len() && marks[hi].0 < start + len {
                hi += 1;
            }
            // The chunk is complete with the latest of the packets bringing its bytes.
            let packet = marks
                .get(lo..=hi)
                .unwrap_or_default()
                .iter()
                .map(|x| x.1)
                .max()
                .unwrap_or(first_packet);
            found.push(Found {
                packet,
                stream: idx,
                seq,
                item: Item {
                    label: None,
                    capture: Some(CaptureInfo {
                        packet,
                        ..info.clone()
                    }),
                    data,
                },
            });
            seq += 1;
        }
    }
}

/// Does a plausible Diameter header start at the start of `d`?
fn plausible_header(d: &[u8], opts: &DecodeOptions) -> bool {
    let Some(h) = d.get(..20) else {
        return false;
    };
    matches!(
        frame::check(h, opts),
        Ok(Frame::Incomplete(_) | Frame::Complete(_))
    ) && h[4] & 0x0f == 0
        && !(h[4] & 0x80 != 0 && h[4] & 0x20 != 0)
}

/// A piece of a reassembled stream: offset, length, and the message's bytes or why the piece
/// is no message.
type Chunk = (usize, usize, Result<Bytes, String>);

/// Frames a reassembled TCP stream. When the bytes at some point are no Diameter header
/// (e.g. the capture began mid-message), they are skipped up to the next plausible header
/// and reported. Returns (offset, length, bytes or error) per chunk.
fn frame_resync(buf: &[u8], opts: &DecodeOptions) -> Vec<Chunk> {
    let all = Bytes::copy_from_slice(buf);
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        match frame::check(&buf[at..], opts) {
            Ok(Frame::Complete(n)) if plausible_header(&buf[at..], opts) => {
                out.push((at, n, Ok(all.slice(at..at + n))));
                at += n;
            }
            Ok(Frame::Incomplete(_))
                if buf.len() - at < 20 || plausible_header(&buf[at..], opts) =>
            {
                // The capture ends inside this message: the decoder reports it.
                out.push((at, buf.len() - at, Ok(all.slice(at..))));
                break;
            }
            _ => {
                let next = (at + 1..buf.len())
                    .find(|&i| plausible_header(&buf[i..], opts))
                    .unwrap_or(buf.len());
                out.push((
                    at,
                    next - at,
                    Err(format!(
                        "{} bytes of the TCP stream are no Diameter message (skipped)",
                        next - at
                    )),
                ));
                at = next;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        assert!(is_pcap(&[0xd4, 0xc3, 0xb2, 0xa1]));
        assert!(is_pcap(&[0xa1, 0xb2, 0x3c, 0x4d]));
        assert!(!is_pcap(&[1, 0, 0, 20]));
        assert!(is_pcapng(&[0x0a, 0x0d, 0x0d, 0x0a, 0]));
    }

    #[test]
    fn resync_skips_junk_before_a_header() {
        let mut msg = vec![1, 0, 0, 20, 0x80, 0, 1, 0x18];
        msg.extend([0u8; 12]);
        let mut buf = vec![0xee, 0xee, 0xee];
        buf.extend(&msg);
        let chunks = frame_resync(&buf, &DecodeOptions::default());
        assert_eq!(chunks.len(), 2);
        assert!(chunks[0].2.is_err());
        assert_eq!(chunks[1].2.as_ref().map(|b| b.len()), Ok(20));
    }
}
