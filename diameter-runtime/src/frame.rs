//! Framing a byte stream into messages by the header's Message-Length.

use crate::error::DecodeError;
use crate::header::{Header, HEADER_LEN};
use crate::limits::DecodeOptions;

/// What the start of a stream buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole message of this many bytes is at the start of the buffer.
    Complete(usize),
    /// Not yet: at least this many bytes in total are needed before asking again.
    Incomplete(usize),
}

/// Looks at the start of `buf` and says whether a whole message is there.
///
/// A header that can never start a valid message (version, length below 20 or not a multiple
/// of 4, a length above `opts.max_message_len`) is an error: the stream cannot be resynchronised
/// and the connection should be closed. The flags are not judged here; decoding does that, so
/// that the message can still be answered (5013 or 3008).
///
/// ```
/// use diameter_runtime::frame::{check, Frame};
/// use diameter_runtime::DecodeOptions;
/// let dwr = [1, 0, 0, 20, 0x80, 0, 1, 0x18, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2];
/// let opts = DecodeOptions::default();
/// assert_eq!(check(&dwr[..3], &opts), Ok(Frame::Incomplete(4)));
/// assert_eq!(check(&dwr[..10], &opts), Ok(Frame::Incomplete(20)));
/// assert_eq!(check(&dwr, &opts), Ok(Frame::Complete(20)));
/// ```
pub fn check(buf: &[u8], opts: &DecodeOptions) -> Result<Frame, DecodeError> {
    let Some(first) = buf.get(..4) else {
        return Ok(Frame::Incomplete(4));
    };
    if first[0] != crate::header::VERSION {
        return Err(DecodeError::UnsupportedVersion { version: first[0] });
    }
    let length = u32::from_be_bytes([0, first[1], first[2], first[3]]);
    if length < HEADER_LEN as u32 || length % 4 != 0 {
        return Err(DecodeError::InvalidMessageLength { length });
    }
    if length > opts.max_message_len {
        return Err(DecodeError::MessageTooLarge {
            length,
            limit: opts.max_message_len,
        });
    }
    let len = length as usize;
    Ok(if buf.len() >= len {
        Frame::Complete(len)
    } else {
        Frame::Incomplete(len)
    })
}

/// Reads just the header of a framed message, for routing without decoding the body.
pub fn peek_header(buf: &[u8]) -> Result<Header, DecodeError> {
    Header::decode_unchecked(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(len: u32) -> Vec<u8> {
        let mut v = vec![0u8; len as usize];
        v[..4].copy_from_slice(&len.to_be_bytes());
        v[0] = 1;
        v
    }

    #[test]
    fn frames_back_to_back_messages() {
        let mut stream = msg(20);
        stream.extend(msg(28));
        stream.extend(&msg(24)[..5]);
        let opts = DecodeOptions::default();
        let mut at = 0;
        let mut lens = vec![];
        while let Frame::Complete(n) = check(&stream[at..], &opts).unwrap() {
            lens.push(n);
            at += n;
        }
        assert_eq!(lens, vec![20, 28]);
        assert_eq!(check(&stream[at..], &opts).unwrap(), Frame::Incomplete(24));
        assert_eq!(check(&[], &opts).unwrap(), Frame::Incomplete(4));
    }

    #[test]
    fn hopeless_headers_are_errors() {
        let opts = DecodeOptions::default();
        let mut v2 = msg(20);
        v2[0] = 2;
        assert_eq!(check(&v2, &opts).unwrap_err().result_code(), 5011);
        assert_eq!(check(&msg(16), &opts).unwrap_err().result_code(), 5015);
        assert_eq!(check(&msg(22)[..4], &opts).unwrap_err().result_code(), 5015);
        let small = DecodeOptions {
            max_message_len: 64,
            ..DecodeOptions::default()
        };
        assert!(matches!(
            check(&msg(68)[..4], &small),
            Err(DecodeError::MessageTooLarge {
                length: 68,
                limit: 64
            })
        ));
    }
}
